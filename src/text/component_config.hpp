// Helpers for reading the component objects of tokenizer.json: the list field of a "Sequence"
// component (normalizers, pretokenizers, processors, decoders) and one-character fields.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/json.hpp"
#include "text/utf8.hpp"

namespace gavel::text {

// make(element, where) returns nullptr for a null element, which is skipped. Errors name
// "WHERE.KEY[i]".
template <typename T, typename Make>
std::vector<std::unique_ptr<T>> read_component_list(const Json& config, const char* key, const std::string& where,
                                                    Make make) {
    const Json& list = require_field(config, key, where);
    if (!list.is_array()) fail("{}: field '{}' must be an array", where, key);
    std::vector<std::unique_ptr<T>> parts;
    for (size_t i = 0; i < list.size(); ++i) {
        auto part = make(list[i], fmt::format("{}.{}[{}]", where, key, i));
        if (part) parts.push_back(std::move(part));
    }
    return parts;
}

// The single character a field such as Metaspace's "replacement" must hold.
inline char32_t read_single_char(const std::string& s, std::string_view field, std::string_view where) {
    size_t i = 0;
    if (s.empty()) fail("{}: field '{}' must be one character, got an empty string", where, field);
    char32_t c = decode_utf8(s, i);
    if (i != s.size()) fail("{}: field '{}' must be one character, got '{}'", where, field, s);
    return c;
}

}  // namespace gavel::text
