// Hand-written matchers for the split regexes of the GPT family, which tokenizer.json files spell
// out literally and which dominate tokenization time. Each gives exactly the matches Oniguruma gives
// for the same pattern (tests/text check this against the generic path), in one pass:
//   GPT-2 (ByteLevel's built-in):  's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//   Qwen2 / Llama-3 / cl100k:      (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,K}
//                                  | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+   (K = 1 or 3)
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace gavel::text {

class GptSplitPattern {
public:
    // The matcher for `regex` when it is one of the patterns above, spelled exactly.
    static std::optional<GptSplitPattern> recognize(std::string_view regex);
    static GptSplitPattern gpt2();

    // End of the match that starts at byte `begin`, or `begin` when no alternative matches there.
    size_t match_at(std::string_view text, size_t begin) const;

    // Calls on_match(begin, end) for every match, in order (as a regex search loop would find them).
    template <typename F>
    void for_each_match(std::string_view text, F&& on_match) const {
        size_t i = 0;
        while (i < text.size()) {
            size_t end = match_at(text, i);
            if (end == i) {
                ++i;
                while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) ++i;
                continue;
            }
            on_match(i, end);
            i = end;
        }
    }

private:
    enum class Kind { Gpt2, Cl100k };
    GptSplitPattern(Kind kind, size_t max_digits) : kind_(kind), max_digits_(max_digits) {}
    size_t match_gpt2(std::string_view text, size_t begin) const;
    size_t match_cl100k(std::string_view text, size_t begin) const;

    Kind kind_;
    size_t max_digits_;
};

}  // namespace gavel::text
