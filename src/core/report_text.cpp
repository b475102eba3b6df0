#include "core/report_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace gavel {

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string quoted_counts(const std::map<std::string, size_t>& counts) {
    std::vector<std::pair<std::string, size_t>> items(counts.begin(), counts.end());
    std::stable_sort(items.begin(), items.end(), [](const auto& x, const auto& y) { return x.second > y.second; });
    std::string out;
    for (const auto& [raw, n] : items) out += fmt::format("{}'{}' {}", out.empty() ? "" : ", ", raw, n);
    return out;
}

}  // namespace gavel
