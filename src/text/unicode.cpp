#include "text/unicode.hpp"

#include <algorithm>
#include <array>

#include "text/utf8.hpp"

namespace gavel::text::unicode_data {
struct DecompositionEntry {
    uint32_t code_point;
    uint16_t offset;
    uint8_t length;
};
struct CompositionEntry {
    uint32_t first, second, composite;
};
struct LowercaseEntry {
    uint32_t code_point;
    uint32_t mapping[3];
};
}  // namespace gavel::text::unicode_data

#include "text/unicode_tables.inc"

namespace gavel::text::unicode {
namespace {

using namespace unicode_data;

template <typename T, size_t N1, size_t N2>
constexpr T lookup(const uint16_t (&stage1)[N1], const T (&stage2)[N2], char32_t c) {
    if (c > 0x10FFFF) return T{};
    return stage2[size_t(stage1[c >> 8]) * 256 + (c & 0xFF)];
}

constexpr std::array<uint16_t, 128> ascii_classes() {
    std::array<uint16_t, 128> table{};
    for (char32_t c = 0; c < 128; ++c) table[c] = lookup(kClassStage1, kClassStage2, c);
    return table;
}
constexpr std::array<uint16_t, 128> kAscii = ascii_classes();

std::span<const char32_t> find_decomposition(std::span<const DecompositionEntry> table, char32_t c) {
    auto it = std::lower_bound(table.begin(), table.end(), c,
                               [](const DecompositionEntry& e, char32_t v) { return e.code_point < v; });
    if (it == table.end() || it->code_point != c) return {};
    return {kDecompositionData + it->offset, it->length};
}

}  // namespace

const uint16_t kAsciiClasses[128] = {
#define GAVEL_ASCII_ROW(i) \
    kAscii[i], kAscii[i + 1], kAscii[i + 2], kAscii[i + 3], kAscii[i + 4], kAscii[i + 5], kAscii[i + 6], kAscii[i + 7]
    GAVEL_ASCII_ROW(0),  GAVEL_ASCII_ROW(8),   GAVEL_ASCII_ROW(16),  GAVEL_ASCII_ROW(24),
    GAVEL_ASCII_ROW(32), GAVEL_ASCII_ROW(40),  GAVEL_ASCII_ROW(48),  GAVEL_ASCII_ROW(56),
    GAVEL_ASCII_ROW(64), GAVEL_ASCII_ROW(72),  GAVEL_ASCII_ROW(80),  GAVEL_ASCII_ROW(88),
    GAVEL_ASCII_ROW(96), GAVEL_ASCII_ROW(104), GAVEL_ASCII_ROW(112), GAVEL_ASCII_ROW(120),
#undef GAVEL_ASCII_ROW
};

uint16_t classes_slow(char32_t c) { return lookup(kClassStage1, kClassStage2, c); }

uint8_t combining_class(char32_t c) {
    if (c < 0x300) return 0;
    return lookup(kCombiningClassStage1, kCombiningClassStage2, c);
}

std::span<const char32_t> canonical_decomposition(char32_t c) {
    if (c < 0xC0) return {};
    return find_decomposition(kCanonicalDecomposition, c);
}

std::span<const char32_t> compatibility_decomposition(char32_t c) {
    if (c < 0xA0) return {};
    return find_decomposition(kCompatibilityDecomposition, c);
}

char32_t compose(char32_t a, char32_t b) {
    if (a >= kHangulLBase && a < kHangulLBase + kHangulLCount && b >= kHangulVBase && b < kHangulVBase + kHangulVCount)
        return kHangulSBase + ((a - kHangulLBase) * kHangulVCount + (b - kHangulVBase)) * kHangulTCount;
    if (is_hangul_syllable(a) && (a - kHangulSBase) % kHangulTCount == 0 && b > kHangulTBase &&
        b < kHangulTBase + kHangulTCount)
        return a + (b - kHangulTBase);
    const CompositionEntry* begin = kComposition;
    const CompositionEntry* end = kComposition + std::size(kComposition);
    auto it = std::lower_bound(begin, end, std::pair<char32_t, char32_t>(a, b),
                               [](const CompositionEntry& e, const std::pair<char32_t, char32_t>& v) {
                                   return e.first < v.first || (e.first == v.first && e.second < v.second);
                               });
    if (it == end || it->first != a || it->second != b) return 0;
    return it->composite;
}

size_t lowercase(char32_t c, char32_t out[3]) {
    if (c < 128) {
        out[0] = (c >= 'A' && c <= 'Z') ? c + 32 : c;
        return 1;
    }
    const LowercaseEntry* begin = kLowercase;
    const LowercaseEntry* end = kLowercase + std::size(kLowercase);
    auto it = std::lower_bound(begin, end, c, [](const LowercaseEntry& e, char32_t v) { return e.code_point < v; });
    if (it == end || it->code_point != c) {
        out[0] = c;
        return 1;
    }
    size_t n = 0;
    while (n < 3 && it->mapping[n] != 0) {
        out[n] = it->mapping[n];
        ++n;
    }
    return n;
}

void append_lowercase(std::string& out, char32_t c) {
    char32_t mapped[3];
    size_t n = lowercase(c, mapped);
    for (size_t i = 0; i < n; ++i) append_utf8(out, mapped[i]);
}

GraphemeProperties grapheme_properties(char32_t c) {
    uint8_t v = lookup(kGraphemeStage1, kGraphemeStage2, c);
    return {static_cast<GraphemeBreak>(v & 0x7F), (v & 0x80) != 0};
}

}  // namespace gavel::text::unicode
