#include "arena/leaderboard.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "core/error.hpp"
#include "core/report_text.hpp"

namespace gavel::arena {
namespace {

std::string method_title(RatingMethod m) {
    switch (m) {
        case RatingMethod::bradley_terry: return "Bradley-Terry maximum likelihood, ties as half a win";
        case RatingMethod::bradley_terry_ties: return "Bradley-Terry with ties (Davidson model, Newman's iteration)";
        case RatingMethod::elo: return "online Elo";
    }
    return "?";
}

std::string name_list(const std::vector<std::string>& names) {
    std::string out;
    const size_t shown = std::min<size_t>(names.size(), 8);
    for (size_t i = 0; i < shown; ++i) out += (i ? ", " : "") + names[i];
    if (names.size() > shown) out += fmt::format(" and {} more", names.size() - shown);
    return out;
}

Json nullable(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

std::string fixed(double v, int digits) { return std::isfinite(v) ? fmt::format("{:.{}f}", v, digits) : "-"; }

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string csv_number(double v) { return std::isfinite(v) ? fmt::format("{}", v) : ""; }

}  // namespace

double round2(double x) {
    if (!std::isfinite(x)) return x;
    // printf rounds the exact binary value, as Python's round does.
    return std::strtod(fmt::format("{:.2f}", x).c_str(), nullptr);
}

Leaderboard build_leaderboard(const BattleTable& table, RatingResult ratings, const LeaderboardSettings& settings,
                              const BattleLoadReport& inputs, const AnswerLengths* answers) {
    Leaderboard board;
    board.settings = settings;
    board.inputs = inputs;
    board.battles = table.size();
    board.models = table.models;
    const size_t models = table.models.size();

    std::vector<LeaderboardRow> rows(models);
    for (size_t m = 0; m < models; ++m) {
        LeaderboardRow& row = rows[m];
        row.model = table.models[m];
        row.rating = ratings.rating[m];
        row.rating_lower = ratings.rating_lower[m];
        row.rating_upper = ratings.rating_upper[m];
        row.score = ratings.score[m];
        row.score_lower = ratings.score_lower[m];
        row.score_upper = ratings.score_upper[m];
        row.rounds_present = ratings.rounds_present[m];
        if (answers) {
            // Answer files are named after the model's last path segment, as the arenas look them up.
            const size_t slash = row.model.rfind('/');
            row.avg_tokens = answers->average_tokens(slash == std::string::npos ? row.model : row.model.substr(slash + 1));
        }
    }
    for (size_t r = 0; r < table.size(); ++r) {
        const uint32_t a = table.a[r], b = table.b[r];
        ++rows[a].battles;
        if (a == b) continue;
        ++rows[b].battles;
        switch (table.outcome[r]) {
            case BattleOutcome::a_wins: ++rows[a].wins, ++rows[b].losses; break;
            case BattleOutcome::b_wins: ++rows[b].wins, ++rows[a].losses; break;
            case BattleOutcome::tie: ++rows[a].ties, ++rows[b].ties; break;
        }
    }

    // Notes: everything a reader needs to trust (or distrust) the numbers.
    auto& notes = board.notes;
    size_t dropped = 0;
    for (const auto& [label, n] : inputs.dropped_labels) dropped += n;
    if (dropped) {
        std::string hint;
        for (const auto& [label, n] : inputs.dropped_labels)
            if (label.rfind("winner=", 0) != 0 && label != "null") {
                hint = fmt::format(" (say what a label means with --label-map, e.g. --label-map '{}=A>B')", label);
                break;
            }
        notes.push_back(fmt::format("dropped {} of {} games with unknown verdict labels: {}{}", dropped, inputs.games,
                                    quoted_counts(inputs.dropped_labels), hint));
    }
    if (!inputs.mapped_labels.empty())
        notes.push_back(fmt::format("read through --label-map: {}", quoted_counts(inputs.mapped_labels)));
    if (inputs.dropped_by_map) notes.push_back(fmt::format("dropped by --label-map: {} games", inputs.dropped_by_map));

    std::vector<std::string> no_battles, never_lost, never_won;
    for (const auto& row : rows) {
        if (row.wins + row.losses + row.ties == 0)
            no_battles.push_back(row.model);
        else if (row.losses == 0 && row.wins > 0)
            never_lost.push_back(row.model);
        else if (row.wins == 0 && row.ties == 0)
            never_won.push_back(row.model);
    }
    if (!no_battles.empty())
        notes.push_back(fmt::format("not rated, no battles against another model: {}", name_list(no_battles)));
    if (settings.rating.method != RatingMethod::elo && ratings.used_prior) {
        std::string why;
        if (!never_lost.empty()) why += fmt::format("never lost: {}; ", name_list(never_lost));
        if (!never_won.empty()) why += fmt::format("never won or tied: {}; ", name_list(never_won));
        notes.push_back(fmt::format(
            "{}the maximum-likelihood ratings do not exist for these battles (they run off to infinity, or groups of "
            "models were never compared): every model got one virtual game, half a win and half a loss, against a "
            "reference player of rating 1000, which keeps the ratings finite; read the extreme ones as bounds",
            why));
    } else if (!never_lost.empty() || !never_won.empty()) {
        notes.push_back(fmt::format("never lost: {}; never won or tied: {}", never_lost.empty() ? "-" : name_list(never_lost),
                                    never_won.empty() ? "-" : name_list(never_won)));
    }
    const size_t rounds = settings.rating.rounds;
    if (rounds > 0 && ratings.rounds_with_prior > 0)
        notes.push_back(fmt::format("{} of {} bootstrap resamples had no maximum-likelihood estimate and used the virtual-game prior",
                                    ratings.rounds_with_prior, rounds));
    if (ratings.rounds_without_anchor > 0)
        notes.push_back(fmt::format("{} of {} bootstrap resamples drew no battle of the baseline and were left out",
                                    ratings.rounds_without_anchor, rounds));
    for (const auto& row : rows)
        if (std::isfinite(row.rating) && rounds > 0 && row.rounds_present < rounds)
            notes.push_back(fmt::format("{}: in {} of {} bootstrap resamples (its CI uses those)", row.model, row.rounds_present, rounds));
    if (rounds == 0) notes.push_back("no bootstrap rounds (--rounds 0): no confidence intervals");
    if (table.size() < 2 && table.size() > 0) notes.push_back("a single battle: the ratings say very little");
    if (answers) {
        std::vector<std::string> without;
        for (const auto& row : rows)
            if (!row.avg_tokens) without.push_back(row.model);
        if (!without.empty())
            notes.push_back(fmt::format("no token counts (token_len) in the answers of: {}", name_list(without)));
    }

    std::vector<size_t> order(models);
    for (size_t m = 0; m < models; ++m) order[m] = m;
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
        const bool fx = std::isfinite(rows[x].rating), fy = std::isfinite(rows[y].rating);
        if (fx != fy) return fx;
        if (fx && rows[x].rating != rows[y].rating) return rows[x].rating > rows[y].rating;
        return rows[x].model < rows[y].model;
    });
    size_t rank = 0;
    for (size_t m : order) {
        if (std::isfinite(rows[m].rating)) rows[m].rank = ++rank;
        board.rows.push_back(rows[m]);
    }
    board.ratings = std::move(ratings);
    return board;
}

namespace {

std::vector<std::string> header_lines(const Leaderboard& board) {
    const LeaderboardSettings& s = board.settings;
    std::vector<std::string> lines;
    std::string title = "gavel arena: " + method_title(s.rating.method);
    if (s.rating.method == RatingMethod::elo)
        title += fmt::format(" (k {}, in input order)", s.rating.elo.k);
    if (s.rating.method == RatingMethod::bradley_terry_ties) title += fmt::format(", tie parameter v = {:.4f}", board.ratings.tie_parameter);
    lines.push_back(title);
    lines.push_back(s.baseline ? fmt::format("rating: Elo scale with {} at 1000; score: expected win rate (%) against it", *s.baseline)
                               : std::string("rating: Elo scale with the mean at 1000 (no --baseline, so no score column)"));
    std::string kinds;
    for (const auto& [kind, n] : board.inputs.records_by_kind) kinds += fmt::format("{}{} {}s", kinds.empty() ? "" : ", ", n, kind);
    lines.push_back(fmt::format("input: {} file{} ({}); {} verdicts -> {} battles{}{}", board.inputs.files.size(),
                                board.inputs.files.size() == 1 ? "" : "s", kinds, board.inputs.games, board.battles,
                                board.inputs.strong_games ? fmt::format("; {} strong verdicts counted x{}", board.inputs.strong_games, s.strong_weight)
                                                          : fmt::format("; strong verdicts count x{}", s.strong_weight),
                                s.length_control ? "; length control on" : ""));
    if (s.rating.rounds > 0)
        lines.push_back(fmt::format(
            "bootstrap: {} rounds over battles, seed {} ({}), {}% CI = {:g}th..{:g}th percentile", s.rating.rounds, s.rating.seed,
            s.rating.seeding == BootstrapSeeding::per_round ? fmt::format("round i draws with RandomState({}+i)", s.rating.seed)
                                                            : fmt::format("all rounds draw from RandomState({})", s.rating.seed),
            s.rating.ci_level, (100 - s.rating.ci_level) / 2, 100 - (100 - s.rating.ci_level) / 2));
    return lines;
}

}  // namespace

std::string leaderboard_table(const Leaderboard& board) {
    std::string out;
    for (const auto& line : header_lines(board)) out += line + "\n";
    for (const auto& note : board.notes) out += "note: " + note + "\n";
    const bool scored = board.settings.baseline.has_value();
    const bool tokens = std::any_of(board.rows.begin(), board.rows.end(), [](const auto& r) { return r.avg_tokens.has_value(); });
    size_t width = 5;
    for (const auto& row : board.rows) width = std::max(width, row.model.size());
    const std::string ci_head = fmt::format("{:g}% CI", board.settings.rating.ci_level);
    out += fmt::format("\n{:>4}  {:<{}}  ", "rank", "model", width);
    out += scored ? fmt::format("{:>6}  {:<14}  {:>8}", "score", ci_head, "rating") : fmt::format("{:>8}  {:<16}", "rating", ci_head);
    out += fmt::format("  {:>8}", "battles");
    if (tokens) out += fmt::format("  {:>10}", "avg tokens");
    out += "\n";
    for (const auto& row : board.rows) {
        out += fmt::format("{:>4}  {:<{}}  ", row.rank ? std::to_string(row.rank) : "-", row.model, width);
        if (!std::isfinite(row.rating)) {
            out += scored ? fmt::format("{:>6}  {:<14}  {:>8}", "-", "", "-") : fmt::format("{:>8}  {:<16}", "-", "");
        } else if (scored) {
            // The arenas' rounding: scores to 2 decimals, then the CI as differences to 1 decimal.
            const double s = round2(row.score), lo = round2(row.score_lower), hi = round2(row.score_upper);
            const std::string ci = std::isfinite(lo) ? fmt::format("({:.1f}, {:.1f})", lo - s, hi - s) : "";
            out += fmt::format("{:>6.1f}  {:<14}  {:>8.1f}", s, ci, row.rating);
        } else {
            const std::string ci = std::isfinite(row.rating_lower)
                                       ? fmt::format("({:.1f}, {:.1f})", row.rating_lower - row.rating, row.rating_upper - row.rating)
                                       : "";
            out += fmt::format("{:>8.1f}  {:<16}", row.rating, ci);
        }
        out += fmt::format("  {:>8}", row.battles);
        if (tokens) out += fmt::format("  {:>10}", row.avg_tokens ? std::to_string(static_cast<long long>(*row.avg_tokens)) : "-");
        out += "\n";
    }
    return out;
}

std::string leaderboard_csv(const Leaderboard& board) {
    std::string out = "rank,model,score,score_lower,score_upper,rating,rating_lower,rating_upper,battles,wins,losses,ties,avg_tokens,bootstrap_rounds\n";
    for (const auto& r : board.rows)
        out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", r.rank ? std::to_string(r.rank) : "", csv_field(r.model),
                           csv_number(r.score), csv_number(r.score_lower), csv_number(r.score_upper), csv_number(r.rating),
                           csv_number(r.rating_lower), csv_number(r.rating_upper), r.battles, r.wins, r.losses, r.ties,
                           r.avg_tokens ? csv_number(*r.avg_tokens) : "", r.rounds_present);
    return out;
}

Json leaderboard_json(const Leaderboard& board) {
    const LeaderboardSettings& s = board.settings;
    Json j;
    j["method"] = rating_method_name(s.rating.method);
    j["baseline"] = s.baseline ? Json(*s.baseline) : Json(nullptr);
    j["strong_weight"] = s.strong_weight;
    j["length_control"] = s.length_control;
    j["bootstrap"] = {{"rounds", s.rating.rounds},
                      {"seed", s.rating.seed},
                      {"seeding", s.rating.seeding == BootstrapSeeding::per_round ? "per-round" : "stream"},
                      {"ci_level", s.rating.ci_level}};
    if (s.rating.method == RatingMethod::elo)
        j["elo"] = {{"k", s.rating.elo.k}, {"initial", s.rating.elo.initial}, {"scale", s.rating.elo.scale}, {"base", s.rating.elo.base}};
    if (s.rating.method == RatingMethod::bradley_terry_ties) j["tie_parameter"] = board.ratings.tie_parameter;
    j["inputs"] = {{"files", board.inputs.files},
                   {"records", board.inputs.records_by_kind},
                   {"games", board.inputs.games},
                   {"battles", board.battles},
                   {"strong_games", board.inputs.strong_games},
                   {"dropped_labels", board.inputs.dropped_labels},
                   {"mapped_labels", board.inputs.mapped_labels},
                   {"dropped_by_label_map", board.inputs.dropped_by_map}};
    j["used_prior"] = board.ratings.used_prior;
    j["notes"] = board.notes;
    Json rows = Json::array();
    for (const auto& r : board.rows) {
        rows.push_back({{"rank", r.rank ? Json(r.rank) : Json(nullptr)},
                        {"model", r.model},
                        {"score", nullable(r.score)},
                        {"score_lower", nullable(r.score_lower)},
                        {"score_upper", nullable(r.score_upper)},
                        {"rating", nullable(r.rating)},
                        {"rating_lower", nullable(r.rating_lower)},
                        {"rating_upper", nullable(r.rating_upper)},
                        {"battles", r.battles},
                        {"wins", r.wins},
                        {"losses", r.losses},
                        {"ties", r.ties},
                        {"avg_tokens", r.avg_tokens ? Json(*r.avg_tokens) : Json(nullptr)},
                        {"bootstrap_rounds", r.rounds_present}});
    }
    j["models"] = rows;
    Json boot = Json::object();
    for (size_t m = 0; m < board.models.size(); ++m) {
        Json values = Json::array();
        for (double v : board.ratings.bootstrap[m]) values.push_back(nullable(v));
        boot[board.models[m]] = values;
    }
    j["bootstrap_ratings"] = boot;
    return j;
}

std::string leaderboard_html(const Leaderboard& board, const std::string& svg) {
    std::string h =
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>gavel arena</title>\n"
        "<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:3px 9px;text-align:right}th{background:#f3f3f3}"
        "td:nth-child(2),th:nth-child(2){text-align:left}.note{color:#8a5300}</style></head><body>\n<h1>Arena leaderboard</h1>\n";
    for (const auto& line : header_lines(board)) h += "<p>" + html_escape(line) + "</p>\n";
    for (const auto& note : board.notes) h += "<p class=\"note\">note: " + html_escape(note) + "</p>\n";
    h += svg;
    const bool scored = board.settings.baseline.has_value();
    h += "<table><tr><th>rank</th><th>model</th>";
    if (scored) h += "<th>score</th><th>CI</th>";
    h += "<th>rating</th><th>rating CI</th><th>battles</th><th>W / L / T</th><th>avg tokens</th></tr>\n";
    for (const auto& r : board.rows) {
        h += fmt::format("<tr><td>{}</td><td>{}</td>", r.rank ? std::to_string(r.rank) : "-", html_escape(r.model));
        if (scored) {
            const double s = round2(r.score), lo = round2(r.score_lower), hi = round2(r.score_upper);
            h += fmt::format("<td>{}</td><td>{}</td>", fixed(s, 1),
                             std::isfinite(lo) ? fmt::format("({:.1f}, {:.1f})", lo - s, hi - s) : "");
        }
        h += fmt::format("<td>{}</td><td>{} – {}</td><td>{}</td><td>{} / {} / {}</td><td>{}</td></tr>\n", fixed(r.rating, 1),
                         fixed(r.rating_lower, 1), fixed(r.rating_upper, 1), r.battles, r.wins, r.losses, r.ties,
                         r.avg_tokens ? std::to_string(static_cast<long long>(*r.avg_tokens)) : "-");
    }
    h += "</table>\n</body></html>\n";
    return h;
}

}  // namespace gavel::arena
