#include "text/utf8.hpp"

#include <cstring>

namespace gavel::text {
namespace {

inline bool is_continuation(unsigned char b) { return (b & 0xC0) == 0x80; }

// Walks the sequence at s[i] the way Rust's Utf8Chunks does. Returns the sequence length when
// valid; otherwise 0, with `prefix` set to the length of the maximal subpart that has to be replaced.
size_t check_sequence(std::string_view s, size_t i, size_t& prefix) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    size_t n = s.size();
    unsigned char first = p[i];
    prefix = 1;
    if (first < 0x80) return 1;
    auto at = [&](size_t k) -> int { return i + k < n ? p[i + k] : -1; };
    if (first >= 0xC2 && first <= 0xDF) {
        int b1 = at(1);
        return b1 >= 0 && is_continuation(static_cast<unsigned char>(b1)) ? 2 : 0;
    }
    if (first >= 0xE0 && first <= 0xEF) {
        int b1 = at(1);
        bool ok = (first == 0xE0 && b1 >= 0xA0 && b1 <= 0xBF) ||
                  (first >= 0xE1 && first <= 0xEC && b1 >= 0x80 && b1 <= 0xBF) ||
                  (first == 0xED && b1 >= 0x80 && b1 <= 0x9F) || (first >= 0xEE && b1 >= 0x80 && b1 <= 0xBF);
        if (!ok) return 0;
        prefix = 2;
        int b2 = at(2);
        return b2 >= 0 && is_continuation(static_cast<unsigned char>(b2)) ? 3 : 0;
    }
    if (first >= 0xF0 && first <= 0xF4) {
        int b1 = at(1);
        bool ok = (first == 0xF0 && b1 >= 0x90 && b1 <= 0xBF) ||
                  (first >= 0xF1 && first <= 0xF3 && b1 >= 0x80 && b1 <= 0xBF) ||
                  (first == 0xF4 && b1 >= 0x80 && b1 <= 0x8F);
        if (!ok) return 0;
        prefix = 2;
        int b2 = at(2);
        if (b2 < 0 || !is_continuation(static_cast<unsigned char>(b2))) return 0;
        prefix = 3;
        int b3 = at(3);
        return b3 >= 0 && is_continuation(static_cast<unsigned char>(b3)) ? 4 : 0;
    }
    return 0;
}

}  // namespace

size_t valid_utf8_sequence_length(std::string_view s, size_t i) {
    size_t prefix;
    return check_sequence(s, i, prefix);
}

size_t find_invalid_utf8(std::string_view s) {
    size_t i = 0, n = s.size();
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    while (i < n) {
        // ASCII runs dominate real text: test eight bytes at a time.
        while (i + 8 <= n) {
            uint64_t word;
            std::memcpy(&word, p + i, 8);
            if (word & 0x8080808080808080ull) break;
            i += 8;
        }
        if (i >= n) break;
        if (p[i] < 0x80) {
            ++i;
            continue;
        }
        size_t prefix;
        size_t len = check_sequence(s, i, prefix);
        if (len == 0) return i;
        i += len;
    }
    return std::string_view::npos;
}

std::string utf8_lossy(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size());
    size_t i = 0;
    while (i < bytes.size()) {
        size_t prefix;
        size_t len = check_sequence(bytes, i, prefix);
        if (len > 0) {
            out.append(bytes.data() + i, len);
            i += len;
        } else {
            out.append("\xEF\xBF\xBD");
            i += prefix;
        }
    }
    return out;
}

size_t count_code_points(std::string_view s) {
    size_t count = 0;
    for (unsigned char c : s) count += (c & 0xC0) != 0x80;
    return count;
}

}  // namespace gavel::text
