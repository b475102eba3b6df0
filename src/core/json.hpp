// JSON for everything gavel reads and writes (nlohmann::json), with helpers whose errors name
// the file and field at fault.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace gavel {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

// Parses a whole file; the error names the path and the byte offset of a syntax error.
Json read_json_file(const std::string& path);
// Parses `text`; `where` (a path, "stdin line 3", ...) starts any error message.
Json parse_json(std::string_view text, std::string_view where);

// Typed field access with messages like "config.json: field 'hidden_size' must be an integer".
const Json& require_field(const Json& object, std::string_view key, std::string_view where);
std::string require_string(const Json& object, std::string_view key, std::string_view where);
int64_t require_int(const Json& object, std::string_view key, std::string_view where);
double require_number(const Json& object, std::string_view key, std::string_view where);
bool optional_bool(const Json& object, std::string_view key, bool fallback, std::string_view where);
int64_t optional_int(const Json& object, std::string_view key, int64_t fallback, std::string_view where);
double optional_number(const Json& object, std::string_view key, double fallback, std::string_view where);
std::string optional_string(const Json& object, std::string_view key, std::string_view fallback,
                            std::string_view where);

}  // namespace gavel
