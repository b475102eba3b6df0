#include "text/precompiled_normalizer.hpp"

#include <cstring>

#include "core/error.hpp"
#include "text/grapheme.hpp"
#include "text/utf8.hpp"

namespace gavel::text {
namespace {

// Double-array units as SentencePiece (darts-clone) packs them.
inline bool has_leaf(uint64_t unit) { return ((unit >> 8) & 1) == 1; }
inline uint64_t value_of(uint64_t unit) { return unit & ((1ull << 31) - 1); }
inline uint64_t label_of(uint64_t unit) { return unit & ((1ull << 31) | 0xFF); }
inline uint64_t offset_of(uint64_t unit) { return (unit >> 10) << ((unit & (1ull << 9)) >> 6); }

// HF marks each new character with how the character count changed: the first one carries the
// difference, the following ones their index (any positive value means "inserted").
void push_replacement(std::vector<CharChange>& changes, std::string_view replacement, size_t old_count) {
    size_t new_count = count_code_points(replacement);
    size_t i = 0, index = 0;
    while (i < replacement.size()) {
        char32_t c = decode_utf8(replacement, i);
        int32_t change = index == 0 ? int32_t(new_count) - int32_t(old_count) : int32_t(index);
        changes.push_back({c, change});
        ++index;
    }
}

}  // namespace

std::optional<std::string> decode_base64(std::string_view text) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    if (text.size() % 4 != 0) return std::nullopt;
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (size_t i = 0; i < text.size(); i += 4) {
        int v[4];
        size_t padding = 0;
        for (size_t k = 0; k < 4; ++k) {
            char c = text[i + k];
            if (c == '=' && i + 4 == text.size() && k >= 2) {
                v[k] = 0;
                ++padding;
                continue;
            }
            if (padding > 0) return std::nullopt;  // data after '='
            v[k] = value(c);
            if (v[k] < 0) return std::nullopt;
        }
        uint32_t triple = (uint32_t(v[0]) << 18) | (uint32_t(v[1]) << 12) | (uint32_t(v[2]) << 6) | uint32_t(v[3]);
        out.push_back(char(triple >> 16));
        if (padding < 2) out.push_back(char((triple >> 8) & 0xFF));
        if (padding < 1) out.push_back(char(triple & 0xFF));
    }
    return out;
}

PrecompiledCharsmap::PrecompiledCharsmap(std::string charsmap, std::string_view where) {
    if (charsmap.size() < 4)
        fail("{}: precompiled_charsmap is {} bytes, too short for its trie size", where, charsmap.size());
    uint32_t trie_size;
    std::memcpy(&trie_size, charsmap.data(), 4);
    if (trie_size % 4 != 0 || trie_size > charsmap.size() - 4)
        fail("{}: precompiled_charsmap declares a trie of {} bytes but holds {}", where, trie_size,
             charsmap.size() - 4);
    units_.resize(trie_size / 4);
    std::memcpy(units_.data(), charsmap.data() + 4, trie_size);
    if (units_.empty()) fail("{}: precompiled_charsmap has an empty trie", where);
    normalized_ = charsmap.substr(4 + trie_size);
    if (find_invalid_utf8(normalized_) != std::string::npos)
        fail("{}: precompiled_charsmap replacement strings are not valid UTF-8", where);
    uint64_t root = offset_of(units_[0]);
    for (unsigned b = 1; b < 256; ++b) {
        uint64_t pos = root ^ b;
        first_byte_has_key_[b] = pos < units_.size() && label_of(units_[pos]) == b;
    }
}

std::optional<std::string_view> PrecompiledCharsmap::shortest_match(std::string_view key) const {
    if (key.empty() || !first_byte_has_key_[static_cast<unsigned char>(key[0])]) return std::nullopt;
    uint64_t node = offset_of(units_[0]);
    for (char ch : key) {
        auto c = static_cast<unsigned char>(ch);
        if (c == 0) break;
        node ^= c;
        if (node >= units_.size()) return std::nullopt;
        uint64_t unit = units_[node];
        if (label_of(unit) != c) return std::nullopt;
        node ^= offset_of(unit);
        if (node >= units_.size()) return std::nullopt;
        if (has_leaf(unit)) {
            uint64_t index = value_of(units_[node]);
            // A value pointing inside a character would cut the UTF-8 apart; such a map is broken.
            if (index > normalized_.size() ||
                (index < normalized_.size() && (static_cast<unsigned char>(normalized_[index]) & 0xC0) == 0x80))
                return std::nullopt;
            size_t end = normalized_.find('\0', index);
            if (end == std::string::npos) end = normalized_.size();
            return std::string_view(normalized_).substr(index, end - index);
        }
    }
    return std::nullopt;
}

void PrecompiledCharsmap::normalize(NormalizedString& text) const {
    const std::string& s = text.get();
    const bool tracked = text.tracks_alignments();
    std::string out;
    std::vector<CharChange> changes;
    bool modified = false;
    size_t i = 0;
    auto keep = [&](size_t begin, size_t end) {
        out.append(s, begin, end - begin);
        if (tracked) {
            size_t k = begin;
            while (k < end) changes.push_back({decode_utf8(s, k), 0});
        }
    };
    out.reserve(s.size());
    while (i < s.size()) {
        size_t end = next_grapheme_boundary(s, i);
        std::string_view grapheme(s.data() + i, end - i);
        if (grapheme.size() < 6) {
            if (auto replacement = shortest_match(grapheme)) {
                modified = true;
                out.append(*replacement);
                if (tracked) push_replacement(changes, *replacement, count_code_points(grapheme));
                i = end;
                continue;
            }
        }
        size_t k = i;
        while (k < end) {
            size_t char_end = k + utf8_sequence_length(static_cast<unsigned char>(s[k]));
            auto replacement = shortest_match(std::string_view(s.data() + k, char_end - k));
            if (replacement) {
                modified = true;
                out.append(*replacement);
                if (tracked) push_replacement(changes, *replacement, 1);
            } else {
                keep(k, char_end);
            }
            k = char_end;
        }
        i = end;
    }
    if (!modified) return;
    if (tracked) {
        text.transform(changes, 0);
    } else {
        text.assign(std::move(out), {});
    }
}

}  // namespace gavel::text
