// `gavel demo` and `gavel judge` end to end on the tiny generated models the demo writes.
#include <gtest/gtest.h>

#include <fstream>

#include "cli_run.hpp"
#include "core/cpu_features.hpp"
#include "core/json.hpp"
#include <unistd.h>

namespace gavel {
namespace {

using testing::run_gavel;

std::vector<Json> read_jsonl(const std::filesystem::path& path) {
    std::vector<Json> lines;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) lines.push_back(Json::parse(line));
    return lines;
}

// Every game of the --order both judgments `lines` has the probabilities of `exact`'s to within `tolerance`.
void expect_probs_near(const std::vector<Json>& lines, const std::vector<Json>& exact, double tolerance) {
    ASSERT_EQ(lines.size(), exact.size());
    for (size_t i = 0; i < lines.size(); ++i)
        for (size_t g = 0; g < 2; ++g) {
            auto p = lines[i]["games"][g]["probs"].get<std::vector<double>>();
            auto e = exact[i]["games"][g]["probs"].get<std::vector<double>>();
            for (size_t c = 0; c < 3; ++c) EXPECT_NEAR(p[c], e[c], tolerance) << "pair " << i << " game " << g;
        }
}

class JudgeCli : public ::testing::Test {
protected:
    // One demo run provides both tiny judges and the pairs for every test of the suite.
    static void SetUpTestSuite() {
        dir_ = new std::filesystem::path(std::filesystem::path(::testing::TempDir()) /
                                         ("gavel-judge-cli-" + std::to_string(::getpid())));
        std::filesystem::create_directories(*dir_);
        demo_ = new testing::CliResult(run_gavel({"demo", "--dir", dir_->string(), "--threads", "2"}, *dir_));
    }
    static void TearDownTestSuite() {
        std::filesystem::remove_all(*dir_);
        delete dir_;
        delete demo_;
    }
    static std::filesystem::path* dir_;
    static testing::CliResult* demo_;
};
std::filesystem::path* JudgeCli::dir_ = nullptr;
testing::CliResult* JudgeCli::demo_ = nullptr;

TEST_F(JudgeCli, DemoRunsOfflineAndSaysWeightsAreRandom) {
    ASSERT_EQ(demo_->status, 0) << demo_->err;
    EXPECT_NE(demo_->out.find("RANDOM WEIGHTS"), std::string::npos);
    auto jina = read_jsonl(*dir_ / "judgments-jinajudge.jsonl");
    ASSERT_EQ(jina.size(), 5u);
    for (const Json& j : jina) {
        EXPECT_EQ(j["games"].size(), 2u);
        EXPECT_TRUE(j.contains("consistent"));
        auto probs = j["games"][0]["probs"].get<std::vector<double>>();
        EXPECT_NEAR(probs[0] + probs[1] + probs[2], 1.0, 1e-5);
    }
    auto conj = read_jsonl(*dir_ / "judgments-conj.jsonl");
    ASSERT_EQ(conj.size(), 5u);
    EXPECT_EQ(conj[0]["judge"]["protocol"], "con-j");
    EXPECT_EQ(conj[0]["games"][0]["generated_tokens"], 24);
}

TEST_F(JudgeCli, EveryOrderModeWithBothJudges) {
    ASSERT_EQ(demo_->status, 0) << demo_->err;
    for (const char* model : {"jina-judge-tiny", "qwen2-tiny"}) {
        for (const char* order : {"as-is", "swap", "both"}) {
            auto out = *dir_ / (std::string(model) + "-" + order + ".jsonl");
            auto r = run_gavel({"judge", "--model", (*dir_ / model).string(), "--input", (*dir_ / "pairs.jsonl").string(),
                                "--output", out.string(), "--order", order, "--max-new-tokens", "8", "--threads", "2"},
                               *dir_);
            ASSERT_EQ(r.status, 0) << model << " " << order << ": " << r.err;
            auto lines = read_jsonl(out);
            ASSERT_EQ(lines.size(), 5u) << model << " " << order;
            size_t games = std::string(order) == "both" ? 2 : 1;
            for (const Json& j : lines) {
                EXPECT_EQ(j["games"].size(), games);
                EXPECT_TRUE(j["verdict"] == "A>B" || j["verdict"] == "A=B" || j["verdict"] == "B>A" ||
                            j["verdict"] == "parse_failed")
                    << j.dump();
                if (std::string(order) == "swap") {
                    EXPECT_EQ(j["games"][0]["order"], "swap");
                }
            }
        }
    }
}

// --weights int8 with both judges: every pair judged, the judge marked "weights": "int8" (so a
// resume with the checkpoint's weights is refused); the JinaJudge probabilities stay near the
// checkpoint-weight run's (the demo's judgments).
TEST_F(JudgeCli, Int8WeightsWithBothJudges) {
    ASSERT_EQ(demo_->status, 0) << demo_->err;
    for (const char* model : {"jina-judge-tiny", "qwen2-tiny"}) {
        auto out = *dir_ / (std::string(model) + "-int8.jsonl");
        auto r = run_gavel({"judge", "--model", (*dir_ / model).string(), "--input", (*dir_ / "pairs.jsonl").string(),
                            "--output", out.string(), "--order", "both", "--weights", "int8", "--max-new-tokens", "8",
                            "--threads", "2"},
                           *dir_);
        ASSERT_EQ(r.status, 0) << model << ": " << r.err;
        auto lines = read_jsonl(out);
        ASSERT_EQ(lines.size(), 5u) << model;
        EXPECT_EQ(lines[0]["judge"]["weights"], "int8") << lines[0].dump();
        // Resuming that file with the checkpoint's weights would mix two judges: refused.
        auto resume = run_gavel({"judge", "--model", (*dir_ / model).string(), "--input",
                                 (*dir_ / "pairs.jsonl").string(), "--output", out.string(), "--order", "both",
                                 "--max-new-tokens", "8", "--threads", "2"},
                                *dir_);
        EXPECT_EQ(resume.status, 1) << model;
        EXPECT_NE(resume.err.find("written by another judge"), std::string::npos) << resume.err;
        if (std::string(model) != "jina-judge-tiny") continue;
        expect_probs_near(lines, read_jsonl(*dir_ / "judgments-jinajudge.jsonl"), 0.02);
    }
}

// --matmul bf16 --attention bf16: every pair judged; the judge is marked with the bf16 products in
// effect (none on a CPU without AVX512-BF16), and a resume without them is then refused; the
// JinaJudge probabilities stay near the exact run's (the demo's judgments). A bad value is a usage error.
TEST_F(JudgeCli, Bf16PrecisionWithBothJudges) {
    ASSERT_EQ(demo_->status, 0) << demo_->err;
    const bool bf16 = cpu_features().avx512_bf16;
    for (const char* model : {"jina-judge-tiny", "qwen2-tiny"}) {
        auto out = *dir_ / (std::string(model) + "-bf16.jsonl");
        const std::vector<std::string> base = {"judge", "--model", (*dir_ / model).string(), "--input",
                                               (*dir_ / "pairs.jsonl").string(), "--output", out.string(),
                                               "--order", "both", "--max-new-tokens", "8", "--threads", "2"};
        auto args = base;
        args.insert(args.end(), {"--matmul", "bf16", "--attention", "bf16"});
        auto r = run_gavel(args, *dir_);
        ASSERT_EQ(r.status, 0) << model << ": " << r.err;
        auto lines = read_jsonl(out);
        ASSERT_EQ(lines.size(), 5u) << model;
        const Json& id = lines[0]["judge"];
        EXPECT_EQ(id.contains("matmul"), bf16) << id.dump();
        if (bf16) {
            EXPECT_EQ(id["matmul"], "bf16");
        }
        if (id.contains("attention")) {
            EXPECT_TRUE(bf16 && std::string(model) == "jina-judge-tiny") << id.dump();
        }
        if (bf16) {
            auto resume = run_gavel(base, *dir_);
            EXPECT_EQ(resume.status, 1) << model;
            EXPECT_NE(resume.err.find("written by another judge"), std::string::npos) << resume.err;
        }
        if (std::string(model) != "jina-judge-tiny") continue;
        expect_probs_near(lines, read_jsonl(*dir_ / "judgments-jinajudge.jsonl"), 0.02);
    }
    auto bad = run_gavel({"judge", "--model", (*dir_ / "jina-judge-tiny").string(), "--input",
                          (*dir_ / "pairs.jsonl").string(), "--output", (*dir_ / "never.jsonl").string(), "--matmul",
                          "fp8"},
                         *dir_);
    EXPECT_EQ(bad.status, 2);
    EXPECT_EQ(bad.err, "gavel judge: --matmul must be f32 or bf16, got 'fp8' (see 'gavel judge --help')\n");
}

TEST_F(JudgeCli, RerunResumesAndLimitStopsEarly) {
    ASSERT_EQ(demo_->status, 0) << demo_->err;
    auto out = *dir_ / "resume.jsonl";
    std::vector<std::string> base = {"judge", "--model", (*dir_ / "jina-judge-tiny").string(), "--input",
                                     (*dir_ / "pairs.jsonl").string(), "--output", out.string()};
    auto first = base;
    first.insert(first.end(), {"--limit", "2"});
    ASSERT_EQ(run_gavel(first, *dir_).status, 0);
    EXPECT_EQ(read_jsonl(out).size(), 2u);
    auto second = run_gavel(base, *dir_);
    ASSERT_EQ(second.status, 0) << second.err;
    EXPECT_NE(second.err.find("3 judged"), std::string::npos) << second.err;
    EXPECT_NE(second.err.find("2 already in the output"), std::string::npos) << second.err;
    EXPECT_EQ(read_jsonl(out).size(), 5u);
}

TEST_F(JudgeCli, ErrorsAreOneLine) {
    ASSERT_EQ(demo_->status, 0) << demo_->err;
    auto r = run_gavel({"judge", "--model", (*dir_ / "jina-judge-tiny").string(), "--input",
                        (*dir_ / "missing.jsonl").string(), "--output", (*dir_ / "x.jsonl").string()},
                       *dir_);
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("missing.jsonl: cannot open"), std::string::npos) << r.err;
    r = run_gavel({"judge", "--input", "a", "--output", "b", "--order", "sideways"}, *dir_);
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("--order must be as-is, swap or both"), std::string::npos) << r.err;
    r = run_gavel({"judge", "--output", "b"}, *dir_);
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("--input is required"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace gavel
