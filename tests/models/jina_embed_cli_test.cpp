// `gavel embed` on token-id input (no tokenizer needed) against the encoder in-process: with and
// without a task adapter, --dim and --normalize, and its errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "models/xlm_roberta.hpp"
#include "jina_test_model.hpp"

namespace gavel {
namespace {

using namespace gavel::testing;

// The float32 matrix of a .npy file written by gavel embed (shape checked through the header).
std::vector<float> read_npy(const std::filesystem::path& path, int64_t rows, int64_t cols) {
    std::ifstream f(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    EXPECT_GE(bytes.size(), 10u);
    if (bytes.size() < 10) return {};
    EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
    const size_t header = 10 + size_t(uint8_t(bytes[8])) + 256 * size_t(uint8_t(bytes[9]));
    EXPECT_EQ(header % 64, 0u);
    EXPECT_NE(bytes.find(fmt::format("'descr': '<f4', 'fortran_order': False, 'shape': ({}, {})", rows, cols)),
              std::string::npos);
    EXPECT_EQ(bytes.size(), header + size_t(rows * cols) * 4);
    std::vector<float> values(size_t(rows * cols));
    if (bytes.size() == header + values.size() * 4) std::memcpy(values.data(), bytes.data() + header, values.size() * 4);
    return values;
}

struct EmbedRun {
    std::filesystem::path dir;
    std::vector<std::vector<int32_t>> inputs = {random_token_ids(9, 1), random_token_ids(300, 2),
                                                random_token_ids(41, 3)};
    EmbedRun() : dir(tiny_jina_judge().dir / "embed-cli") {
        std::filesystem::create_directories(dir);
        std::ofstream in(dir / "ids.jsonl");
        for (const auto& ids : inputs) in << Json{{"ids", ids}}.dump() << "\n";
    }
    int run(const std::string& args, const std::string& output) const {
        return run_command(shell_quoted(GAVEL_BINARY) + " embed --quiet --model " + shell_quoted(tiny_jina_judge().dir) +
                           " --input " + shell_quoted(dir / "ids.jsonl") + " --output " + shell_quoted(dir / output) +
                           " " + args + " 2>" + shell_quoted(dir / "stderr.txt"));
    }
    std::string stderr_text() const {
        std::ifstream f(dir / "stderr.txt");
        return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    }
};

TEST(JinaEmbedCli, TokenIdsWithAndWithoutTaskMatchTheEncoder) {
    const auto& m = tiny_jina_judge();
    EmbedRun r;
    ThreadPool pool(2);
    for (const std::optional<std::string>& task : {std::optional<std::string>{}, std::optional<std::string>{"separation"}}) {
        const std::string out = task ? "task.npy" : "base.npy";
        ASSERT_EQ(r.run(task ? "--task " + *task : "", out), 0) << r.stderr_text();
        auto got = read_npy(r.dir / out, 3, 64);
        auto enc = XlmRobertaEncoder::load(m.checkpoint, m.encoder_config, {task, std::nullopt});
        for (size_t i = 0; i < r.inputs.size(); ++i) {
            auto expected = enc.embed(pool, TokenBatch::pad(std::span(&r.inputs[i], 1), 1));
            for (size_t j = 0; j < 64; ++j) ASSERT_EQ(got[i * 64 + j], expected[j]) << i << "," << j;
        }
    }
    EXPECT_NE(read_npy(r.dir / "base.npy", 3, 64), read_npy(r.dir / "task.npy", 3, 64));
}

TEST(JinaEmbedCli, DimAndNormalize) {
    EmbedRun r;
    ASSERT_EQ(r.run("", "full.npy"), 0) << r.stderr_text();
    ASSERT_EQ(r.run("--dim 32 --normalize", "short.npy"), 0) << r.stderr_text();
    auto full = read_npy(r.dir / "full.npy", 3, 64);
    auto short_rows = read_npy(r.dir / "short.npy", 3, 32);
    for (size_t i = 0; i < 3; ++i) {
        double norm = 0;
        for (size_t j = 0; j < 32; ++j) norm += double(full[i * 64 + j]) * full[i * 64 + j];
        for (size_t j = 0; j < 32; ++j)
            EXPECT_NEAR(short_rows[i * 32 + j], full[i * 64 + j] / std::sqrt(norm), 1e-6);
    }
}

TEST(JinaEmbedCli, ErrorsNameTheProblem) {
    EmbedRun r;
    EXPECT_EQ(r.run("--task summarization", "x.npy"), 1);
    EXPECT_NE(r.stderr_text().find("unknown task 'summarization'"), std::string::npos) << r.stderr_text();
    EXPECT_EQ(r.run("--dim 65", "x.npy"), 2);
    {
        std::ofstream in(r.dir / "ids.jsonl", std::ios::app);
        in << "{\"ids\": [0, 250002, 2]}\n";
    }
    EXPECT_EQ(r.run("", "x.npy"), 1);
    EXPECT_NE(r.stderr_text().find("ids.jsonl:4: token id 250002 is outside the vocabulary of 250002"),
              std::string::npos)
        << r.stderr_text();
    EXPECT_FALSE(std::filesystem::exists(r.dir / "x.npy"));
}

}  // namespace
}  // namespace gavel
