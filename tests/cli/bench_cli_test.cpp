// gavel bench on tiny generated models: the JSON keys, numbers that are positive and finite, the
// table, and one-line errors. No timing assertions.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "../io/io_test_support.hpp"
#include "cli_run.hpp"
#include "core/json.hpp"

namespace gavel {
namespace {

using testing::run_gavel;
using testing::ScratchDir;

void make_model(const ScratchDir& dir, const std::string& arch, const std::string& name) {
    auto r = run_gavel({"make-model", "--arch", arch, "--size", "tiny", "--out", (dir / name).string()}, dir.path());
    ASSERT_EQ(r.status, 0) << r.err;
}

void expect_positive(const Json& j, const std::string& key) {
    ASSERT_TRUE(j.contains(key)) << key << " missing in " << j.dump();
    ASSERT_TRUE(j[key].is_number()) << key << " is " << j[key].dump();
    const double v = j[key].get<double>();
    EXPECT_TRUE(std::isfinite(v) && v > 0) << key << " = " << v;
}

void expect_sd(const Json& j, const std::string& key) {
    ASSERT_TRUE(j.contains(key) && j[key].is_number()) << key << " in " << j.dump();
    const double v = j[key].get<double>();
    EXPECT_TRUE(std::isfinite(v) && v >= 0) << key << " = " << v;
}

TEST(BenchCli, Qwen2JsonHasPrefillAndDecode) {
    ScratchDir dir;
    make_model(dir, "qwen2", "q");
    auto r = run_gavel({"bench", "--model", (dir / "q").string(), "--prompt-tokens", "24", "--gen-tokens", "4",
                        "--repetitions", "2", "--threads", "2", "--json"},
                       dir.path());
    ASSERT_EQ(r.status, 0) << r.err;
    Json j = Json::parse(r.out);
    expect_positive(j, "prefill_tok_s");
    expect_sd(j, "prefill_tok_s_sd");
    expect_positive(j, "decode_tok_s");
    expect_sd(j, "decode_tok_s_sd");
    expect_positive(j, "peak_rss_bytes");
    EXPECT_TRUE(j["encode_s"].is_null());
    EXPECT_TRUE(j["encode_s_sd"].is_null());
    ASSERT_TRUE(j.contains("kernels") && j["kernels"].is_string()) << j.dump();
    const std::string kernels = j["kernels"].get<std::string>();
    EXPECT_TRUE(kernels == "amx" || kernels == "avx512" || kernels == "avx2" || kernels == "sse2") << kernels;
    EXPECT_EQ(j["weight_bytes"], 39068800);  // the tiny model's bf16 bytes (make-model prints them)
    EXPECT_EQ(j["parameters"], 19534400);
    EXPECT_EQ(j["threads"], 2);
    EXPECT_EQ(j["repetitions"], 2);
    EXPECT_EQ(j["warmup"], true);
    EXPECT_EQ(j["prompt_tokens"], 24);
    EXPECT_EQ(j["gen_tokens"], 4);
    EXPECT_EQ(j["model"], (dir / "q").string());
    EXPECT_EQ(j["architecture"], "Qwen2ForCausalLM");
    // Resident memory holds at least the weights the runs touched: more than the f32 KV cache alone.
    EXPECT_GT(j["peak_rss_bytes"].get<double>(), 1e6);
}

TEST(BenchCli, Int8WeightsForBothArchitectures) {
    ScratchDir dir;
    make_model(dir, "qwen2", "q");
    make_model(dir, "jina-judge", "j");
    auto q = run_gavel({"bench", "--model", (dir / "q").string(), "--weights", "int8", "--prompt-tokens", "20",
                        "--gen-tokens", "3", "--repetitions", "1", "--threads", "2", "--json"},
                       dir.path());
    ASSERT_EQ(q.status, 0) << q.err;
    Json jq = Json::parse(q.out);
    EXPECT_EQ(jq["weights"], "int8");
    expect_positive(jq, "prefill_tok_s");
    expect_positive(jq, "decode_tok_s");
    auto j = run_gavel({"bench", "--model", (dir / "j").string(), "--weights", "int8", "--encode-tokens", "24",
                        "--repetitions", "1", "--json"},
                       dir.path());
    ASSERT_EQ(j.status, 0) << j.err;
    Json jj = Json::parse(j.out);
    EXPECT_EQ(jj["weights"], "int8");
    expect_positive(jj, "encode_s");
}

TEST(BenchCli, Qwen2Table) {
    ScratchDir dir;
    make_model(dir, "qwen2", "q");
    auto r = run_gavel({"bench", "--model", (dir / "q").string(), "--prompt-tokens", "8", "--gen-tokens", "2",
                        "--repetitions", "1", "--threads", "1", "--no-warmup"},
                       dir.path());
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("pp8"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("tg2"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("tok/s"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("1 run, no warm-up"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("peak resident memory"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("encode"), std::string::npos) << r.out;
}

TEST(BenchCli, JinaJudgeAndItsEncoder) {
    ScratchDir dir;
    make_model(dir, "jina-judge", "j");
    for (bool encoder_only : {false, true}) {
        std::vector<std::string> args = {"bench", "--model", (dir / "j").string(), "--encode-tokens", "40",
                                         "--repetitions", "2", "--threads", "2", "--json"};
        if (encoder_only) args.push_back("--encoder-only");
        auto r = run_gavel(args, dir.path());
        ASSERT_EQ(r.status, 0) << r.err;
        Json j = Json::parse(r.out);
        expect_positive(j, "encode_s");
        expect_sd(j, "encode_s_sd");
        expect_positive(j, "peak_rss_bytes");
        expect_positive(j, "weight_bytes");
        EXPECT_EQ(j["encode_tokens"], 40);
        EXPECT_TRUE(j["prefill_tok_s"].is_null());
        EXPECT_TRUE(j["decode_tok_s"].is_null());
        EXPECT_TRUE(j["decode_tok_s_sd"].is_null());
        EXPECT_EQ(j["architecture"], encoder_only ? "XLMRobertaLoRA" : "JinaJudge");
    }
    auto table = run_gavel({"bench", "--model", (dir / "j").string(), "--encode-tokens", "16", "--repetitions", "1"},
                           dir.path());
    ASSERT_EQ(table.status, 0) << table.err;
    EXPECT_NE(table.out.find("encode16"), std::string::npos) << table.out;
    EXPECT_EQ(table.out.find("tok/s"), std::string::npos) << table.out;
}

TEST(BenchCli, ErrorsAreOneLine) {
    ScratchDir dir;
    make_model(dir, "jina-judge", "j");
    auto reps = run_gavel({"bench", "--model", (dir / "j").string(), "--repetitions", "0"}, dir.path());
    EXPECT_EQ(reps.status, 2);
    EXPECT_EQ(reps.err, "gavel bench: --repetitions must be at least 1, got 0 (see 'gavel bench --help')\n");
    auto tokens = run_gavel({"bench", "--model", (dir / "j").string(), "--encode-tokens", "9000"}, dir.path());
    EXPECT_EQ(tokens.status, 2);
    EXPECT_NE(tokens.err.find("--encode-tokens must be between 2 and the encoder's max_position_embeddings"),
              std::string::npos)
        << tokens.err;
    auto weights = run_gavel({"bench", "--model", (dir / "j").string(), "--weights", "q4"}, dir.path());
    EXPECT_EQ(weights.status, 2);
    EXPECT_EQ(weights.err, "gavel bench: --weights must be checkpoint or int8, got 'q4' (see 'gavel bench --help')\n");
    auto missing = run_gavel({"bench", "--model", (dir / "nothing").string()}, dir.path());
    EXPECT_EQ(missing.status, 1);
    EXPECT_EQ(std::count(missing.err.begin(), missing.err.end(), '\n'), 1) << missing.err;
    EXPECT_EQ(missing.err.rfind("gavel bench: error: ", 0), 0u) << missing.err;
    auto no_model = run_gavel({"bench"}, dir.path());
    EXPECT_EQ(no_model.status, 2);
}

}  // namespace
}  // namespace gavel
