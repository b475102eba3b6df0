// UTF-8 helpers for the tokenizer pipeline: decoding of text already known to be valid, validation
// with the byte offset of the first bad sequence, and Rust's lossy decoding (used by decoders).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gavel::text {

// Bytes in the sequence that starts with `lead` (1 for continuation or invalid bytes, so that
// loops over valid text always advance).
inline size_t utf8_sequence_length(unsigned char lead) {
    if (lead < 0x80) return 1;
    if (lead >= 0xF0) return 4;
    if (lead >= 0xE0) return 3;
    if (lead >= 0xC0) return 2;
    return 1;
}

// Decodes the code point at s[i] and advances i past it. `s` must be valid UTF-8.
inline char32_t decode_utf8(const char* s, size_t& i) {
    const auto* p = reinterpret_cast<const unsigned char*>(s) + i;
    unsigned char b0 = p[0];
    if (b0 < 0x80) {
        i += 1;
        return b0;
    }
    if (b0 < 0xE0) {
        i += 2;
        return (char32_t(b0 & 0x1F) << 6) | (p[1] & 0x3F);
    }
    if (b0 < 0xF0) {
        i += 3;
        return (char32_t(b0 & 0x0F) << 12) | (char32_t(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    }
    i += 4;
    return (char32_t(b0 & 0x07) << 18) | (char32_t(p[1] & 0x3F) << 12) | (char32_t(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
}

inline char32_t decode_utf8(std::string_view s, size_t& i) { return decode_utf8(s.data(), i); }

inline size_t utf8_encoded_length(char32_t c) { return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4; }

inline void append_utf8(std::string& out, char32_t c) {
    if (c < 0x80) {
        out.push_back(char(c));
    } else if (c < 0x800) {
        out.push_back(char(0xC0 | (c >> 6)));
        out.push_back(char(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
        out.push_back(char(0xE0 | (c >> 12)));
        out.push_back(char(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(char(0x80 | (c & 0x3F)));
    } else {
        out.push_back(char(0xF0 | (c >> 18)));
        out.push_back(char(0x80 | ((c >> 12) & 0x3F)));
        out.push_back(char(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(char(0x80 | (c & 0x3F)));
    }
}

// Byte offset of the first byte that does not start a valid UTF-8 sequence (overlong forms,
// surrogates and code points above U+10FFFF are invalid), or std::string_view::npos.
size_t find_invalid_utf8(std::string_view s);

// Length of the valid UTF-8 sequence at s[i], or 0 when none starts there.
size_t valid_utf8_sequence_length(std::string_view s, size_t i);

// Decodes bytes as Rust's String::from_utf8_lossy does: each maximal invalid subpart becomes one
// U+FFFD. The byte-level decoders produce arbitrary bytes, and HF decodes them this way.
std::string utf8_lossy(std::string_view bytes);

// Number of code points in valid UTF-8.
size_t count_code_points(std::string_view s);

}  // namespace gavel::text
