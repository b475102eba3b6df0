#include "judge/con_j_verdict_parser.hpp"

#include <array>

namespace gavel {

namespace {

constexpr std::string_view kVerdictKey = "更好的回答";
constexpr std::string_view kRationaleKey = "原因";

// The soft search keys, in the evaluator's order (spaces inside some keys are part of them).
constexpr std::array<std::string_view, 21> kSoftKeys = {
    "更好的回答", "更好回答", "更好得回答", "更好地回答", "better_answer", "better answer", "更好答案",
    "更好得答案", "更好的答案", "更好地答案", "更佳回答", "更佳答案", "更好答", "最佳答案",
    "更好答 案", "更好 的 回答 ", "betterAnswer", "更好 的 回应 ", "更好得回应回答", "答案", "回答",
};

// Python's str.isspace() set, which str.strip() removes: ASCII \t\n\v\f\r, \x1c-\x1f and space, and
// U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000.
size_t python_space_length(std::string_view s, size_t i) {
    auto b = [&](size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
    unsigned c = b(i);
    if ((c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20)) return 1;
    if (c == 0xC2 && (b(i + 1) == 0x85 || b(i + 1) == 0xA0)) return 2;
    if (c == 0xE1 && b(i + 1) == 0x9A && b(i + 2) == 0x80) return 3;  // U+1680
    if (c == 0xE2 && b(i + 1) == 0x80 && ((b(i + 2) >= 0x80 && b(i + 2) <= 0x8A) || b(i + 2) == 0xA8 ||
                                          b(i + 2) == 0xA9 || b(i + 2) == 0xAF))
        return 3;  // U+2000-U+200A, U+2028, U+2029, U+202F
    if (c == 0xE2 && b(i + 1) == 0x81 && b(i + 2) == 0x9F) return 3;  // U+205F
    if (c == 0xE3 && b(i + 1) == 0x80 && b(i + 2) == 0x80) return 3;  // U+3000
    return 0;
}

// True when the UTF-8 sequence ending just before `end` is one of Python's white space characters.
size_t python_space_length_before(std::string_view s, size_t end) {
    for (size_t n = 1; n <= 3 && n <= end; ++n)
        if (python_space_length(s, end - n) == n) return n;
    return 0;
}

std::string python_strip(std::string text) {
    size_t begin = 0, end = text.size();
    while (begin < end) {
        size_t n = python_space_length(text, begin);
        if (n == 0) break;
        begin += n;
    }
    while (end > begin) {
        size_t n = python_space_length_before(text, end);
        if (n == 0) break;
        end -= n;
    }
    return text.substr(begin, end - begin);
}

bool has_verdict_key(const std::optional<Json>& j) { return j && j->is_object() && j->contains(kVerdictKey); }
bool is_object(const std::optional<Json>& j) { return j && j->is_object(); }

// The digit at s[i] when it is one of 1 2 １ ２ (Python's int() reads the fullwidth ones too).
std::optional<std::pair<int, size_t>> verdict_digit_at(std::string_view s, size_t i) {
    if (s[i] == '1' || s[i] == '2') return std::pair{s[i] - '0', size_t(1)};
    if (s.substr(i, 3) == "１") return std::pair{1, size_t(3)};
    if (s.substr(i, 3) == "２") return std::pair{2, size_t(3)};
    return std::nullopt;
}

// re.search(re.escape-free literal + r'(.*?)([12１２])', DOTALL): the first digit after the first occurrence
// of `literal` (a later occurrence cannot do better, since `.*?` crosses everything).
std::optional<int> digit_after(std::string_view text, std::string_view literal) {
    size_t at = text.find(literal);
    if (at == std::string_view::npos) return std::nullopt;
    for (size_t i = at + literal.size(); i < text.size(); ++i)
        if (auto d = verdict_digit_at(text, i)) return d->first;
    return std::nullopt;
}

// re.search(r'([12])(?=(?:[^1|^2])*?' + key + ')'): the first ASCII 1 or 2 followed by `key` with no
// character of the class [1|^2] in between (the evaluator's odd class excludes '|' and '^' as well).
std::optional<int> digit_before(std::string_view text, std::string_view key) {
    size_t key_at = text.find(key);
    for (size_t i = text.find_first_of("12"); i != std::string_view::npos; i = text.find_first_of("12", i + 1)) {
        while (key_at != std::string_view::npos && key_at < i + 1) key_at = text.find(key, key_at + 1);
        if (key_at == std::string_view::npos) return std::nullopt;
        size_t blocker = text.find_first_of("12|^", i + 1);
        if (blocker == std::string_view::npos || key_at < blocker) return text[i] - '0';
    }
    return std::nullopt;
}

// The evaluator's case_our_mode: for each key present in the text, rules (a), (b), (c) in order.
bool soft_search(std::string_view text, ConJParse& out) {
    for (std::string_view key : kSoftKeys) {
        if (text.find(key) == std::string_view::npos) continue;
        std::string quoted(1, '"');  // "K":
        quoted.append(key).append("\":");
        if (auto d = digit_after(text, quoted)) {
            out.better = *d;
            out.path = "soft-key-quoted";
        } else if (auto d2 = digit_after(text, key)) {
            out.better = *d2;
            out.path = "soft-key";
        } else if (auto d3 = digit_before(text, key)) {
            out.better = *d3;
            out.path = "soft-key-before";
        }
        if (out.better) {
            out.soft_key = std::string(key);
            return true;
        }
    }
    return false;
}

// The value of the verdict key as Python's `value in [1, 2]` sees it: True == 1 and 2.0 == 2.
std::optional<int> verdict_value(const Json& value) {
    if (value.is_boolean()) return value.get<bool>() ? std::optional<int>(1) : std::nullopt;
    if (value.is_number()) {
        double v = value.get<double>();
        if (v == 1.0) return 1;
        if (v == 2.0) return 2;
    }
    return std::nullopt;
}

}  // namespace

Verdict ConJParse::verdict() const {
    if (better == 1) return Verdict::AWins;
    if (better == 2) return Verdict::BWins;
    return Verdict::ParseFailed;
}

ConJParse ConJVerdictParser::parse(std::string_view generation) const {
    std::string text(generation);
    for (char& c : text)
        if (c == '\n') c = ' ';
    text = python_strip(std::move(text));
    const std::string_view t = text;

    ConJParse out;
    std::optional<Json> content;
    // (2) The first ```json fenced block. The evaluator's retry "with the last block" searches for a fence
    // inside the block's own text, so it never finds one: a first block without the key counts as nothing.
    if (t.find("```json") != std::string_view::npos) {
        size_t open = t.find("```json");
        size_t close = t.find("```", open + 7);
        if (close != std::string_view::npos) {
            content = json_.decode(t.substr(open + 7, close - open - 7));
            out.path = "fenced-json";
            if (!has_verdict_key(content)) content.reset();
        }
    }
    // (3) The whole text as JSON.
    if (!is_object(content) && !t.empty() && t.front() == '{') {
        content = json_.decode(t);
        out.path = "whole-json";
    }
    // (4) The first {...} span (up to the first '}' after the first '{'); if it is an object without the
    // key, "{" + the inner text of the last non-overlapping span + "}".
    if (!is_object(content) && t.find('{') != std::string_view::npos && t.find('}') != std::string_view::npos) {
        size_t open = t.find('{');
        size_t close = t.find('}', open + 1);
        if (close != std::string_view::npos) {
            content = json_.decode(t.substr(open, close - open + 1));
            out.path = "first-braces";
            if (content && !has_verdict_key(content)) {
                std::string_view last;
                for (size_t pos = 0;;) {
                    size_t o = t.find('{', pos);
                    if (o == std::string_view::npos) break;
                    size_t c = t.find('}', o + 1);
                    if (c == std::string_view::npos) break;
                    last = t.substr(o + 1, c - o - 1);
                    pos = c + 1;
                }
                std::string braced(1, '{');
                braced.append(last).push_back('}');
                content = json_.decode(braced);
                out.path = "last-braces";
            }
        }
    }
    if (has_verdict_key(content)) {
        out.better = verdict_value((*content)[std::string(kVerdictKey)]);
        auto reason = content->find(kRationaleKey);
        if (reason != content->end()) out.rationale = reason->is_string() ? reason->get<std::string>() : reason->dump();
        if (!out.better) out.path = "none";
        return out;
    }
    // (5) The soft key search.
    if (!soft_search(t, out)) out.path = "none";
    return out;
}

}  // namespace gavel
