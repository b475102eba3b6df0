#include "text/split_pattern.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace gavel::text {

SplitPattern SplitPattern::literal(std::string text) {
    SplitPattern p;
    if (text.empty()) {
        // HF escapes the literal into a regex; the empty regex matches between every character.
        p.onig_ = std::make_shared<OnigRegex>("", "split pattern");
    }
    p.literal_ = std::move(text);
    return p;
}

SplitPattern SplitPattern::regex(std::string_view regex, std::string_view where) {
    SplitPattern p;
    p.native_ = GptSplitPattern::recognize(regex);
    if (!p.native_) p.onig_ = std::make_shared<OnigRegex>(regex, where);
    return p;
}

SplitPattern SplitPattern::oniguruma(std::string_view regex, std::string_view where) {
    SplitPattern p;
    p.onig_ = std::make_shared<OnigRegex>(regex, where);
    return p;
}

SplitPattern SplitPattern::gpt2() {
    SplitPattern p;
    p.native_ = GptSplitPattern::gpt2();
    return p;
}

SplitPattern SplitPattern::from_json(const Json& pattern, std::string_view where) {
    if (!pattern.is_object() || pattern.size() != 1)
        fail("{}: must be an object with one key, \"String\" or \"Regex\"", where);
    auto it = pattern.begin();
    if (!it.value().is_string()) fail("{}.{}: must be a string", where, it.key());
    std::string value = it.value().get<std::string>();
    if (it.key() == "String") return literal(std::move(value));
    if (it.key() == "Regex") return regex(value, fmt::format("{}.Regex", where));
    fail("{}: unknown pattern kind '{}' (expected \"String\" or \"Regex\")", where, it.key());
}

void SplitPattern::find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const {
    if (native_) {
        native_->for_each_match(text, [&](size_t b, size_t e) { out.emplace_back(b, e); });
    } else if (onig_) {
        auto matches = onig_->find_all(text);
        out.insert(out.end(), matches.begin(), matches.end());
    } else {
        size_t from = 0;
        while (true) {
            size_t at = text.find(literal_, from);
            if (at == std::string_view::npos) break;
            out.emplace_back(at, at + literal_.size());
            from = at + literal_.size();
        }
    }
}

std::vector<PatternSpan> SplitPattern::find_matches(std::string_view text) const {
    std::vector<PatternSpan> spans;
    if (text.empty()) {
        spans.push_back({0, 0, false});
        return spans;
    }
    std::vector<std::pair<size_t, size_t>> matches;
    find_all(text, matches);
    size_t previous = 0;
    for (auto [b, e] : matches) {
        if (previous != b) spans.push_back({previous, b, false});
        spans.push_back({b, e, true});
        previous = e;
    }
    if (previous != text.size()) spans.push_back({previous, text.size(), false});
    return spans;
}

SplitBehavior parse_split_behavior(const Json& value, std::string_view where) {
    if (!value.is_string()) fail("{}: must be a string", where);
    std::string s = value.get<std::string>();
    if (s == "Removed") return SplitBehavior::Removed;
    if (s == "Isolated") return SplitBehavior::Isolated;
    if (s == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
    if (s == "MergedWithNext") return SplitBehavior::MergedWithNext;
    if (s == "Contiguous") return SplitBehavior::Contiguous;
    fail(
        "{}: unknown split behavior '{}' (expected Removed, Isolated, MergedWithPrevious, MergedWithNext or "
        "Contiguous)",
        where, s);
}

void split_normalized(const NormalizedString& text, std::vector<PatternSpan> spans, SplitBehavior behavior,
                      std::vector<NormalizedString>& out) {
    struct Piece {
        size_t begin, end;
        bool remove;
    };
    std::vector<Piece> pieces;
    pieces.reserve(spans.size());
    switch (behavior) {
        case SplitBehavior::Isolated:
            for (const auto& s : spans) pieces.push_back({s.begin, s.end, false});
            break;
        case SplitBehavior::Removed:
            for (const auto& s : spans) pieces.push_back({s.begin, s.end, s.is_match});
            break;
        case SplitBehavior::Contiguous: {
            bool previous_match = false;
            for (const auto& s : spans) {
                if (s.is_match == previous_match && !pieces.empty()) {
                    pieces.back().end = s.end;
                } else {
                    pieces.push_back({s.begin, s.end, false});
                }
                previous_match = s.is_match;
            }
            break;
        }
        case SplitBehavior::MergedWithPrevious: {
            bool previous_match = false;
            for (const auto& s : spans) {
                if (s.is_match && !previous_match && !pieces.empty()) {
                    pieces.back().end = s.end;
                } else {
                    pieces.push_back({s.begin, s.end, false});
                }
                previous_match = s.is_match;
            }
            break;
        }
        case SplitBehavior::MergedWithNext: {
            bool previous_match = false;
            for (size_t k = spans.size(); k-- > 0;) {
                const auto& s = spans[k];
                if (s.is_match && !previous_match && !pieces.empty()) {
                    pieces.back().begin = s.begin;
                } else {
                    pieces.push_back({s.begin, s.end, false});
                }
                previous_match = s.is_match;
            }
            std::reverse(pieces.begin(), pieces.end());
            break;
        }
    }
    for (const auto& p : pieces)
        if (!p.remove && p.end > p.begin) out.push_back(text.slice(p.begin, p.end));
}

}  // namespace gavel::text
