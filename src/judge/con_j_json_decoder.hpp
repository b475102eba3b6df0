// The JSON decoding of Con-J's evaluator: Python's json.loads, falling back to demjson.decode (non-strict,
// tolerant), failure giving nothing. One lenient parser accepts the union of both (strict JSON decodes the
// same under either) and rejects what both reject, so a judge's verdict parses as it did for the authors.
#pragma once

#include <optional>
#include <string_view>

#include "core/json.hpp"

namespace gavel {

// Accepted beyond RFC 8259, as demjson 2.2.4's default (every non-standard behaviour a warning, not an
// error): single-quoted strings; identifier and number keys; trailing commas in arrays and objects; elided
// array elements ([1,,2], as null); // and /* */ comments; NaN, Infinity, +/-Infinity, undefined (as
// null); hex (0x1F), octal (0o17) and binary (0b101) integers, and legacy octal (010 == 8); any run of
// leading +/- signs; ".5" and "5."; the JavaScript escapes \' \v \xHH \u{...}, octal escapes (\0, \12,
// \377) and other escapes standing for the character; raw control characters and U+2028/U+2029 in
// strings; duplicate keys (the last wins, as for a Python dict).
// Rejected as by both references: text after the value; raw CR/LF inside strings; white space other than
// space, tab, CR, LF (demjson skips no Unicode spaces between tokens); bare words as values (including
// Python's True/False/None); missing commas or colons; unterminated input; 08 and 09; and demjson's
// start-of-text check ("gibberish": the first two characters, unless the first is a quote, must be ASCII
// or white space / format characters).
// Numbers decode as integers when integral literals fit in int64 (Python int), else as doubles.
// Not thread-safe: one decoder per thread (it holds compiled Unicode character classes).
class ConJJsonDecoder {
public:
    ConJJsonDecoder();
    ~ConJJsonDecoder();
    ConJJsonDecoder(const ConJJsonDecoder&) = delete;
    ConJJsonDecoder& operator=(const ConJJsonDecoder&) = delete;

    // The decoded value, or nullopt where json.loads and demjson.decode would both raise.
    std::optional<Json> decode(std::string_view text) const;

    // demjson's identifier characters (Python's str.isalpha() or "_$" to start; str.isalnum() or "_$",
    // ZWNJ, ZWJ to continue), for unquoted keys.
    bool is_identifier_start(char32_t c) const;
    bool is_identifier_part(char32_t c) const;
    // demjson's isws (" \t\n\r\f\v" or category Zs) and the categories Zs, Zl, Zp, Cf: its start check.
    bool is_unicode_space(char32_t c) const;
    bool is_separator_or_format(char32_t c) const;

private:
    enum Class { kIdentifierStart, kIdentifierPart, kSpace, kSeparatorOrFormat, kClassCount };
    bool in_class(Class k, char32_t c) const;
    void* classes_[kClassCount] = {};  // OnigRegex each
};

}  // namespace gavel
