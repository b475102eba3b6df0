// Reads the list field of a "Sequence" component of tokenizer.json (normalizers, pretokenizers,
// processors, decoders), building each element with the factory of its kind.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/json.hpp"

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

}  // namespace gavel::text
