// What Split pre-tokenizers and Replace normalizers/decoders look for: a literal string, a regex
// (Oniguruma, or the hand-written GPT matchers for the patterns they cover), and how a
// NormalizedString is cut at the matches (HF's SplitDelimiterBehavior).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"
#include "text/gpt_split_pattern.hpp"
#include "text/normalized_string.hpp"
#include "text/onig_regex.hpp"

namespace gavel::text {

// A stretch of text and whether the pattern matched it. find_matches covers the whole text.
struct PatternSpan {
    size_t begin, end;
    bool is_match;
};

class SplitPattern {
public:
    static SplitPattern literal(std::string text);
    // Uses a GptSplitPattern when `regex` is one of its patterns, Oniguruma otherwise.
    static SplitPattern regex(std::string_view regex, std::string_view where);
    // Only Oniguruma (tests compare it with the hand-written matchers).
    static SplitPattern oniguruma(std::string_view regex, std::string_view where);
    static SplitPattern gpt2();
    // Reads {"String": "..."} or {"Regex": "..."}.
    static SplitPattern from_json(const Json& pattern, std::string_view where);

    // Matches as [begin, end) ranges, in order, without overlaps.
    void find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const;
    // HF Pattern::find_matches: alternating non-matching and matching spans covering `text`
    // (a single non-matching (0, 0) span for empty text).
    std::vector<PatternSpan> find_matches(std::string_view text) const;

    bool is_native() const { return native_.has_value(); }

private:
    std::string literal_;
    std::shared_ptr<const OnigRegex> onig_;
    std::optional<GptSplitPattern> native_;
};

enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

SplitBehavior parse_split_behavior(const Json& value, std::string_view where);

// HF NormalizedString::split: cuts `text` at the spans (is_match flags possibly inverted already)
// and appends the non-empty pieces to `out`.
void split_normalized(const NormalizedString& text, std::vector<PatternSpan> spans, SplitBehavior behavior,
                      std::vector<NormalizedString>& out);

}  // namespace gavel::text
