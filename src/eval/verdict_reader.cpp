#include "eval/verdict_reader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "core/error.hpp"

namespace gavel::eval {

std::string_view verdict_name(Verdict v) {
    switch (v) {
        case Verdict::a_better: return "A>B";
        case Verdict::tie: return "A=B";
        case Verdict::b_better: return "B>A";
        case Verdict::failed: return "parse_failed";
    }
    return "?";
}

LabelScheme parse_label_scheme(const std::string& name) {
    if (name == "ab") return LabelScheme::ab;
    if (name == "012") return LabelScheme::zero_one_two;
    if (name == "12tie") return LabelScheme::one_two_tie;
    fail("unknown label scheme '{}' (expected ab, 012 or 12tie)", name);
}

std::string_view label_scheme_name(LabelScheme scheme) {
    switch (scheme) {
        case LabelScheme::ab: return "ab";
        case LabelScheme::zero_one_two: return "012";
        case LabelScheme::one_two_tie: return "12tie";
    }
    return "?";
}

namespace {

std::optional<Verdict> arena_label(std::string_view s) {
    // The arena's five levels fold to three: a strong preference is still a preference.
    if (s == "A>B" || s == "A>>B") return Verdict::a_better;
    if (s == "A=B") return Verdict::tie;
    if (s == "B>A" || s == "B>>A") return Verdict::b_better;
    if (s == "parse_failed") return Verdict::failed;
    return std::nullopt;
}

bool is_target(std::string_view s) { return arena_label(s).has_value(); }

std::string trimmed_lower(std::string_view s) {
    size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    std::string out(s.substr(b, e - b));
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::optional<int> small_integer(std::string_view s) {
    int v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
}

}  // namespace

VerdictReader::VerdictReader(LabelScheme scheme, std::map<std::string, std::string> label_map)
    : scheme_(scheme), label_map_(std::move(label_map)) {
    for (const auto& [raw, target] : label_map_)
        if (!is_target(target))
            fail("--label-map '{}={}': the target must be A>B, A=B, B>A, A>>B, B>>A or parse_failed", raw, target);
}

std::optional<ReadVerdict> VerdictReader::from_text(std::string_view text, const std::string& raw) const {
    if (auto v = arena_label(text)) {
        if (*v == Verdict::failed) return ReadVerdict{ReadVerdict::Kind::failed, Verdict::failed, raw};
        return ReadVerdict{ReadVerdict::Kind::known, *v, raw};
    }
    if (scheme_ == LabelScheme::ab) return std::nullopt;
    const std::string t = trimmed_lower(text);
    if (scheme_ == LabelScheme::one_two_tie && t == "tie") return ReadVerdict{ReadVerdict::Kind::known, Verdict::tie, raw};
    auto k = small_integer(t);
    if (!k) return std::nullopt;
    if (scheme_ == LabelScheme::zero_one_two && *k >= 0 && *k <= 2)
        return ReadVerdict{ReadVerdict::Kind::known, static_cast<Verdict>(*k), raw};
    if (scheme_ == LabelScheme::one_two_tie && *k >= 0 && *k <= 2) {
        static constexpr Verdict kOneTwoTie[] = {Verdict::tie, Verdict::a_better, Verdict::b_better};
        return ReadVerdict{ReadVerdict::Kind::known, kOneTwoTie[*k], raw};
    }
    return std::nullopt;
}

ReadVerdict VerdictReader::read(const Json* value) const {
    if (!value || value->is_null()) return {ReadVerdict::Kind::missing, Verdict::failed, "null"};
    // Strings are reported as written; anything else as its JSON text (1, 2.5, true, [...]).
    const std::string raw = value->is_string() ? value->get<std::string>() : value->dump();
    auto mapped = label_map_.find(raw);
    if (mapped != label_map_.end()) return *from_text(mapped->second, raw);
    if (value->is_string()) {
        if (auto r = from_text(raw, raw)) return *r;
    } else if (value->is_number()) {
        const double d = value->get<double>();
        // 1 and 1.0 are the same label; 1.5 is not a label at all.
        if (std::isfinite(d) && d == std::floor(d) && std::abs(d) < 1e9)
            if (auto r = from_text(std::to_string(static_cast<long long>(d)), raw)) return *r;
    }
    return {ReadVerdict::Kind::unknown, Verdict::failed, raw};
}

std::pair<std::string, std::string> parse_label_mapping(const std::string& argument) {
    std::vector<size_t> splits;
    for (size_t i = 1; i + 1 < argument.size(); ++i)
        if (argument[i] == '=' && is_target(std::string_view(argument).substr(i + 1))) splits.push_back(i);
    if (splits.size() != 1)
        fail("--label-map '{}': expected RAW=TARGET with TARGET one of A>B, A=B, B>A, A>>B, B>>A, parse_failed",
             argument);
    return {argument.substr(0, splits[0]), argument.substr(splits[0] + 1)};
}

const Json* find_path(const Json& record, std::string_view path) {
    const Json* node = &record;
    while (true) {
        const size_t dot = path.find('.');
        const std::string_view part = path.substr(0, dot);
        if (node->is_object()) {
            auto it = node->find(part);
            if (it == node->end()) return nullptr;
            node = &*it;
        } else if (node->is_array()) {
            auto index = small_integer(part);
            if (!index || *index < 0 || static_cast<size_t>(*index) >= node->size()) return nullptr;
            node = &(*node)[static_cast<size_t>(*index)];
        } else {
            return nullptr;
        }
        if (dot == std::string_view::npos) return node;
        path.remove_prefix(dot + 1);
    }
}

}  // namespace gavel::eval
