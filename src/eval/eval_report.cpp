#include "eval/eval_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "core/numpy_random.hpp"
#include "core/report_text.hpp"

namespace gavel::eval {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

GroupSummary summarize(const std::vector<const EvalRecord*>& records) {
    std::vector<Verdict> labels, verdicts;
    labels.reserve(records.size());
    verdicts.reserve(records.size());
    OrderStats orders;
    for (const EvalRecord* r : records) {
        labels.push_back(r->label);
        verdicts.push_back(r->verdict);
        if (!r->as_is) continue;
        const Verdict a = *r->as_is, s = *r->swap;
        ++orders.pairs;
        if (a == Verdict::failed || s == Verdict::failed) {
            ++orders.pairs_with_failed_game;
            orders.pairs_both_failed += a == s;
        }
        else if (a == s) ++orders.consistent;
        // In the swap game the judge saw B first, so preferring the first answer reads B>A here.
        for (auto [v, first] : {std::pair{a, Verdict::a_better}, std::pair{s, Verdict::b_better}}) {
            if (v == Verdict::failed || v == Verdict::tie) continue;
            ++orders.decisive_games;
            orders.first_position_wins += v == first;
        }
        orders.correct_as_is += a == r->label;
        orders.correct_swap += s == r->label;
        orders.correct_both += a == r->label && s == r->label;
    }
    GroupSummary g{compute_agreement(labels, verdicts), std::nullopt};
    if (orders.pairs > 0) g.orders = orders;
    return g;
}

double fraction(size_t num, size_t den) { return den ? static_cast<double>(num) / static_cast<double>(den) : kNaN; }

bool looks_numeric(const std::map<std::string, size_t>& counts) {
    for (const auto& [raw, n] : counts)
        if (!raw.empty() && raw.find_first_not_of("0123456789.-\" ") == std::string::npos) return true;
    return false;
}

// What was left out or counted as a failure, in words; shown by every rendering.
std::vector<std::string> data_notes(const EvalDataset& data, const EvalOptions& options) {
    std::vector<std::string> notes;
    if (data.missing_labels)
        notes.push_back(fmt::format("{} records left out: no reference label in field '{}' (null, absent or parse_failed)",
                                    data.missing_labels, options.label_field));
    if (!data.unknown_labels.empty()) {
        size_t total = 0;
        for (const auto& [raw, n] : data.unknown_labels) total += n;
        std::string note = fmt::format("{} records left out: unknown reference labels {}", total, quoted_counts(data.unknown_labels));
        if (options.label_scheme == LabelScheme::ab && looks_numeric(data.unknown_labels))
            note += " (numeric labels: say what they mean with --label-scheme 012 or 12tie)";
        notes.push_back(note + " (--label-map RAW=A>B maps a label)");
    }
    if (!data.unknown_verdicts.empty()) {
        std::string note = fmt::format("unknown verdicts, counted as parse failures: {}", quoted_counts(data.unknown_verdicts));
        if (options.pred_scheme == LabelScheme::ab && looks_numeric(data.unknown_verdicts))
            note += " (numeric verdicts: see --pred-scheme)";
        notes.push_back(note);
    }
    if (data.missing_verdicts)
        notes.push_back(fmt::format("{} records have no verdict in field '{}', counted as parse failures",
                                    data.missing_verdicts, options.pred_field));
    if (!data.unknown_game_verdicts.empty())
        notes.push_back(fmt::format("unknown verdicts in games[], counted as failed games: {}",
                                    quoted_counts(data.unknown_game_verdicts)));
    return notes;
}

Json nullable(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

Json group_json(const GroupSummary& g) {
    const AgreementMetrics& m = g.metrics;
    Json j;
    j["n"] = m.n;
    j["accuracy"] = nullable(m.n ? m.accuracy : kNaN);
    j["macro"] = {{"precision", m.macro_precision}, {"recall", m.macro_recall}, {"f1", m.macro_f1}};
    Json per_class = Json::object();
    for (int c = 0; c < kClasses; ++c) {
        const ClassScores& s = m.per_class[c];
        per_class[std::string(verdict_name(static_cast<Verdict>(c)))] = {
            {"precision", s.precision}, {"recall", s.recall}, {"f1", s.f1}, {"support", s.support}};
    }
    j["per_class"] = per_class;
    Json rows = Json::array();
    for (const auto& row : m.confusion) rows.push_back(Json(row));
    j["confusion"] = rows;
    j["kappa"] = m.kappa ? Json(*m.kappa) : Json(nullptr);
    j["parse_failures"] = m.parse_failures;
    j["parse_failure_rate"] = nullable(fraction(m.parse_failures, m.n));
    if (g.orders) {
        const OrderStats& o = *g.orders;
        j["orders"] = {{"pairs", o.pairs},
                       {"swap_consistency", nullable(fraction(o.consistent, o.pairs))},
                       {"pairs_with_failed_game", o.pairs_with_failed_game},
                       {"pairs_both_failed", o.pairs_both_failed},
                       {"decisive_games", o.decisive_games},
                       {"first_position_win_rate", nullable(fraction(o.first_position_wins, o.decisive_games))},
                       {"accuracy_as_is", nullable(fraction(o.correct_as_is, o.pairs))},
                       {"accuracy_swap", nullable(fraction(o.correct_swap, o.pairs))},
                       {"both_correct", nullable(fraction(o.correct_both, o.pairs))}};
    }
    return j;
}

std::string num(double v, int digits = 4) { return std::isfinite(v) ? fmt::format("{:.{}f}", v, digits) : "n/a"; }

constexpr const char* kColumnNames[] = {"A>B", "A=B", "B>A", "failed"};

}  // namespace

EvalReport build_eval_report(const EvalDataset& data, size_t rounds, uint32_t seed) {
    EvalReport report;
    std::vector<const EvalRecord*> all;
    std::map<std::string, std::vector<const EvalRecord*>> by_category;
    for (const auto& r : data.records) {
        all.push_back(&r);
        if (r.category) by_category[*r.category].push_back(&r);
    }
    report.overall = summarize(all);
    for (const auto& [name, records] : by_category) report.categories.emplace_back(name, summarize(records));

    report.rounds = rounds;
    report.seed = seed;
    report.accuracy_ci = report.macro_f1_ci = {kNaN, kNaN};
    const size_t n = data.records.size();
    if (rounds == 0 || n == 0) return report;
    // Each record is one of 12 (label, verdict) cells; a resample is a histogram over them.
    std::vector<uint8_t> cell(n);
    for (size_t i = 0; i < n; ++i)
        cell[i] = static_cast<uint8_t>(static_cast<int>(data.records[i].label) * 4 + static_cast<int>(data.records[i].verdict));
    NumpyRandomState rng(seed);
    std::vector<uint32_t> draw(n);
    std::vector<double> accuracy(rounds), macro_f1(rounds);
    for (size_t r = 0; r < rounds; ++r) {
        rng.randint(n, draw);
        std::array<std::array<size_t, 4>, kClasses> confusion{};
        for (uint32_t i : draw) ++confusion[cell[i] / 4][cell[i] % 4];
        const auto stats = accuracy_and_macro_f1(confusion);
        accuracy[r] = stats.accuracy;
        macro_f1[r] = stats.macro_f1;
    }
    report.accuracy_ci = {numpy_percentile(accuracy, 2.5), numpy_percentile(accuracy, 97.5)};
    report.macro_f1_ci = {numpy_percentile(macro_f1, 2.5), numpy_percentile(macro_f1, 97.5)};
    return report;
}

Json eval_report_json(const EvalDataset& data, const EvalReport& report, const EvalOptions& options) {
    Json j = group_json(report.overall);
    j["input"] = {{"path", data.path},
                  {"lines", data.lines},
                  {"scored", data.records.size()},
                  {"pred_field", options.pred_field},
                  {"label_field", options.label_field},
                  {"category_field", options.category_field},
                  {"label_scheme", label_scheme_name(options.label_scheme)},
                  {"pred_scheme", label_scheme_name(options.pred_scheme)},
                  {"missing_labels", data.missing_labels},
                  {"unknown_labels", data.unknown_labels},
                  {"unknown_verdicts", data.unknown_verdicts},
                  {"missing_verdicts", data.missing_verdicts},
                  {"unknown_game_verdicts", data.unknown_game_verdicts}};
    j["confusion_labels"] = {"A>B", "A=B", "B>A"};
    j["confusion_verdicts"] = {"A>B", "A=B", "B>A", "parse_failed"};
    j["bootstrap"] = {{"rounds", report.rounds},
                      {"seed", report.seed},
                      {"level", 95},
                      {"accuracy", {nullable(report.accuracy_ci.first), nullable(report.accuracy_ci.second)}},
                      {"macro_f1", {nullable(report.macro_f1_ci.first), nullable(report.macro_f1_ci.second)}}};
    Json categories = Json::object();
    for (const auto& [name, g] : report.categories) categories[name] = group_json(g);
    j["categories"] = categories;
    j["notes"] = data_notes(data, options);
    return j;
}

std::string eval_report_table(const EvalDataset& data, const EvalReport& report, const EvalOptions& options) {
    const AgreementMetrics& m = report.overall.metrics;
    std::string out = fmt::format("gavel eval: {}: {} records, {} scored (verdict '{}' [{}], label '{}' [{}])\n",
                                  data.path, data.lines, m.n, options.pred_field, label_scheme_name(options.pred_scheme),
                                  options.label_field, label_scheme_name(options.label_scheme));
    for (const auto& note : data_notes(data, options)) out += "  note: " + note + "\n";
    const std::string boot = fmt::format("bootstrap {} rounds, seed {}", report.rounds, report.seed);
    out += fmt::format("\n  accuracy         {}   95% CI [{}, {}]  ({})\n", num(m.accuracy), num(report.accuracy_ci.first),
                       num(report.accuracy_ci.second), boot);
    out += fmt::format("  macro F1         {}   95% CI [{}, {}]\n", num(m.macro_f1), num(report.macro_f1_ci.first),
                       num(report.macro_f1_ci.second));
    out += fmt::format("  macro precision  {}   macro recall {}\n", num(m.macro_precision), num(m.macro_recall));
    out += fmt::format("  Cohen's kappa    {}\n", m.kappa ? num(*m.kappa) : "n/a (one category only)");
    out += fmt::format("  parse failures   {} ({:.1f}%, counted as wrong)\n", m.parse_failures,
                       100.0 * fraction(m.parse_failures, m.n));
    out += "\n  class   precision  recall     F1   support\n";
    for (int c = 0; c < kClasses; ++c) {
        const ClassScores& s = m.per_class[c];
        out += fmt::format("  {:<6} {:>10} {:>7} {:>6} {:>9}\n", verdict_name(static_cast<Verdict>(c)), num(s.precision),
                           num(s.recall), num(s.f1), s.support);
    }
    out += "\n  confusion (rows: reference label, columns: verdict)\n  label      A>B     A=B     B>A  failed\n";
    for (int l = 0; l < kClasses; ++l)
        out += fmt::format("  {:<6} {:>7} {:>7} {:>7} {:>7}\n", verdict_name(static_cast<Verdict>(l)), m.confusion[l][0],
                           m.confusion[l][1], m.confusion[l][2], m.confusion[l][3]);
    if (const auto& o = report.overall.orders) {
        out += fmt::format("\n  both orders judged: {} pairs\n", o->pairs);
        out += fmt::format("  swap consistency        {}  ({} pairs with a failed game count as inconsistent)\n",
                           num(fraction(o->consistent, o->pairs)), o->pairs_with_failed_game);
        out += fmt::format("  first-position win rate {}  (of {} decisive games; 0.5 = no position bias)\n",
                           num(fraction(o->first_position_wins, o->decisive_games)), o->decisive_games);
        out += fmt::format("  accuracy as-is {}   swap {}   both orders correct {}\n",
                           num(fraction(o->correct_as_is, o->pairs)), num(fraction(o->correct_swap, o->pairs)),
                           num(fraction(o->correct_both, o->pairs)));
    }
    if (!report.categories.empty()) {
        size_t width = 8;
        for (const auto& [name, g] : report.categories) width = std::max(width, name.size());
        out += fmt::format("\n  {:<{}} {:>6} {:>9} {:>9} {:>9}\n", "category", width, "n", "accuracy", "macro F1", "failures");
        for (const auto& [name, g] : report.categories)
            out += fmt::format("  {:<{}} {:>6} {:>9} {:>9} {:>9}\n", name, width, g.metrics.n, num(g.metrics.accuracy),
                               num(g.metrics.macro_f1), g.metrics.parse_failures);
    }
    return out;
}

std::string eval_report_html(const EvalDataset& data, const EvalReport& report, const EvalOptions& options) {
    const AgreementMetrics& m = report.overall.metrics;
    std::string h =
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>gavel eval</title>\n"
        "<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}th{background:#f3f3f3}"
        "td:first-child,th:first-child{text-align:left}.note{color:#8a5300}</style></head><body>\n";
    h += fmt::format("<h1>Judge agreement: {}</h1>\n<p>{} records, {} scored; verdict field <code>{}</code>, label field "
                     "<code>{}</code>.</p>\n",
                     html_escape(data.path), data.lines, m.n, html_escape(options.pred_field), html_escape(options.label_field));
    for (const auto& note : data_notes(data, options)) h += "<p class=\"note\">" + html_escape(note) + "</p>\n";
    h += "<table><tr><th>metric</th><th>value</th><th>95% CI</th></tr>\n";
    h += fmt::format("<tr><td>accuracy</td><td>{}</td><td>{} – {}</td></tr>\n", num(m.accuracy), num(report.accuracy_ci.first),
                     num(report.accuracy_ci.second));
    h += fmt::format("<tr><td>macro F1</td><td>{}</td><td>{} – {}</td></tr>\n", num(m.macro_f1), num(report.macro_f1_ci.first),
                     num(report.macro_f1_ci.second));
    h += fmt::format("<tr><td>macro precision</td><td>{}</td><td></td></tr>\n<tr><td>macro recall</td><td>{}</td><td></td></tr>\n",
                     num(m.macro_precision), num(m.macro_recall));
    h += fmt::format("<tr><td>Cohen's kappa</td><td>{}</td><td></td></tr>\n", m.kappa ? num(*m.kappa) : "n/a");
    h += fmt::format("<tr><td>parse failures</td><td>{} ({:.1f}%)</td><td></td></tr></table>\n", m.parse_failures,
                     100.0 * fraction(m.parse_failures, m.n));
    h += fmt::format("<p>Bootstrap: {} rounds over records, seed {}, percentile intervals.</p>\n", report.rounds, report.seed);

    // Confusion heatmap: colour = share of the row (the reference class), so a perfect judge is a
    // dark diagonal whatever the class sizes.
    const int cell_w = 110, cell_h = 56, left = 90, top = 50;
    h += fmt::format("<h2>Confusion matrix</h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
                     "font-family=\"sans-serif\" font-size=\"13\">\n",
                     left + 4 * cell_w + 20, top + kClasses * cell_h + 30);
    h += fmt::format("<text x=\"{}\" y=\"18\" text-anchor=\"middle\" font-weight=\"bold\">verdict</text>\n", left + 2 * cell_w);
    h += fmt::format("<text x=\"14\" y=\"{}\" text-anchor=\"middle\" font-weight=\"bold\" transform=\"rotate(-90 14 {})\">reference label</text>\n",
                     top + kClasses * cell_h / 2, top + kClasses * cell_h / 2);
    for (int v = 0; v < 4; ++v)
        h += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", left + v * cell_w + cell_w / 2, top - 10,
                         html_escape(kColumnNames[v]));
    for (int l = 0; l < kClasses; ++l) {
        size_t row_total = 0;
        for (int v = 0; v < 4; ++v) row_total += m.confusion[l][v];
        h += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", left - 10, top + l * cell_h + cell_h / 2 + 5,
                         html_escape(verdict_name(static_cast<Verdict>(l))));
        for (int v = 0; v < 4; ++v) {
            const double share = row_total ? static_cast<double>(m.confusion[l][v]) / static_cast<double>(row_total) : 0.0;
            const int shade = static_cast<int>(std::lround(245 - 185 * share));
            h += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"rgb({},{},255)\" stroke=\"#fff\"/>\n",
                             left + v * cell_w, top + l * cell_h, cell_w, cell_h, shade, shade);
            h += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{}\">{} ({:.0f}%)</text>\n",
                             left + v * cell_w + cell_w / 2, top + l * cell_h + cell_h / 2 + 5, share > 0.55 ? "#fff" : "#111",
                             m.confusion[l][v], 100 * share);
        }
    }
    h += "</svg>\n";

    h += "<h2>Per class</h2>\n<table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>\n";
    for (int c = 0; c < kClasses; ++c) {
        const ClassScores& s = m.per_class[c];
        h += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                         html_escape(verdict_name(static_cast<Verdict>(c))), num(s.precision), num(s.recall),
                         num(s.f1), s.support);
    }
    h += "</table>\n";
    if (const auto& o = report.overall.orders) {
        h += fmt::format("<h2>Both orders</h2>\n<table><tr><th>pairs</th><td>{}</td></tr><tr><th>swap consistency</th><td>{}</td></tr>"
                         "<tr><th>first-position win rate</th><td>{} (of {} decisive games)</td></tr>"
                         "<tr><th>accuracy as-is / swap / both</th><td>{} / {} / {}</td></tr></table>\n",
                         o->pairs, num(fraction(o->consistent, o->pairs)), num(fraction(o->first_position_wins, o->decisive_games)),
                         o->decisive_games, num(fraction(o->correct_as_is, o->pairs)), num(fraction(o->correct_swap, o->pairs)),
                         num(fraction(o->correct_both, o->pairs)));
    }
    if (!report.categories.empty()) {
        h += "<h2>By category</h2>\n<table><tr><th>category</th><th>n</th><th>accuracy</th><th>macro F1</th><th>parse failures</th></tr>\n";
        for (const auto& [name, g] : report.categories)
            h += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", html_escape(name), g.metrics.n,
                             num(g.metrics.accuracy), num(g.metrics.macro_f1), g.metrics.parse_failures);
        h += "</table>\n";
    }
    h += "</body></html>\n";
    return h;
}

}  // namespace gavel::eval
