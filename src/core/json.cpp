#include "core/json.hpp"

#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace gavel {

Json parse_json(std::string_view text, std::string_view where) {
    try {
        return Json::parse(text.begin(), text.end());
    } catch (const Json::parse_error& e) {
        fail("{}: invalid JSON at byte {}: {}", where, e.byte, e.what());
    } catch (const Json::exception& e) {  // e.g. out_of_range for a number such as 1e999
        fail("{}: invalid JSON: {}", where, e.what());
    }
}

Json read_json_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("{}: cannot open", path);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return parse_json(buffer.str(), path);
}

const Json& require_field(const Json& object, std::string_view key, std::string_view where) {
    if (!object.is_object()) fail("{}: expected a JSON object", where);
    auto it = object.find(key);
    if (it == object.end()) fail("{}: missing field '{}'", where, key);
    return *it;
}

std::string require_string(const Json& object, std::string_view key, std::string_view where) {
    const Json& v = require_field(object, key, where);
    if (!v.is_string()) fail("{}: field '{}' must be a string, got {}", where, key, v.dump());
    return v.get<std::string>();
}

int64_t require_int(const Json& object, std::string_view key, std::string_view where) {
    const Json& v = require_field(object, key, where);
    if (!v.is_number_integer()) fail("{}: field '{}' must be an integer, got {}", where, key, v.dump());
    return v.get<int64_t>();
}

double require_number(const Json& object, std::string_view key, std::string_view where) {
    const Json& v = require_field(object, key, where);
    if (!v.is_number()) fail("{}: field '{}' must be a number, got {}", where, key, v.dump());
    return v.get<double>();
}

namespace {
const Json* find_present(const Json& object, std::string_view key, std::string_view where) {
    if (!object.is_object()) fail("{}: expected a JSON object", where);
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) return nullptr;
    return &*it;
}
}  // namespace

bool optional_bool(const Json& object, std::string_view key, bool fallback, std::string_view where) {
    const Json* v = find_present(object, key, where);
    if (!v) return fallback;
    if (!v->is_boolean()) fail("{}: field '{}' must be true or false, got {}", where, key, v->dump());
    return v->get<bool>();
}

int64_t optional_int(const Json& object, std::string_view key, int64_t fallback, std::string_view where) {
    const Json* v = find_present(object, key, where);
    if (!v) return fallback;
    if (!v->is_number_integer()) fail("{}: field '{}' must be an integer, got {}", where, key, v->dump());
    return v->get<int64_t>();
}

double optional_number(const Json& object, std::string_view key, double fallback, std::string_view where) {
    const Json* v = find_present(object, key, where);
    if (!v) return fallback;
    if (!v->is_number()) fail("{}: field '{}' must be a number, got {}", where, key, v->dump());
    return v->get<double>();
}

std::string optional_string(const Json& object, std::string_view key, std::string_view fallback,
                            std::string_view where) {
    const Json* v = find_present(object, key, where);
    if (!v) return std::string(fallback);
    if (!v->is_string()) fail("{}: field '{}' must be a string, got {}", where, key, v->dump());
    return v->get<std::string>();
}

}  // namespace gavel
