// `gavel arena` on two real arenas, against the leaderboards their own method produces:
//  - arena-hard-local (r4dm): its published README leaderboard and the bootstrap ratings its run
//    saved, and an independent re-implementation of its show_result.py (sklearn, numpy);
//  - the Russian LLM Arena with JinaJudge verdicts: the re-implementation of its show_result.py
//    (Evalica's Bradley-Terry, seeded pandas resampling), with and without length control.
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "../eval/command_runner.hpp"

namespace gavel::testing {
namespace {

using nlohmann::json;

struct Row {
    std::string score, ci, tokens;  // as printed
};

std::vector<std::string> words(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

// gavel's table: rank, model, score, (lo, hi), rating, battles, avg tokens.
std::map<std::string, Row> gavel_rows(const std::string& out) {
    std::map<std::string, Row> rows;
    std::istringstream in(out);
    std::string line;
    bool body = false;
    while (std::getline(in, line)) {
        if (line.rfind("rank", 0) == 0) {
            body = true;
            continue;
        }
        const auto w = words(line);
        if (!body || w.size() != 8 || w[3].front() != '(') continue;
        rows[w[1]] = {w[2], w[3] + " " + w[4], w[7]};
    }
    return rows;
}

// The arenas' own print-out: "model | score: 83.8 | 95% CI: (-1.4, 1.3) | average #tokens: 545".
std::map<std::string, Row> arena_rows(const std::string& out) {
    std::map<std::string, Row> rows;
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
        const auto w = words(line);
        // model | score: S | 95% CI: (lo, hi) | average #tokens: N
        if (w.size() != 13 || w[1] != "|" || w[2] != "score:" || w[6] != "CI:") continue;
        rows[w[0]] = {w[3], w[7] + " " + w[8], w[12]};
    }
    return rows;
}

std::string ci_text(const json& ci) {
    std::ostringstream s;
    s.setf(std::ios::fixed);
    s.precision(1);
    s << "(" << ci[0].get<double>() << ", " << ci[1].get<double>() << ")";
    return s.str();
}

void expect_same_rows(const std::map<std::string, Row>& expected, const std::map<std::string, Row>& actual) {
    ASSERT_FALSE(expected.empty()) << "no leaderboard rows parsed";
    EXPECT_EQ(expected.size(), actual.size());
    for (const auto& [model, e] : expected) {
        auto it = actual.find(model);
        ASSERT_NE(it, actual.end()) << model;
        EXPECT_EQ(it->second.score, e.score) << model;
        EXPECT_EQ(it->second.ci, e.ci) << model;
        EXPECT_EQ(it->second.tokens, e.tokens) << model;
    }
}

const std::string kR4dm = "arena/arena_hard_local_r4dm/";
const std::string kRu = "arena/ru_llm_arena/";

std::string r4dm_args() {
    return "--battles " + shell_quote(data_path(kR4dm + "arena_hard_battles.jsonl.gz")) + " --answers " +
           shell_quote(data_path(kR4dm + "model_answer")) + " --baseline Phi-3-medium-128k-instruct";
}

std::string ru_args() {
    return "--judgments " + shell_quote(data_path(kRu + "model_judgment/jinajudge")) + " --answers " +
           shell_quote(data_path(kRu + "model_answer")) + " --baseline gpt-3.5-turbo-0125";
}

TEST(ArenaHardLocal, ReproducesThePublishedLeaderboard) {
    const json published = read_json(data_path(kR4dm + "published.json"));
    std::map<std::string, Row> expected;
    for (const auto& r : published["leaderboard"]) {
        std::ostringstream score;
        score.setf(std::ios::fixed);
        score.precision(1);
        score << r["score"].get<double>();
        expected[r["model"]] = {score.str(), ci_text(r["ci"]), std::to_string(r["avg_tokens"].get<int>())};
    }
    // The arena ran np.random.seed(42), then sample() per round: one stream seeded 42.
    const CommandResult g = run_command(gavel_command("arena " + r4dm_args() + " --seeding stream --seed 42"));
    ASSERT_EQ(g.status, 0) << g.out;
    expect_same_rows(expected, gavel_rows(g.out));
}

TEST(ArenaHardLocal, DrawsTheSameBootstrapResamplesAsThePublishedRun) {
    const json published = read_json(data_path(kR4dm + "published.json"));
    const CommandResult g = run_command(gavel_command("arena " + r4dm_args() + " --seeding stream --seed 42 --json"));
    ASSERT_EQ(g.status, 0) << g.out;
    const json j = json::parse(g.out);
    // The arena fitted with sklearn's LogisticRegression (lbfgs, tol 1e-8), which stops within
    // hundredths of an Elo point of the exact maximum that gavel finds; a different resample
    // would move ratings by several points.
    const auto& rounds = published["bootstrap_first_rounds"];
    for (size_t r = 0; r < rounds.size(); ++r)
        for (const auto& [model, rating] : rounds[r].items())
            EXPECT_NEAR(j["bootstrap_ratings"][model][r].get<double>(), rating.get<double>(), 0.05) << model << " round " << r;
}

TEST(ArenaHardLocal, MatchesTheReimplementationOfItsShowResult) {
    // 30 rounds, not 100: each round is a sklearn fit on 42,032 rows, and the first 30 draws are
    // the published run's too.
    TempDir dir;
    const CommandResult ref = run_command(python_reference(
        "arena_reference.py", "--method arena-hard-v0.1 --rounds 30 " + r4dm_args() + " --json " + shell_quote(dir.file("ref.json"))));
    ASSERT_EQ(ref.status, 0) << ref.out;
    const CommandResult g = run_command(gavel_command("arena " + r4dm_args() + " --seeding stream --seed 42 --rounds 30 --json"));
    ASSERT_EQ(g.status, 0) << g.out;
    const json expected = read_json(dir.file("ref.json")), actual = json::parse(g.out);
    std::map<std::string, json> by_model;
    for (const auto& m : actual["models"]) by_model[m["model"].get<std::string>()] = m;
    for (const auto& e : expected["models"]) {
        const json& a = by_model.at(e["model"].get<std::string>());
        EXPECT_NEAR(a["rating"].get<double>(), e["rating"].get<double>(), 0.05) << e["model"];
        EXPECT_NEAR(a["rating_lower"].get<double>(), e["rating_lower"].get<double>(), 0.05) << e["model"];
        EXPECT_NEAR(a["rating_upper"].get<double>(), e["rating_upper"].get<double>(), 0.05) << e["model"];
        EXPECT_EQ(a["battles"], e["battles"]);
    }
    const CommandResult table = run_command(gavel_command("arena " + r4dm_args() + " --seeding stream --seed 42 --rounds 30"));
    expect_same_rows(arena_rows(ref.out), gavel_rows(table.out));
}

void expect_matches_russian_arena(const std::string& extra) {
    TempDir dir;
    const CommandResult ref = run_command(python_reference(
        "arena_reference.py", "--method ru-llm-arena " + ru_args() + " " + extra + " --json " + shell_quote(dir.file("ref.json"))));
    ASSERT_EQ(ref.status, 0) << ref.out;
    const CommandResult g = run_command(gavel_command("arena " + ru_args() + " " + extra + " --json"));
    ASSERT_EQ(g.status, 0) << g.out;
    const json expected = read_json(dir.file("ref.json")), actual = json::parse(g.out);
    EXPECT_EQ(actual["inputs"]["battles"], expected["battles"]);
    EXPECT_EQ(actual["inputs"]["dropped_labels"], expected["dropped"]);
    std::map<std::string, json> by_model;
    for (const auto& m : actual["models"]) by_model[m["model"].get<std::string>()] = m;
    for (const auto& e : expected["models"]) {
        const json& a = by_model.at(e["model"].get<std::string>());
        // Same battles, same resamples (RandomState(i)), same maximum: equal to rounding.
        EXPECT_NEAR(a["rating"].get<double>(), e["rating"].get<double>(), 1e-6) << e["model"];
        EXPECT_NEAR(a["rating_lower"].get<double>(), e["rating_lower"].get<double>(), 1e-6) << e["model"];
        EXPECT_NEAR(a["rating_upper"].get<double>(), e["rating_upper"].get<double>(), 1e-6) << e["model"];
        EXPECT_DOUBLE_EQ(a["avg_tokens"].get<double>(), e["avg_tokens"].get<double>()) << e["model"];
        const auto& boot_a = actual["bootstrap_ratings"][e["model"].get<std::string>()];
        const auto& boot_e = expected["bootstrap"][e["model"].get<std::string>()];
        ASSERT_EQ(boot_a.size(), boot_e.size());
        for (size_t r = 0; r < boot_e.size(); ++r) EXPECT_NEAR(boot_a[r].get<double>(), boot_e[r].get<double>(), 1e-6) << e["model"] << " " << r;
    }
    const CommandResult table = run_command(gavel_command("arena " + ru_args() + " " + extra));
    expect_same_rows(arena_rows(ref.out), gavel_rows(table.out));
}

TEST(RussianLlmArena, JinaJudgeMatchesTheReimplementationOfItsShowResult) {
    expect_matches_russian_arena("");
    // The judge's "A<B" (its class 0, A>B) is not a label the arena knows: dropped, and said so.
    const CommandResult g = run_command(gavel_command("arena " + ru_args() + " --rounds 5"));
    EXPECT_NE(g.out.find("dropped 14135 of 32000 games with unknown verdict labels: 'A<B' 14135"), std::string::npos) << g.out;
}

TEST(RussianLlmArena, WithTheLabelMapped) { expect_matches_russian_arena("--label-map 'A<B=A>B'"); }

TEST(RussianLlmArena, WithLengthControl) { expect_matches_russian_arena("--length-control"); }

TEST(RussianLlmArena, AverageTokensMatchThePublishedLeaderboard) {
    // The GPT-4-judged leaderboard the arena published was computed from the same answer files.
    const json published = read_json(data_path(kRu + "published_gpt4_leaderboard.json"));
    const CommandResult g = run_command(gavel_command("arena " + ru_args() + " --rounds 0 --json"));
    ASSERT_EQ(g.status, 0) << g.out;
    std::map<std::string, double> tokens;
    const json board = json::parse(g.out);
    for (const auto& m : board["models"]) tokens[m["model"].get<std::string>()] = m["avg_tokens"].get<double>();
    size_t compared = 0;
    for (const auto& p : published["leaderboard"]) {
        auto it = tokens.find(p["model"].get<std::string>());
        if (it == tokens.end()) continue;
        EXPECT_EQ(static_cast<int>(it->second), p["avg_tokens"].get<int>()) << p["model"];
        ++compared;
    }
    EXPECT_GE(compared, 25u) << tokens.size() << " models rated, " << published["leaderboard"].size() << " published";
}

}  // namespace
}  // namespace gavel::testing
