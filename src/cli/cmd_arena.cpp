// gavel arena: a leaderboard from judgments or battles, by the Arena-Hard-Auto / Russian LLM Arena
// method (Bradley-Terry on the Elo scale, bootstrap CIs), or by Bradley-Terry with ties or online Elo.
#include <cstdio>
#include <fstream>

#include "arena/answer_lengths.hpp"
#include "arena/arena_ratings.hpp"
#include "arena/battle_loader.hpp"
#include "arena/leaderboard.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "core/error.hpp"
#include "core/thread_pool.hpp"

namespace gavel::cli {
namespace {

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    if (!out) fail("{}: cannot write", path);
}

std::string svg_path_for(const std::string& html) {
    const auto dot = html.rfind('.');
    const auto slash = html.rfind('/');
    const bool has_ext = dot != std::string::npos && (slash == std::string::npos || dot > slash);
    return (has_ext ? html.substr(0, dot) : html) + ".svg";
}

}  // namespace

int run_arena(int argc, char** argv) {
    Options opts("arena",
                 "Rank models from pairwise judgments: battles from both games of each judgment (strong verdicts "
                 "counted --weight times, ties as half), Bradley-Terry maximum likelihood on the Elo scale with the "
                 "baseline at 1000, win rate against the baseline, and bootstrap CIs over battles.",
                 "(--judgments DIR_OR_FILE | --battles FILE) --baseline MODEL [--answers DIR] [--weight 3] [--rounds 100] "
                 "[--seed S] [--length-control] [--json] [--csv FILE] [--html FILE]");
    opts.value("--judgments", "PATH",
               "judgment file, or directory of *.jsonl[.gz] read in name order: Arena-Hard judgments (model, games[].score), "
               "gavel judgments (model_a, model_b, games[].verdict) or battles; repeatable")
        .value("--battles", "FILE", "battle file (question_id, model_a, model_b, winner); repeatable")
        .value("--baseline", "MODEL", "the model Arena-Hard judgments compare against; held at rating 1000, scores are win rates against it")
        .value("--answers", "DIR", "model_answer directory (token_len per answer): average tokens, and length control")
        .value("--weight", "N", "battles per strong verdict (A>>B, B>>A)", "3")
        .value("--method", "M", "bt (Bradley-Terry, ties as half a win), bt-ties (Davidson model) or elo (online)", "bt")
        .value("--k", "K", "Elo K-factor for --method elo", "4")
        .value("--rounds", "N", "bootstrap rounds", "100")
        .value("--seed", "S", "bootstrap seed", "0")
        .value("--seeding", "HOW",
               "per-round: round i draws with numpy RandomState(S+i), as the Russian LLM Arena; stream: all rounds from "
               "RandomState(S), as Arena-Hard-Auto v0.1 (np.random.seed(42))",
               "per-round")
        .value("--ci", "LEVEL", "confidence level of the intervals, percent", "95")
        .flag("--length-control", "discount wins over the baseline by answer length (Russian LLM Arena; needs --answers)")
        .value("--label-map", "RAW=V", "read verdict label RAW as V (A>>B, A>B, A=B, B>A, B>>A or drop); repeatable")
        .value("--threads", "N", "threads for the bootstrap (0: all cores)", "0")
        .flag("--json", "print the leaderboard (and every bootstrap rating) as JSON instead of the table")
        .value("--csv", "FILE", "also write the leaderboard as CSV")
        .value("--html", "FILE", "also write an HTML page with an SVG chart (the chart also goes to FILE with .svg)")
        .epilog(
            "Unknown verdict labels are dropped and counted per label; --label-map says what one means, e.g. JinaJudge's\n"
            "files write A>B as \"A<B\": --label-map 'A<B=A>B'.\n\n"
            "examples:\n"
            "  gavel arena --judgments model_judgment/jinajudge --baseline gpt-3.5-turbo-0125 --answers model_answer\n"
            "  gavel arena --battles arena_hard_battles.jsonl.gz --baseline Phi-3-medium-128k-instruct --seeding stream --seed 42\n");
    opts.parse(argc, argv);

    const auto judgments = opts.get_all("--judgments");
    const auto battle_files = opts.get_all("--battles");
    if (judgments.empty() && battle_files.empty()) throw UsageError{"give --judgments or --battles"};
    arena::LeaderboardSettings settings;
    settings.baseline = opts.get_optional("--baseline");
    settings.strong_weight = static_cast<int>(opts.get_int("--weight"));
    settings.length_control = opts.has("--length-control");
    arena::RatingOptions& rating = settings.rating;
    const long long rounds = opts.get_int("--rounds"), seed = opts.get_int("--seed"), threads = opts.get_int("--threads");
    if (rounds < 0) throw UsageError{"--rounds must be 0 or more"};
    if (seed < 0 || seed > 0xFFFFFFFFLL) throw UsageError{"--seed must be in [0, 4294967295]"};
    if (threads < 0) throw UsageError{"--threads must be 0 or more"};
    if (settings.strong_weight < 0) throw UsageError{"--weight must be 0 or more"};
    rating.rounds = static_cast<size_t>(rounds);
    rating.seed = static_cast<uint32_t>(seed);
    rating.ci_level = opts.get_double("--ci");
    if (!(rating.ci_level > 0 && rating.ci_level < 100)) throw UsageError{"--ci must be between 0 and 100"};
    rating.elo.k = opts.get_double("--k");
    const std::string seeding = opts.get("--seeding");
    if (seeding == "per-round")
        rating.seeding = arena::BootstrapSeeding::per_round;
    else if (seeding == "stream")
        rating.seeding = arena::BootstrapSeeding::stream;
    else
        throw UsageError{"--seeding must be per-round or stream"};

    arena::BattleLoadOptions load;
    load.baseline = settings.baseline;
    load.strong_weight = settings.strong_weight;
    load.length_control = settings.length_control;
    try {
        rating.method = arena::parse_rating_method(opts.get("--method"));
        for (const auto& m : opts.get_all("--label-map")) load.label_map.insert(arena::parse_arena_label_mapping(m));
    } catch (const Error& e) {
        throw UsageError{e.what()};
    }
    std::optional<arena::AnswerLengths> answers;
    if (auto dir = opts.get_optional("--answers")) answers = arena::AnswerLengths::load(*dir);
    if (settings.length_control && !answers) throw UsageError{"--length-control needs --answers"};
    if (settings.length_control && !settings.baseline) throw UsageError{"--length-control needs --baseline"};
    load.answers = answers ? &*answers : nullptr;

    arena::BattleTable table;
    arena::BattleLoadReport report;
    arena::BattleLoader loader(table, report, load);
    for (const auto& path : judgments) loader.load(path);
    for (const auto& path : battle_files) loader.load(path);
    if (table.size() == 0)
        fail("no battles: {} verdicts read, none usable{}", report.games,
             report.dropped_labels.empty() ? std::string() : " (every label was unknown; see --label-map)");
    if (settings.baseline) {
        rating.anchor = table.find_model(*settings.baseline);
        bool battled = false;
        for (size_t r = 0; rating.anchor && r < table.size() && !battled; ++r)
            battled = table.a[r] != table.b[r] && (table.a[r] == *rating.anchor || table.b[r] == *rating.anchor);
        if (!battled) fail("baseline '{}' appears in no battle against another model", *settings.baseline);
    }

    ThreadPool pool(static_cast<size_t>(threads));
    arena::RatingResult ratings = arena::rate_battles(table, rating, pool);
    const arena::Leaderboard board =
        arena::build_leaderboard(table, std::move(ratings), settings, report, answers ? &*answers : nullptr);

    if (opts.has("--json"))
        std::printf("%s\n", arena::leaderboard_json(board).dump(1).c_str());
    else
        std::fputs(arena::leaderboard_table(board).c_str(), stdout);
    if (auto csv = opts.get_optional("--csv")) write_file(*csv, arena::leaderboard_csv(board));
    if (auto html = opts.get_optional("--html")) {
        const std::string svg = arena::leaderboard_svg(board);
        write_file(*html, arena::leaderboard_html(board, svg));
        write_file(svg_path_for(*html), svg);
        if (!opts.has("--json")) std::printf("\nwrote %s and %s\n", html->c_str(), svg_path_for(*html).c_str());
    }
    return 0;
}

}  // namespace gavel::cli
