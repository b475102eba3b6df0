// `gavel eval` as a user meets it: outputs, position-bias numbers, and what it says about bad input.
#include <gtest/gtest.h>

#include <fstream>

#include "command_runner.hpp"

namespace gavel::testing {
namespace {

using nlohmann::json;

TEST(EvalCli, GavelJudgmentsWithBothOrders) {
    TempDir dir;
    // Pair 1: consistent and right. Pair 2: the judge prefers whatever it sees first (as-is says
    // A, swap says B), so the pair verdict is A=B. Pair 3: swap game failed to parse.
    const std::string path = write_lines(dir, "j.jsonl",
        {R"({"id":"1","label":"A>B","verdict":"A>B","category":"x","games":[{"order":"as-is","verdict":"A>B"},{"order":"swap","verdict":"A>B"}]})",
         R"({"id":"2","label":"B>A","verdict":"A=B","category":"x","games":[{"order":"as-is","verdict":"A>B"},{"order":"swap","verdict":"B>A"}]})",
         R"({"id":"3","label":"B>A","verdict":"B>A","category":"y","games":[{"order":"as-is","verdict":"B>A"},{"order":"swap","verdict":"parse_failed"}]})"});
    const CommandResult r = run_command(gavel_command("eval --json --rounds 50 --input " + shell_quote(path)));
    ASSERT_EQ(r.status, 0) << r.out;
    const json j = json::parse(r.out);
    EXPECT_DOUBLE_EQ(j["accuracy"].get<double>(), 2.0 / 3);
    const json& o = j["orders"];
    EXPECT_EQ(o["pairs"], 3);
    EXPECT_DOUBLE_EQ(o["swap_consistency"].get<double>(), 1.0 / 3);
    EXPECT_EQ(o["pairs_with_failed_game"], 1);
    // Decisive games and the position they favour (swap shows B first): pair 1 as-is A>B first,
    // swap A>B second; pair 2 as-is A>B first, swap B>A first; pair 3 as-is B>A second.
    EXPECT_EQ(o["decisive_games"], 5);
    EXPECT_DOUBLE_EQ(o["first_position_win_rate"].get<double>(), 3.0 / 5);
    EXPECT_DOUBLE_EQ(o["accuracy_as_is"].get<double>(), 2.0 / 3);
    EXPECT_DOUBLE_EQ(o["accuracy_swap"].get<double>(), 2.0 / 3);
    EXPECT_DOUBLE_EQ(o["both_correct"].get<double>(), 1.0 / 3);
    EXPECT_EQ(j["categories"]["x"]["n"], 2);
    EXPECT_EQ(j["categories"]["y"]["orders"]["pairs"], 1);
    EXPECT_EQ(j["bootstrap"]["rounds"], 50);
}

TEST(EvalCli, TableHtmlAndGzipInput) {
    TempDir dir;
    const std::string html = dir.file("report.html");
    const CommandResult r = run_command(gavel_command("eval --rounds 100 --input " +
                                                      shell_quote(data_path("eval/llmbar/GPT-4_Vanilla.jsonl.gz")) +
                                                      " --html " + shell_quote(html)));
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("swap consistency"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("LLMBar/Adversarial/Neighbor"), std::string::npos) << r.out;
    std::ifstream in(html);
    const std::string page((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(page.find("<svg"), std::string::npos);
    EXPECT_NE(page.find("Confusion matrix"), std::string::npos);
    EXPECT_NE(page.find("reference label"), std::string::npos);
}

TEST(EvalCli, UnknownLabelsAreCountedNotDropped) {
    TempDir dir;
    const std::string path = write_lines(dir, "j.jsonl",
        {R"({"label":"A>B","verdict":"A>B"})", R"({"label":"A<B","verdict":"A>B"})", R"({"label":"A<B","verdict":"B>A"})",
         R"({"label":null,"verdict":"B>A"})", R"({"label":"B>A","verdict":"B is better"})", R"({"label":"B>A"})"});
    const CommandResult r = run_command(gavel_command("eval --rounds 0 --input " + shell_quote(path)));
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("2 records left out: unknown reference labels 'A<B' 2"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("1 records left out: no reference label"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("unknown verdicts, counted as parse failures: 'B is better' 1"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("1 records have no verdict"), std::string::npos) << r.out;
    // --label-map says what A<B means; then those records count.
    const CommandResult mapped = run_command(gavel_command("eval --rounds 0 --json --label-map 'A<B=A>B' --input " + shell_quote(path)));
    ASSERT_EQ(mapped.status, 0) << mapped.out;
    const json j = json::parse(mapped.out);
    EXPECT_EQ(j["n"], 5);
    EXPECT_DOUBLE_EQ(j["accuracy"].get<double>(), 2.0 / 5);
}

TEST(EvalCli, NumericLabelsNeedAScheme) {
    TempDir dir;
    const std::string path = write_lines(dir, "j.jsonl", {R"({"label":0,"verdict":1})", R"({"label":2,"verdict":2})"});
    const CommandResult r = run_command(gavel_command("eval --input " + shell_quote(path)));
    EXPECT_EQ(r.status, 1) << r.out;
    EXPECT_NE(r.out.find("--label-scheme 012 or 12tie"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("no record has a known reference label"), std::string::npos) << r.out;
    const CommandResult ok = run_command(gavel_command("eval --rounds 0 --json --label-scheme 012 --input " + shell_quote(path)));
    ASSERT_EQ(ok.status, 0) << ok.out;
    EXPECT_DOUBLE_EQ(json::parse(ok.out)["accuracy"].get<double>(), 0.5);
}

TEST(EvalCli, BadInputGivesOneLineErrors) {
    TempDir dir;
    const std::string broken = write_lines(dir, "b.jsonl", {R"({"label":"A>B","verdict":"A>B"})", "{not json"});
    CommandResult r = run_command(gavel_command("eval --input " + shell_quote(broken)));
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.out.find("b.jsonl:2: invalid JSON"), std::string::npos) << r.out;
    r = run_command(gavel_command("eval --input " + shell_quote(dir.file("missing.jsonl"))));
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.out.find("cannot open"), std::string::npos) << r.out;
    r = run_command(gavel_command("eval --input x --label-scheme 0123"));
    EXPECT_EQ(r.status, 2) << r.out;
    r = run_command(gavel_command("eval --input x --label-map nonsense"));
    EXPECT_EQ(r.status, 2) << r.out;
    r = run_command(gavel_command("eval"));
    EXPECT_EQ(r.status, 2) << r.out;
}

}  // namespace
}  // namespace gavel::testing
