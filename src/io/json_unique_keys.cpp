#include "io/json_unique_keys.hpp"

#include <unordered_set>
#include <vector>

#include "core/error.hpp"

namespace gavel {

namespace {

// One open object or array while parsing: the key it was stored under (for messages) and, for
// objects, the keys seen so far.
struct OpenContainer {
    std::string key;
    std::unordered_set<std::string> keys;
};

}  // namespace

Json parse_json_unique_keys(std::string_view text, std::string_view where, int max_depth) {
    std::vector<OpenContainer> open;
    std::string last_key;
    auto on_event = [&](int /*depth*/, Json::parse_event_t event, Json& parsed) -> bool {
        switch (event) {
            case Json::parse_event_t::object_start:
            case Json::parse_event_t::array_start:
                if (int(open.size()) >= max_depth)
                    fail("{}: JSON nested deeper than {} levels", where, max_depth);
                open.push_back({std::move(last_key), {}});
                last_key.clear();
                break;
            case Json::parse_event_t::object_end:
            case Json::parse_event_t::array_end:
                if (!open.empty()) open.pop_back();
                break;
            case Json::parse_event_t::key: {
                last_key = parsed.get<std::string>();
                if (!open.empty() && !open.back().keys.insert(last_key).second) {
                    if (open.size() == 1 || open.back().key.empty())
                        fail("{}: duplicate key '{}'", where, last_key);
                    fail("{}: duplicate key '{}' in '{}'", where, last_key, open.back().key);
                }
                break;
            }
            case Json::parse_event_t::value:
                last_key.clear();
                break;
        }
        return true;
    };
    try {
        return Json::parse(text.begin(), text.end(), on_event);
    } catch (const Json::parse_error& e) {
        fail("{}: invalid JSON at byte {}: {}", where, e.byte, e.what());
    } catch (const Json::exception& e) {
        // Not a syntax error but still bad input, e.g. out_of_range for a number like 1e999.
        std::string what = e.what();
        if (what.size() > 200) what = what.substr(0, 200) + "...";
        fail("{}: invalid JSON: {}", where, what);
    }
}

std::string json_excerpt(const Json& value) {
    constexpr size_t kLimit = 60;
    std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
    if (text.size() > kLimit) text = text.substr(0, kLimit) + "...";
    return text;
}

}  // namespace gavel
