#include "text/gpt_split_pattern.hpp"

#include "text/unicode.hpp"
#include "text/utf8.hpp"

namespace gavel::text {
namespace {

constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
constexpr std::string_view kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kCl100kPattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

enum CharKind : uint8_t { kEnd, kLetter, kNumber, kSpace, kOther };

struct Cursor {
    std::string_view text;

    // Kind of the character at byte i and the byte after it.
    CharKind kind_at(size_t i, size_t& next) const {
        if (i >= text.size()) {
            next = i;
            return kEnd;
        }
        next = i;
        char32_t c = decode_utf8(text, next);
        uint16_t cls = unicode::classes(c);
        if (cls & unicode::kOnigLetter) return kLetter;
        if (cls & unicode::kOnigNumber) return kNumber;
        if (cls & unicode::kOnigSpace) return kSpace;
        return kOther;
    }
    CharKind kind_at(size_t i) const {
        size_t next;
        return kind_at(i, next);
    }
    // End of the run of characters of kind k starting at i.
    size_t run(size_t i, CharKind k) const {
        size_t next;
        while (kind_at(i, next) == k) i = next;
        return i;
    }
    char byte(size_t i) const { return i < text.size() ? text[i] : '\0'; }
};

// 's 't 're 've 'm 'll 'd after an apostrophe at `begin`; case-insensitive adds S/T/... and the
// long s (U+017F), which Unicode case folding maps to 's'.
size_t contraction(const Cursor& cur, size_t begin, bool ignore_case) {
    if (cur.byte(begin) != '\'') return begin;
    size_t i = begin + 1;
    auto is = [&](size_t at, char lower) {
        char b = cur.byte(at);
        return b == lower || (ignore_case && b == lower - 32);
    };
    if (is(i, 's')) return i + 1;
    if (ignore_case && cur.byte(i) == '\xC5' && cur.byte(i + 1) == '\xBF') return i + 2;  // U+017F
    if (is(i, 't')) return i + 1;
    if (is(i, 'r') && is(i + 1, 'e')) return i + 2;
    if (is(i, 'v') && is(i + 1, 'e')) return i + 2;
    if (is(i, 'm')) return i + 1;
    if (is(i, 'l') && is(i + 1, 'l')) return i + 2;
    if (is(i, 'd')) return i + 1;
    return begin;
}

// The whitespace alternatives shared by both patterns: \s+(?!\S) then \s+. `end` is the end of the
// whitespace run that starts at `begin`.
size_t trailing_space_rule(const Cursor& cur, size_t begin, size_t end) {
    if (end >= cur.text.size()) return end;  // \s+ up to the end of the text
    // (?!\S) fails at `end`; backtrack one character, which is whitespace.
    size_t last = end - 1;
    while ((static_cast<unsigned char>(cur.text[last]) & 0xC0) == 0x80) --last;
    if (last > begin) return last;
    return end;  // \s+
}

}  // namespace

std::optional<GptSplitPattern> GptSplitPattern::recognize(std::string_view regex) {
    if (regex == kGpt2Pattern) return GptSplitPattern(Kind::Gpt2, 0);
    if (regex == kQwen2Pattern) return GptSplitPattern(Kind::Cl100k, 1);
    if (regex == kCl100kPattern) return GptSplitPattern(Kind::Cl100k, 3);
    return std::nullopt;
}

GptSplitPattern GptSplitPattern::gpt2() { return GptSplitPattern(Kind::Gpt2, 0); }

size_t GptSplitPattern::match_at(std::string_view text, size_t begin) const {
    return kind_ == Kind::Gpt2 ? match_gpt2(text, begin) : match_cl100k(text, begin);
}

size_t GptSplitPattern::match_gpt2(std::string_view text, size_t begin) const {
    Cursor cur{text};
    size_t end = contraction(cur, begin, false);
    if (end != begin) return end;
    size_t next;
    CharKind k0 = cur.kind_at(begin, next);
    size_t after_space = begin;
    CharKind k = k0;
    if (cur.byte(begin) == ' ') {
        size_t next2;
        CharKind k1 = cur.kind_at(next, next2);
        if (k1 == kLetter || k1 == kNumber || k1 == kOther) {
            after_space = next;
            k = k1;
        }
    }
    if (k == kLetter || k == kNumber || k == kOther) return cur.run(after_space, k);
    if (k0 == kSpace) return trailing_space_rule(cur, begin, cur.run(begin, kSpace));
    return begin;
}

size_t GptSplitPattern::match_cl100k(std::string_view text, size_t begin) const {
    Cursor cur{text};
    size_t end = contraction(cur, begin, true);
    if (end != begin) return end;
    size_t next;
    CharKind k0 = cur.kind_at(begin, next);
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (k0 == kLetter) return cur.run(begin, kLetter);
    char b0 = cur.byte(begin);
    if (k0 != kNumber && k0 != kEnd && b0 != '\r' && b0 != '\n' && cur.kind_at(next) == kLetter)
        return cur.run(next, kLetter);
    // \p{N}{1,K}
    if (k0 == kNumber) {
        size_t i = begin;
        for (size_t count = 0; count < max_digits_; ++count) {
            size_t after;
            if (cur.kind_at(i, after) != kNumber) break;
            i = after;
        }
        return i;
    }
    // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
    size_t others = begin;
    if (b0 == ' ' && cur.kind_at(next) == kOther) others = next;
    if (cur.kind_at(others) == kOther) {
        size_t i = cur.run(others, kOther);
        while (cur.byte(i) == '\r' || cur.byte(i) == '\n') ++i;
        return i;
    }
    if (k0 != kSpace) return begin;
    size_t space_end = cur.run(begin, kSpace);
    // \s*[\r\n]+ : up to and including the last line break of the whitespace run.
    for (size_t i = space_end; i > begin; --i) {
        char b = text[i - 1];
        if (b == '\r' || b == '\n') return i;
    }
    return trailing_space_rule(cur, begin, space_end);
}

}  // namespace gavel::text
