// `gavel arena` as a user meets it: every input kind, every output, degenerate data, and the
// Bradley-Terry fit against an independent SciPy maximum-likelihood fit.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>

#include "../eval/command_runner.hpp"
#include "arena/bradley_terry.hpp"
#include "arena/pair_counts.hpp"
#include "core/line_reader.hpp"

namespace gavel::testing {
namespace {

using nlohmann::json;

std::string battle(const std::string& a, const std::string& b, const std::string& winner) {
    return json{{"question_id", "q"}, {"model_a", a}, {"model_b", b}, {"winner", winner}}.dump();
}

json arena_json(const std::string& args) {
    const CommandResult r = run_command(gavel_command("arena " + args + " --json"));
    EXPECT_EQ(r.status, 0) << r.out;
    return r.status == 0 ? json::parse(r.out) : json();
}

const json& model_row(const json& board, const std::string& model) {
    for (const auto& m : board["models"])
        if (m["model"] == model) return m;
    static const json none;
    ADD_FAILURE() << "no row for " << model;
    return none;
}

std::string notes(const json& board) {
    std::string all;
    for (const auto& n : board["notes"]) all += n.get<std::string>() + "\n";
    return all;
}

TEST(ArenaCli, RandomBattlesMatchAScipyFit) {
    // Arbitrary pairs (not a star around a baseline), ties included, 12 models.
    TempDir dir;
    std::mt19937 rng(5);
    const std::vector<double> strength = {0, 0.4, -0.3, 1.2, 0.8, -1.0, 0.1, 0.5, -0.6, 2.0, -0.2, 0.3};
    std::vector<std::string> lines;
    for (int i = 0; i < 3000; ++i) {
        const int a = static_cast<int>(rng() % 12), b = static_cast<int>((a + 1 + rng() % 11) % 12);
        const double p = 1 / (1 + std::exp(strength[b] - strength[a]));
        const double u = std::uniform_real_distribution<double>(0, 1)(rng);
        const std::string winner = u < 0.15 ? "tie" : (u - 0.15) / 0.85 < p ? "model_a" : "model_b";
        std::string model_a = "m", model_b = "m";  // (appended, not "m" + ...: g++ 12 warns falsely on that)
        model_a += std::to_string(a);
        model_b += std::to_string(b);
        lines.push_back(battle(model_a, model_b, winner));
    }
    const std::string path = write_lines(dir, "battles.jsonl", lines);
    const CommandResult ref = run_command(python_reference("bt_scipy_reference.py", "--input " + shell_quote(path) + " --json " + shell_quote(dir.file("scipy.json"))));
    ASSERT_EQ(ref.status, 0) << ref.out;
    const json scipy = read_json(dir.file("scipy.json"));
    // Without --baseline the ratings' mean is 1000, as in the SciPy script.
    const json board = arena_json("--battles " + shell_quote(path) + " --rounds 0");
    for (size_t k = 0; k < scipy["models"].size(); ++k)
        EXPECT_NEAR(model_row(board, scipy["models"][k])["rating"].get<double>(), scipy["ratings"][k].get<double>(), 1e-6);
    // With a baseline: the same differences, anchored there.
    const CommandResult anchored = run_command(python_reference("bt_scipy_reference.py", "--anchor m0 --input " + shell_quote(path) + " --json " + shell_quote(dir.file("scipy0.json"))));
    ASSERT_EQ(anchored.status, 0) << anchored.out;
    const json scipy0 = read_json(dir.file("scipy0.json"));
    const json board0 = arena_json("--battles " + shell_quote(path) + " --rounds 0 --baseline m0");
    for (size_t k = 0; k < scipy0["models"].size(); ++k)
        EXPECT_NEAR(model_row(board0, scipy0["models"][k])["rating"].get<double>(), scipy0["ratings"][k].get<double>(), 1e-6);
}

TEST(ArenaCli, EvalicaDataMatchesAScipyFit) {
    TempDir dir;
    for (const std::string name : {"food.csv", "llmfao.csv.gz"}) {
        const std::string csv = data_path("arena/evalica_golden/" + name);
        const CommandResult ref = run_command(python_reference("bt_scipy_reference.py", "--input " + shell_quote(csv) + " --json " + shell_quote(dir.file("s.json"))));
        ASSERT_EQ(ref.status, 0) << ref.out;
        const json scipy = read_json(dir.file("s.json"));
        // Same battles through gavel's library (the CLI reads JSONL, Evalica ships CSV).
        arena::BattleTable table;
        LineReader lines(csv);
        std::string line;
        lines.next(line);
        while (lines.next(line)) {
            std::vector<std::string> f;
            std::stringstream s(line);
            std::string x;
            while (std::getline(s, x, ',')) f.push_back(x);
            const bool wide = f.size() == 8;  // llmfao: id,prompt,model_x,model_y,worker,winner,left,right
            const std::string left = wide ? f[6] : f[0], right = wide ? f[7] : f[1], winner = wide ? f[5] : f[2];
            table.add(table.model_id(left), table.model_id(right),
                      winner == "left" ? arena::BattleOutcome::a_wins : winner == "right" ? arena::BattleOutcome::b_wins : arena::BattleOutcome::tie);
        }
        const arena::BattleCells cells(table);
        const auto fit = arena::fit_bradley_terry(cells.to_pairs(cells.all_rows()));
        double sum = 0;
        for (double t : fit.log_strength) sum += std::exp(t);
        for (size_t k = 0; k < scipy["models"].size(); ++k) {
            const double mine = std::exp(fit.log_strength[*table.find_model(scipy["models"][k])]) / sum;
            EXPECT_NEAR(mine / scipy["scores"][k].get<double>(), 1.0, 1e-7) << name << " " << scipy["models"][k];
        }
    }
}

TEST(ArenaCli, GavelJudgmentsGiveOneBattlePerGame) {
    TempDir dir;
    auto judgment = [](const std::string& a, const std::string& b, const std::string& g1, const std::string& g2) {
        return json{{"id", "q"}, {"model_a", a}, {"model_b", b}, {"verdict", g1},
                    {"games", json::array({{{"order", "as-is"}, {"verdict", g1}}, {{"order", "swap"}, {"verdict", g2}}})}}.dump();
    };
    const std::string path = write_lines(dir, "judgments.jsonl",
        {judgment("x", "base", "A>B", "A>B"), judgment("x", "base", "A>B", "A=B"), judgment("base", "x", "A>B", "parse_failed"),
         judgment("y", "base", "B>A", "B>A"), judgment("y", "base", "A>B", "B>A"), R"({"id":"q","model_a":"y","model_b":"base","verdict":"A=B"})"});
    const json board = arena_json("--judgments " + shell_quote(path) + " --baseline base --rounds 20");
    EXPECT_EQ(board["inputs"]["battles"], 10);
    EXPECT_EQ(board["inputs"]["dropped_labels"]["parse_failed"], 1);
    // x: 3 wins, 1 tie, 1 loss against base -> rating 400 log10(3.5 / 1.5); y: 1 win, 1 tie, 3 losses.
    EXPECT_NEAR(model_row(board, "x")["rating"].get<double>(), 1000 + 400 * std::log10(3.5 / 1.5), 1e-8);
    EXPECT_NEAR(model_row(board, "y")["rating"].get<double>(), 1000 + 400 * std::log10(1.5 / 3.5), 1e-8);
    EXPECT_NEAR(model_row(board, "x")["score"].get<double>(), 70.0, 1e-8);
}

TEST(ArenaCli, ModelThatNeverLosesAndModelWithoutBattles) {
    TempDir dir;
    std::vector<std::string> lines;
    for (int i = 0; i < 6; ++i) lines.push_back(battle("champ", "base", "model_a"));
    for (int i = 0; i < 4; ++i) lines.push_back(battle("mid", "base", i % 2 ? "model_a" : "model_b"));
    // "ghost" appears only in an Arena-Hard judgment whose verdicts are all unknown.
    const std::string battles = write_lines(dir, "battles.jsonl", lines);
    const std::string ghost = write_lines(dir, "ghost.jsonl",
        {R"({"question_id":1,"model":"ghost","games":[{"score":"??"},{"score":null}]})"});
    const json board = arena_json("--battles " + shell_quote(battles) + " --judgments " + shell_quote(ghost) + " --baseline base --rounds 50");
    const json& champ = model_row(board, "champ");
    EXPECT_TRUE(champ["rating"].is_number());
    EXPECT_GT(champ["rating"].get<double>(), model_row(board, "mid")["rating"].get<double>());
    EXPECT_TRUE(champ["rating_upper"].is_number());
    EXPECT_TRUE(board["used_prior"].get<bool>());
    EXPECT_TRUE(model_row(board, "ghost")["rating"].is_null());
    EXPECT_TRUE(model_row(board, "ghost")["rank"].is_null());
    const std::string n = notes(board);
    EXPECT_NE(n.find("never lost: champ"), std::string::npos) << n;
    EXPECT_NE(n.find("half a win and half a loss"), std::string::npos) << n;
    EXPECT_NE(n.find("not rated, no battles against another model: ghost"), std::string::npos) << n;
    EXPECT_NE(n.find("'?" "?' 1"), std::string::npos) << n;  // (split: "??'" is a trigraph)
    EXPECT_NE(n.find("'null' 1"), std::string::npos) << n;
    // The table says the same, and every number printed is finite.
    const CommandResult table = run_command(gavel_command("arena --battles " + shell_quote(battles) + " --judgments " + shell_quote(ghost) + " --baseline base --rounds 50"));
    ASSERT_EQ(table.status, 0) << table.out;
    const std::string rows = table.out.substr(table.out.find("\nrank"));
    EXPECT_EQ(rows.find("nan"), std::string::npos) << rows;
    EXPECT_EQ(rows.find("inf"), std::string::npos) << rows;
}

TEST(ArenaCli, OneBattle) {
    TempDir dir;
    const std::string path = write_lines(dir, "one.jsonl", {battle("a", "b", "model_a")});
    for (const std::string method : {"bt", "bt-ties", "elo"}) {
        const json board = arena_json("--battles " + shell_quote(path) + " --baseline b --method " + method);
        EXPECT_TRUE(model_row(board, "a")["rating"].is_number()) << method;
        EXPECT_TRUE(model_row(board, "a")["score"].is_number()) << method;
        EXPECT_GT(model_row(board, "a")["score"].get<double>(), 50.0) << method;
        EXPECT_NE(notes(board).find("a single battle"), std::string::npos) << method;
    }
}

TEST(ArenaCli, BradleyTerryWithTiesAndOnlineElo) {
    TempDir dir;
    std::vector<std::string> lines;
    for (int i = 0; i < 40; ++i) lines.push_back(battle("a", "b", i % 4 == 0 ? "tie" : i % 4 == 1 ? "model_b" : "model_a"));
    for (int i = 0; i < 40; ++i) lines.push_back(battle("b", "c", i % 3 == 0 ? "tie" : i % 3 == 1 ? "model_b" : "model_a"));
    const std::string path = write_lines(dir, "b.jsonl", lines);
    const json ties = arena_json("--battles " + shell_quote(path) + " --baseline b --method bt-ties --rounds 30");
    EXPECT_GT(ties["tie_parameter"].get<double>(), 0.0);
    EXPECT_GT(model_row(ties, "a")["score"].get<double>(), 50.0);
    EXPECT_LT(model_row(ties, "c")["score"].get<double>(), 50.0);
    EXPECT_DOUBLE_EQ(model_row(ties, "b")["rating"].get<double>(), 1000.0);
    const json elo = arena_json("--battles " + shell_quote(path) + " --method elo --k 16 --rounds 30");
    EXPECT_GT(model_row(elo, "a")["rating"].get<double>(), model_row(elo, "c")["rating"].get<double>());
    EXPECT_EQ(elo["elo"]["k"], 16.0);
    EXPECT_TRUE(elo["baseline"].is_null());
}

TEST(ArenaCli, CsvHtmlAndSvg) {
    TempDir dir;
    const std::string html = dir.file("board.html"), csv = dir.file("board.csv");
    const CommandResult r = run_command(gavel_command(
        "arena --battles " + shell_quote(data_path("arena/arena_hard_local_r4dm/arena_hard_battles.jsonl.gz")) + " --answers " +
        shell_quote(data_path("arena/arena_hard_local_r4dm/model_answer")) +
        " --baseline Phi-3-medium-128k-instruct --rounds 20 --csv " + shell_quote(csv) + " --html " + shell_quote(html)));
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("board.svg"), std::string::npos) << r.out;
    auto slurp = [](const std::string& p) {
        std::ifstream in(p);
        return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    };
    const std::string c = slurp(csv), h = slurp(html), s = slurp(dir.file("board.svg"));
    EXPECT_EQ(c.rfind("rank,model,score,score_lower,score_upper,rating", 0), 0u) << c;
    EXPECT_EQ(std::count(c.begin(), c.end(), '\n'), 10);  // header + 9 models
    EXPECT_NE(c.find("1,Llama-3-Instruct-8B-SimPO,"), std::string::npos) << c;
    EXPECT_NE(h.find("<svg"), std::string::npos);
    EXPECT_NE(h.find("Llama-3-Instruct-8B-SimPO"), std::string::npos);
    EXPECT_EQ(s.rfind("<svg", 0), 0u);
    size_t dots = 0;
    for (size_t at = s.find("<circle"); at != std::string::npos; at = s.find("<circle", at + 1)) ++dots;
    EXPECT_EQ(dots, 9u);
}

TEST(ArenaCli, ResultsDoNotDependOnThreads) {
    const std::string args = "--judgments " + shell_quote(data_path("arena/ru_llm_arena/model_judgment/jinajudge")) +
                             " --baseline gpt-3.5-turbo-0125 --rounds 40";
    const json one = arena_json(args + " --threads 1"), many = arena_json(args + " --threads 3");
    EXPECT_EQ(one["bootstrap_ratings"], many["bootstrap_ratings"]);
    const json stream1 = arena_json(args + " --threads 1 --seeding stream"), stream3 = arena_json(args + " --threads 3 --seeding stream");
    EXPECT_EQ(stream1["bootstrap_ratings"], stream3["bootstrap_ratings"]);
}

TEST(ArenaCli, UsageAndInputErrors) {
    TempDir dir;
    CommandResult r = run_command(gavel_command("arena --baseline x"));
    EXPECT_EQ(r.status, 2) << r.out;
    const std::string ah = write_lines(dir, "ah.jsonl", {R"({"question_id":1,"model":"m","games":[{"score":"A>B"},{"score":"B>A"}]})"});
    r = run_command(gavel_command("arena --judgments " + shell_quote(ah)));
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.out.find("give --baseline"), std::string::npos) << r.out;
    r = run_command(gavel_command("arena --judgments " + shell_quote(ah) + " --baseline nobody --label-map 'A>B=drop' --label-map 'B>A=drop'"));
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.out.find("no battles"), std::string::npos) << r.out;
    const std::string odd = write_lines(dir, "odd.jsonl", {R"({"hello":1})"});
    r = run_command(gavel_command("arena --battles " + shell_quote(odd)));
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.out.find("odd.jsonl:1: not a judgment or battle"), std::string::npos) << r.out;
    r = run_command(gavel_command("arena --battles " + shell_quote(odd) + " --method magic"));
    EXPECT_EQ(r.status, 2) << r.out;
    r = run_command(gavel_command("arena --battles " + shell_quote(odd) + " --length-control --baseline x"));
    EXPECT_EQ(r.status, 2) << r.out;
    const std::string b = write_lines(dir, "b.jsonl", {battle("a", "b", "model_a"), battle("a", "b", "model_b")});
    r = run_command(gavel_command("arena --battles " + shell_quote(b) + " --baseline zed"));
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.out.find("baseline 'zed' appears in no battle"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace gavel::testing
