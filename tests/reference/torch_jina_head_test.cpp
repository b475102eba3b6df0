// JinaJudge's head against PyTorch's own nn.TransformerDecoder / nn.TransformerDecoderLayer /
// nn.Linear (tests/reference/torch_jina_head.py), loaded with the same checkpoint tensors and fed
// the same encoder states: gavel's encoder output for a padded batch of three sequences, so the
// cross-attention's key-padding mask is exercised.
//
// The test-model writer's weights leave the head nearly blind to its input: logits move by ~1e-4
// between inputs, no more than the tolerance. So each layout is also checked with its head tensors
// scaled up (write_scaled_head: 25x at width 64, less for wider heads), where attention is sharp
// and the logits differ between inputs by far more than 1e-4.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "backend/cpu/matmul.hpp"
#include "core/error.hpp"
#include "models/jina_judge.hpp"
#include "../models/jina_test_model.hpp"

namespace gavel {
namespace {

using namespace gavel::testing;

// The head of `m` scaled by `factor` (write_scaled_head), in a folder named after `label`.
std::filesystem::path scaled_head(const JinaTestModel& m, float factor, const std::string& label) {
    return write_scaled_head(m, factor, m.dir / ("scaled-head-" + label));
}

// gavel's logits for the head in `head_dir` against PyTorch's; returns the largest spread of a
// logit across the batch (how much the inputs matter).
double expect_head_matches_torch(const JinaTestModel& m, const std::filesystem::path& head_dir, const std::string& label) {
    if (!python_has("numpy, torch")) {
        ADD_FAILURE() << python() << " cannot import numpy and torch (tools/setup.sh installs python3-torch)";
        return 0;
    }
    auto encoder = XlmRobertaEncoder::load(m.checkpoint, m.encoder_config);
    auto head_checkpoint = Checkpoint::open(head_dir);
    auto head = JinaJudgeHead::load(head_checkpoint, m.encoder_config.hidden_size, m.judge_config.nhead,
                                    m.judge_config.num_decoder_layers, m.judge_config.n_classes);
    ThreadPool pool(2);
    std::vector<std::vector<int32_t>> seqs = {random_token_ids(23, 11), random_token_ids(61, 12),
                                              random_token_ids(7, 13)};
    auto batch = TokenBatch::pad(seqs, 1);
    auto states = encoder.forward(pool, batch);
    auto ours = head.logits(pool, states.data(), batch.mask.data(), batch.batch, batch.seq_len);

    const auto dir = head_dir / "torch";
    std::filesystem::create_directories(dir);
    write_f32(dir / "states.f32", states);
    {
        std::ofstream mask(dir / "mask.u8", std::ios::binary);
        mask.write(reinterpret_cast<const char*>(batch.mask.data()), std::streamsize(batch.mask.size()));
    }
    const std::string script = std::string(GAVEL_SOURCE_DIR) + "/tests/reference/torch_jina_head.py";
    EXPECT_EQ(run_command(python() + " " + shell_quoted(script) + " " + shell_quoted(head_dir) + " " +
                          std::to_string(m.judge_config.nhead) + " " + shell_quoted(dir / "states.f32") + " " +
                          shell_quoted(dir / "mask.u8") + " " + std::to_string(batch.batch) + " " +
                          std::to_string(batch.seq_len) + " " + shell_quoted(dir / "logits.f32")),
              0);
    auto theirs = read_f32(dir / "logits.f32");
    EXPECT_EQ(theirs.size(), ours.size());
    double worst = 0, spread = 0;
    for (size_t i = 0; i < std::min(ours.size(), theirs.size()); ++i)
        worst = std::max(worst, std::abs(double(ours[i]) - theirs[i]));
    for (size_t c = 0; c < 3; ++c)
        for (size_t b = 1; b < 3; ++b) spread = std::max(spread, std::abs(double(ours[b * 3 + c]) - ours[c]));
    std::printf("head vs PyTorch (%s): logits max|d| %.3g (logits spread across inputs %.3g)\n", label.c_str(), worst, spread);
    EXPECT_LE(worst, 1e-4);
    return spread;
}

// 25 at width 64, shrinking with sqrt(width) so wider heads get about the same sharpness.
float scale_for(const JinaTestModel& m) {
    auto head = JinaJudgeHead::load(m.checkpoint, m.encoder_config.hidden_size, m.judge_config.nhead,
                                    m.judge_config.num_decoder_layers, m.judge_config.n_classes);
    return 25.0f * std::sqrt(64.0f / float(head.hyperparams().d_model));
}

// tiny_jina_judge(): the original layout, or the model in GAVEL_JINA_TEST_MODEL.
TEST(JinaHeadTorchParity, TestModel) {
    const auto& m = tiny_jina_judge();
    expect_head_matches_torch(m, m.dir, "as generated");
    EXPECT_GT(expect_head_matches_torch(m, scaled_head(m, scale_for(m), "test-model"), "as generated, scaled"), 1e-2);
}

TEST(JinaHeadTorchParity, ProjectedLayoutOfTheLaterVariants) {
    const auto& m = tiny_projected_jina_judge();
    auto head = JinaJudgeHead::load(m.checkpoint, 64, m.judge_config.nhead, m.judge_config.num_decoder_layers, 3);
    EXPECT_EQ(head.hyperparams().d_model, 32);
    EXPECT_EQ(head.hyperparams().ffn_dim, 48);
    expect_head_matches_torch(m, m.dir, "projected");
    EXPECT_GT(expect_head_matches_torch(m, scaled_head(m, scale_for(m), "projected"), "projected, scaled"), 1e-2);
}

TEST(JinaHead, ShapesAndLayerCountAreChecked) {
    const auto& m = tiny_jina_judge();
    EXPECT_THROW(JinaJudgeHead::load(m.checkpoint, 64, 4, 3, 3), Error);  // no decoder.layers.2
    EXPECT_THROW(JinaJudgeHead::load(m.checkpoint, 64, 4, 1, 3), Error);  // more layers than said
    EXPECT_THROW(JinaJudgeHead::load(m.checkpoint, 64, 4, 2, 2), Error);  // classifier is [3, 64]
    EXPECT_THROW(JinaJudgeHead::load(m.checkpoint, 48, 4, 2, 3), Error);  // no projection to 64
    EXPECT_THROW(JinaJudgeHead::load(m.checkpoint, 64, 5, 2, 3), Error);  // 5 heads do not divide 64
}

// A sequence without one unmasked token (the cross-attention gives zeros for it, as PyTorch would
// give NaN) gets logits that do not depend on its memory rows, and leaves its neighbour's logits
// as they are alone (within f32 rounding: the head's products take other kernels for other batch
// sizes).
TEST(JinaHead, ASequenceWithoutTokensReadsNoMemory) {
    const auto& m = tiny_jina_judge();
    auto head = JinaJudgeHead::load(m.checkpoint, m.encoder_config.hidden_size, m.judge_config.nhead,
                                    m.judge_config.num_decoder_layers, m.judge_config.n_classes);
    const int64_t T = 6, D = m.encoder_config.hidden_size;
    std::mt19937 rng(3);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::vector<float> memory(size_t(2 * T * D));
    for (auto& v : memory) v = dist(rng);
    const std::vector<uint8_t> mask = {1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0};
    ThreadPool pool(2);
    const auto logits = head.logits(pool, memory.data(), mask.data(), 2, T);
    for (int64_t i = T * D; i < 2 * T * D; ++i) memory[size_t(i)] = dist(rng);
    const auto other = head.logits(pool, memory.data(), mask.data(), 2, T);
    const auto alone = head.logits(pool, memory.data(), mask.data(), 1, T);
    ASSERT_EQ(logits.size(), 6u);
    for (size_t c = 0; c < 3; ++c) {
        EXPECT_TRUE(std::isfinite(logits[3 + c]));
        EXPECT_EQ(logits[3 + c], other[3 + c]);
        EXPECT_NEAR(logits[c], alone[c], 1e-6);
    }
}

}  // namespace
}  // namespace gavel
