// Character classes, case mapping, normalization and grapheme data as the Hugging Face tokenizers
// library sees them. Tables are generated at build time (unicode/generate_tables.py explains which
// Unicode version each class follows and why).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace gavel::text::unicode {

// Bits of classes(); the generator writes them (keep in sync with CLASS_BITS there).
enum ClassBit : uint16_t {
    kOnigLetter = 1u << 0,   // Oniguruma \p{L}
    kOnigNumber = 1u << 1,   // Oniguruma \p{N}
    kOnigSpace = 1u << 2,    // Oniguruma \s
    kOnigWord = 1u << 3,     // Oniguruma \w
    kWhiteSpace = 1u << 4,   // Rust char::is_whitespace
    kNumeric = 1u << 5,      // Rust char::is_numeric
    kPunctuation = 1u << 6,  // tokenizers' punctuation test (Punctuation and Bert pre-tokenizers)
    kRegexWord = 1u << 7,    // Rust regex crate \w (added tokens' single_word)
    kNfdStable = 1u << 8,    // a character that NFD never changes, whatever its neighbours
    kNfkdStable = 1u << 9,
    kNfcStable = 1u << 10,
    kNfkcStable = 1u << 11,
    kMark = 1u << 12,            // what StripAccents removes (general category M in the reference's Unicode 9.0 data)
    kBertControl = 1u << 13,     // what BertNormalizer's clean_text removes (Cc, Cf, Co, Cs in Unicode 9.0)
    kNonspacingMark = 1u << 14,  // what BertNormalizer's accent stripping removes (Mn of an old Unicode)
};

uint16_t classes_slow(char32_t c);

// ASCII is answered from a small table; everything else from the generated two-stage table.
extern const uint16_t kAsciiClasses[128];
inline uint16_t classes(char32_t c) { return c < 128 ? kAsciiClasses[c] : classes_slow(c); }

inline bool has(char32_t c, uint16_t bits) { return (classes(c) & bits) != 0; }

// Canonical combining class (Unicode 9.0, as the reference's normalizer).
uint8_t combining_class(char32_t c);

// Full (recursive) decompositions, Unicode 9.0; empty when the character does not decompose.
// Hangul syllables are decomposed algorithmically by the caller (see hangul_*).
std::span<const char32_t> canonical_decomposition(char32_t c);
std::span<const char32_t> compatibility_decomposition(char32_t c);

// The primary composite of (a, b), including Hangul, or 0 when there is none.
char32_t compose(char32_t a, char32_t b);

constexpr char32_t kHangulSBase = 0xAC00, kHangulLBase = 0x1100, kHangulVBase = 0x1161, kHangulTBase = 0x11A7;
constexpr uint32_t kHangulLCount = 19, kHangulVCount = 21, kHangulTCount = 28;
constexpr uint32_t kHangulNCount = kHangulVCount * kHangulTCount, kHangulSCount = kHangulLCount * kHangulNCount;
inline bool is_hangul_syllable(char32_t c) { return c >= kHangulSBase && c < kHangulSBase + kHangulSCount; }

// Appends the Rust char::to_lowercase mapping of c (one to three code points) to out as UTF-8.
void append_lowercase(std::string& out, char32_t c);
// The lowercase mapping as code points; returns how many (1..3).
size_t lowercase(char32_t c, char32_t out[3]);

// Grapheme_Cluster_Break values (UAX #29).
enum class GraphemeBreak : uint8_t {
    Other,
    CR,
    LF,
    Control,
    Extend,
    ZWJ,
    RegionalIndicator,
    Prepend,
    SpacingMark,
    L,
    V,
    T,
    LV,
    LVT
};
struct GraphemeProperties {
    GraphemeBreak value;
    bool extended_pictographic;
};
GraphemeProperties grapheme_properties(char32_t c);

}  // namespace gavel::text::unicode
