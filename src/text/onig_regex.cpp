#include "text/onig_regex.hpp"

#include <oniguruma.h>

#include <mutex>

#include "core/error.hpp"
#include "text/utf8.hpp"

namespace gavel::text {
namespace {

void initialize_oniguruma() {
    static std::once_flag once;
    std::call_once(once, [] {
        OnigEncoding encodings[] = {ONIG_ENCODING_UTF8};
        onig_initialize(encodings, 1);
    });
}

struct RegionDeleter {
    void operator()(OnigRegion* region) const { onig_region_free(region, 1); }
};

}  // namespace

OnigRegex::OnigRegex(std::string_view pattern, std::string_view where) {
    initialize_oniguruma();
    regex_t* compiled = nullptr;
    OnigErrorInfo info{};
    const auto* begin = reinterpret_cast<const OnigUChar*>(pattern.data());
    int status = onig_new(&compiled, begin, begin + pattern.size(), ONIG_OPTION_NONE, ONIG_ENCODING_UTF8,
                          ONIG_SYNTAX_DEFAULT, &info);
    if (status != ONIG_NORMAL) {
        OnigUChar message[ONIG_MAX_ERROR_MESSAGE_LEN];
        onig_error_code_to_str(message, status, &info);
        fail("{}: regex '{}' does not compile: {}", where, pattern, reinterpret_cast<const char*>(message));
    }
    regex_ = compiled;
}

OnigRegex::~OnigRegex() {
    if (regex_ != nullptr) onig_free(static_cast<regex_t*>(regex_));
}

bool OnigRegex::search(std::string_view text, size_t from, size_t& begin, size_t& end) const {
    std::unique_ptr<OnigRegion, RegionDeleter> region(onig_region_new());
    const auto* start = reinterpret_cast<const OnigUChar*>(text.data());
    const auto* stop = start + text.size();
    int r = onig_search(static_cast<regex_t*>(regex_), start, stop, start + from, stop, region.get(), ONIG_OPTION_NONE);
    if (r == ONIG_MISMATCH) return false;
    if (r < 0) {
        OnigUChar message[ONIG_MAX_ERROR_MESSAGE_LEN];
        onig_error_code_to_str(message, r);
        fail("regex search failed: {}", reinterpret_cast<const char*>(message));
    }
    begin = size_t(region->beg[0]);
    end = size_t(region->end[0]);
    return true;
}

std::vector<std::pair<size_t, size_t>> OnigRegex::find_all(std::string_view text) const {
    std::vector<std::pair<size_t, size_t>> matches;
    std::unique_ptr<OnigRegion, RegionDeleter> region(onig_region_new());
    const auto* start = reinterpret_cast<const OnigUChar*>(text.data());
    const auto* stop = start + text.size();
    size_t last_end = 0;
    bool have_last_match = false;
    size_t last_match_end = 0;
    while (last_end <= text.size()) {
        onig_region_clear(region.get());
        int r = onig_search(static_cast<regex_t*>(regex_), start, stop, start + last_end, stop, region.get(),
                            ONIG_OPTION_NONE);
        if (r == ONIG_MISMATCH) break;
        if (r < 0) {
            OnigUChar message[ONIG_MAX_ERROR_MESSAGE_LEN];
            onig_error_code_to_str(message, r);
            fail("regex search failed: {}", reinterpret_cast<const char*>(message));
        }
        size_t b = size_t(region->beg[0]), e = size_t(region->end[0]);
        if (b == e && have_last_match && last_match_end == e) {
            // The onig crate's iterator: no empty match right after the previous one; step one char.
            last_end += last_end < text.size() ? utf8_sequence_length(static_cast<unsigned char>(text[last_end])) : 1;
            continue;
        }
        last_end = e;
        have_last_match = true;
        last_match_end = e;
        matches.emplace_back(b, e);
    }
    return matches;
}

}  // namespace gavel::text
