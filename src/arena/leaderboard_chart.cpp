// The leaderboard as an SVG chart: one row per rated model, a dot at its score (or rating) and a
// whisker over its confidence interval, the baseline marked. Plain SVG, no script, so the file
// renders the same in a browser, on GitHub and in the README.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "arena/leaderboard.hpp"
#include "core/report_text.hpp"

namespace gavel::arena {
namespace {

double nice_step(double span) {
    const double raw = span / 8.0;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    for (double f : {1.0, 2.0, 2.5, 5.0, 10.0})
        if (raw <= f * magnitude) return f * magnitude;
    return 10.0 * magnitude;
}

}  // namespace

std::string leaderboard_svg(const Leaderboard& board) {
    const bool scored = board.settings.baseline.has_value();
    struct Point {
        std::string label;
        double value, lower, upper;
        bool baseline;
    };
    std::vector<Point> points;
    for (const auto& r : board.rows) {
        if (!r.rank) continue;
        const bool is_base = scored && r.model == *board.settings.baseline;
        if (scored)
            points.push_back({r.model, round2(r.score), round2(r.score_lower), round2(r.score_upper), is_base});
        else
            points.push_back({r.model, r.rating, r.rating_lower, r.rating_upper, false});
    }
    double lo = scored ? 0.0 : 1e300, hi = scored ? 100.0 : -1e300;
    if (!scored) {
        for (const auto& p : points)
            for (double v : {p.value, p.lower, p.upper})
                if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
        if (!(hi > lo)) lo -= 50, hi += 50;
        const double pad = (hi - lo) * 0.05;
        lo -= pad;
        hi += pad;
    }
    const double step = nice_step(hi - lo);
    lo = std::floor(lo / step) * step;
    hi = std::ceil(hi / step) * step;

    size_t label_chars = 10;
    for (const auto& p : points) label_chars = std::max(label_chars, p.label.size());
    const int label_w = static_cast<int>(std::min<size_t>(label_chars, 48) * 7 + 16);
    const int plot_w = 520, row_h = 20, top = 56, bottom = 40, right = 70;
    const int width = label_w + plot_w + right;
    const int height = top + static_cast<int>(points.size()) * row_h + bottom;
    auto x_of = [&](double v) { return label_w + (v - lo) / (hi - lo) * plot_w; };

    std::string s = fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" font-family=\"sans-serif\" "
        "font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n",
        width, height, width, height);
    const std::string title =
        scored ? fmt::format("Score against {} (%) with {:g}% bootstrap CI", *board.settings.baseline, board.settings.rating.ci_level)
               : fmt::format("Rating with {:g}% bootstrap CI", board.settings.rating.ci_level);
    s += fmt::format("<text x=\"{}\" y=\"22\" font-size=\"14\" font-weight=\"bold\">{}</text>\n", label_w, html_escape(title));
    // Grid and axis labels.
    for (double v = lo; v <= hi + step * 1e-9; v += step) {
        const double x = x_of(v);
        s += fmt::format("<line x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\" stroke=\"#e5e5e5\"/>\n", x, top - 8, x,
                         height - bottom + 4);
        s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">{:g}</text>\n", x, height - bottom + 20, v);
        s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">{:g}</text>\n", x, top - 14, v);
    }
    const double reference = scored ? 50.0 : 1000.0;
    if (reference >= lo && reference <= hi)
        s += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>\n",
                         x_of(reference), top - 8, height - bottom + 4);
    for (size_t i = 0; i < points.size(); ++i) {
        const Point& p = points[i];
        const double y = top + static_cast<double>(i) * row_h + row_h / 2.0;
        const std::string colour = p.baseline ? "#c0392b" : "#1f5fa8";
        std::string label = p.label.size() > 48 ? p.label.substr(0, 45) + "..." : p.label;
        s += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\"{}>{}</text>\n", label_w - 8, y + 4,
                         p.baseline ? " font-weight=\"bold\"" : "", html_escape(label));
        if (std::isfinite(p.lower) && std::isfinite(p.upper) && p.upper > p.lower) {
            s += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" stroke-width=\"1.5\"/>\n",
                             x_of(p.lower), y, x_of(p.upper), y, colour);
            for (double v : {p.lower, p.upper})
                s += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\" stroke-width=\"1.5\"/>\n",
                                 x_of(v), y - 4, y + 4, colour);
        }
        s += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3.5\" fill=\"{}\"/>\n", x_of(p.value), y, colour);
        s += fmt::format("<text x=\"{}\" y=\"{:.1f}\" fill=\"#333\">{:.1f}</text>\n", label_w + plot_w + 8, y + 4, p.value);
    }
    s += "</svg>\n";
    return s;
}

}  // namespace gavel::arena
