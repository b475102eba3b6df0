// `gavel eval` against scikit-learn (tools/reference/python/eval_reference.py) on random
// judgments and on the real judge-accuracy sets, and against the accuracies LLMBar's authors
// published with their data.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <cstdio>

#include "command_runner.hpp"

namespace gavel::testing {
namespace {

using nlohmann::json;

// Runs gavel eval --json and the sklearn reference with the same arguments; every number the
// reference prints must match to 1e-9.
void expect_matches_sklearn(const std::string& input, const std::string& args, int rounds) {
    TempDir dir;
    const std::string common = "--input " + shell_quote(input) + " " + args + " --rounds " + std::to_string(rounds);
    const CommandResult ref = run_command(python_reference("eval_reference.py", common + " --json " + shell_quote(dir.file("ref.json"))));
    ASSERT_EQ(ref.status, 0) << ref.out;
    const CommandResult g = run_command(gavel_command("eval " + common + " --json"));
    ASSERT_EQ(g.status, 0) << g.out;
    const json expected = read_json(dir.file("ref.json"));
    const json actual = json::parse(g.out);
    EXPECT_EQ(json_differences(expected, actual, 1e-9), "") << "input " << input << " " << args;
    EXPECT_GT(expected["n"].get<int>(), 0);
}

// Random judgments in one label convention, with the awkward cases mixed in: parse failures,
// unknown verdicts, missing verdicts, unknown and missing labels, categories, both orders.
std::string write_random_judgments(const std::string& path, uint32_t seed, const std::string& scheme, size_t n) {
    std::mt19937 rng(seed);
    auto pick = [&](int k) { return static_cast<int>(rng() % static_cast<uint32_t>(k)); };
    auto encode = [&](int cls) -> json {
        if (scheme == "012") return pick(2) ? json(cls) : json(std::to_string(cls));
        if (scheme == "12tie") {
            if (cls == 1) return pick(2) ? json(0) : json(pick(2) ? "tie" : "Tie");
            return json(cls == 0 ? 1 : 2);
        }
        static const char* kNames[] = {"A>B", "A=B", "B>A"};
        if (cls != 1 && pick(5) == 0) return json(cls == 0 ? "A>>B" : "B>>A");
        return json(kNames[cls]);
    };
    // Skewed class frequencies so that macro and micro numbers differ.
    auto draw_class = [&]() { const int r = pick(10); return r < 5 ? 0 : r < 7 ? 1 : 2; };
    std::ofstream out(path);
    static const char* kCategories[] = {"coding", "math", "writing", "ru"};
    for (size_t i = 0; i < n; ++i) {
        json rec;
        std::string id = "r";
        id += std::to_string(i);  // (not "r" + ...: g++ 12 warns falsely on that)
        rec["id"] = id;
        const int label = draw_class();
        const int roll = pick(100);
        if (roll < 2)
            rec["label"] = nullptr;
        else if (roll < 4)
            rec["label"] = "weird";
        else
            rec["label"] = encode(label);
        const int agree = pick(100);
        const int verdict = agree < 65 ? label : draw_class();
        const int vr = pick(100);
        if (vr < 4)
            rec["verdict"] = "parse_failed";
        else if (vr < 6)
            rec["verdict"] = "garbage";
        else if (vr < 7) {
            // no verdict field at all
        } else
            rec["verdict"] = encode(verdict);
        if (pick(10) < 8) rec["category"] = kCategories[pick(4)];
        if (pick(2)) {
            const int other = pick(4) == 0 ? draw_class() : verdict;
            rec["games"] = json::array({{{"order", "as-is"}, {"verdict", encode(verdict)}},
                                        {{"order", "swap"}, {"verdict", pick(20) ? encode(other) : json("parse_failed")}}});
        }
        out << rec.dump() << "\n";
    }
    return path;
}

void random_judgments_match_sklearn(const std::string& scheme, size_t n, uint32_t seed) {
    TempDir dir;
    const std::string path = write_random_judgments(dir.file("judgments.jsonl"), seed, scheme, n);
    expect_matches_sklearn(path, "--label-scheme " + scheme + " --seed " + std::to_string(seed + 1), 200);
}

TEST(EvalReference, RandomArenaLabelsMatchSklearn) { random_judgments_match_sklearn("ab", 300, 11); }
TEST(EvalReference, RandomZeroOneTwoLabelsMatchSklearn) { random_judgments_match_sklearn("012", 120, 12); }
TEST(EvalReference, RandomOneTwoTieLabelsMatchSklearn) { random_judgments_match_sklearn("12tie", 7, 13); }

const std::string kPandaLM = "eval/pandalm/pandalm_testset_v1.jsonl.gz";

TEST(EvalReference, PandaLMHumanLabelsVersusGpt35) {
    expect_matches_sklearn(data_path(kPandaLM), "--pred-field gpt35 --label-scheme 12tie", 300);
}

TEST(EvalReference, PandaLMHumanLabelsVersusPandaLM7B) {
    expect_matches_sklearn(data_path(kPandaLM), "--pred-field pandalm7b --label-scheme 12tie --seed 7", 300);
}

TEST(EvalReference, PandaLMReportsTheGarbageVerdicts) {
    const CommandResult r = run_command(
        gavel_command("eval --input " + shell_quote(data_path(kPandaLM)) +
                      " --pred-field gpt35 --label-scheme 12tie --rounds 10"));
    ASSERT_EQ(r.status, 0) << r.out;
    // GPT-3.5 answered "garbage" 25 times: counted as parse failures, and said so.
    EXPECT_NE(r.out.find("unknown verdicts, counted as parse failures: 'garbage' 25"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("parse failures   25 (2.5%"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("accuracy         0.6977"), std::string::npos) << r.out;
}

void llmbar_matches_sklearn(const std::string& judge) {
    expect_matches_sklearn(data_path("eval/llmbar/" + judge + ".jsonl.gz"), "", 100);
}

TEST(EvalReference, LLMBarGpt4VanillaMatchesSklearn) { llmbar_matches_sklearn("GPT-4_Vanilla"); }
TEST(EvalReference, LLMBarGpt4SwapCoTMatchesSklearn) { llmbar_matches_sklearn("GPT-4_Swap_CoT"); }
TEST(EvalReference, LLMBarChatGptVanillaMatchesSklearn) { llmbar_matches_sklearn("ChatGPT_Vanilla"); }
TEST(EvalReference, LLMBarChatGptSwapCoTMatchesSklearn) { llmbar_matches_sklearn("ChatGPT_Swap_CoT"); }

double published_fraction(const std::string& text) {
    // "95 / 100 = 95.0%" -> 0.95
    int num = 0, den = 0;
    if (std::sscanf(text.c_str(), "%d / %d = ", &num, &den) != 2 || den == 0) ADD_FAILURE() << "unexpected statistics text " << text;
    return static_cast<double>(num) / den;
}

TEST(EvalReference, LLMBarReproducesTheAuthorsPublishedAccuracies) {
    // statistics.json holds, per subset and evaluator, the authors' accuracy of each order
    // (correct_False = as shown, correct_True = swapped), both orders right, their mean, and how
    // often the two orders gave the same winner (which counts two failures as the same).
    const json stats = read_json(data_path("eval/llmbar/statistics.json"));
    size_t checked = 0;
    for (const std::string judge : {"GPT-4/Vanilla", "GPT-4/Swap_CoT", "ChatGPT/Vanilla", "ChatGPT/Swap_CoT"}) {
        std::string file = judge;
        file[file.find('/')] = '_';
        const CommandResult r =
            run_command(gavel_command("eval --rounds 0 --json --input " + shell_quote(data_path("eval/llmbar/" + file + ".jsonl.gz"))));
        ASSERT_EQ(r.status, 0) << r.out;
        const json report = json::parse(r.out);
        for (const auto& [subset, per_judge] : stats.items()) {
            const json& s = per_judge.at(judge);
            const json& o = report["categories"].at(subset).at("orders");
            const std::string where = judge + " " + subset;
            EXPECT_DOUBLE_EQ(o["accuracy_as_is"].get<double>(), published_fraction(s["correct_False"])) << where;
            EXPECT_DOUBLE_EQ(o["accuracy_swap"].get<double>(), published_fraction(s["correct_True"])) << where;
            EXPECT_DOUBLE_EQ(o["both_correct"].get<double>(), published_fraction(s["correct_both"])) << where;
            const double pairs = o["pairs"].get<double>();
            const double equal = (o["swap_consistency"].get<double>() * pairs + o["pairs_both_failed"].get<double>()) / pairs;
            EXPECT_NEAR(equal, published_fraction(s["equal"]), 1e-12) << where;
            const double average = std::stod(s["correct_average"].get<std::string>()) / 100;
            EXPECT_NEAR((o["accuracy_as_is"].get<double>() + o["accuracy_swap"].get<double>()) / 2, average, 1e-12) << where;
            ++checked;
        }
    }
    EXPECT_EQ(checked, 40u);  // 10 subsets x 4 evaluators
}

}  // namespace
}  // namespace gavel::testing
