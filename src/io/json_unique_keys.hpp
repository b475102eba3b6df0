// JSON parsing for files where a repeated key is corruption, not "last one wins": safetensors
// headers and shard indexes, where a silently dropped duplicate would hide a tensor.
#pragma once

#include <string>
#include <string_view>

#include "core/json.hpp"

namespace gavel {

// Parses `text` like parse_json, but fails on a key that appears twice in one object
// ("WHERE: duplicate key 'x' in 'weight_map'") and on nesting deeper than `max_depth`
// (the files this reads are shallow; the bound keeps hostile input from exhausting the stack
// when an error message prints a value).
Json parse_json_unique_keys(std::string_view text, std::string_view where, int max_depth = 32);

// A short rendering of a JSON value for error messages, cut to about 60 characters.
std::string json_excerpt(const Json& value);

}  // namespace gavel
