// JinaJudge's head against PyTorch's own nn.TransformerDecoder / nn.TransformerDecoderLayer /
// nn.Linear (tests/reference/torch_jina_head.py), loaded with the same checkpoint tensors and fed
// the same encoder states: gavel's encoder output for a padded batch of three sequences, so the
// cross-attention's key-padding mask is exercised.
#include <gtest/gtest.h>

#include <cmath>

#include "models/jina_judge.hpp"
#include "jina_test_model.hpp"

namespace gavel {
namespace {

using namespace gavel::testing;

void expect_head_matches_torch(const JinaTestModel& m, const char* label) {
    auto model = JinaJudgeModel::load(m.checkpoint, m.judge_config, m.encoder_config);
    ThreadPool pool(2);
    std::vector<std::vector<int32_t>> seqs = {random_token_ids(23, 11), random_token_ids(61, 12),
                                              random_token_ids(7, 13)};
    auto batch = TokenBatch::pad(seqs, 1);
    auto states = model.encoder().forward(pool, batch);
    auto ours = model.head().logits(pool, states.data(), batch.mask.data(), batch.batch, batch.seq_len);

    const auto dir = m.dir / (std::string("torch-") + label);
    std::filesystem::create_directories(dir);
    write_f32(dir / "states.f32", states);
    {
        std::ofstream mask(dir / "mask.u8", std::ios::binary);
        mask.write(reinterpret_cast<const char*>(batch.mask.data()), std::streamsize(batch.mask.size()));
    }
    const std::string script = std::string(GAVEL_SOURCE_DIR) + "/tests/reference/torch_jina_head.py";
    ASSERT_EQ(run_command(python() + " " + script + " " + m.dir.string() + " " + std::to_string(m.judge_config.nhead) +
                          " " + (dir / "states.f32").string() + " " + (dir / "mask.u8").string() + " " +
                          std::to_string(batch.batch) + " " + std::to_string(batch.seq_len) + " " +
                          (dir / "logits.f32").string()),
              0);
    auto theirs = read_f32(dir / "logits.f32");
    ASSERT_EQ(theirs.size(), ours.size());
    double worst = 0;
    for (size_t i = 0; i < ours.size(); ++i) worst = std::max(worst, std::abs(double(ours[i]) - theirs[i]));
    std::printf("head vs PyTorch (%s): logits max|d| %.3g over %zu logits\n", label, worst, ours.size());
    EXPECT_LE(worst, 1e-4);
    // A wrong mask or layer order moves logits far more than that: the batch's rows differ.
    EXPECT_GT(std::abs(ours[0] - ours[3]) + std::abs(ours[3] - ours[6]), 1e-3);
}

TEST(JinaHeadTorchParity, OriginalLayout) { expect_head_matches_torch(tiny_jina_judge(), "original"); }

TEST(JinaHeadTorchParity, ProjectedLayoutOfTheLaterVariants) {
    const auto& m = tiny_projected_jina_judge();
    auto head = JinaJudgeHead::load(m.checkpoint, 64, m.judge_config.nhead, m.judge_config.num_decoder_layers, 3);
    EXPECT_EQ(head.hyperparams().d_model, 32);
    EXPECT_EQ(head.hyperparams().ffn_dim, 48);
    expect_head_matches_torch(m, "projected");
}

TEST(JinaHead, ShapesAndLayerCountAreChecked) {
    const auto& m = tiny_jina_judge();
    EXPECT_THROW(JinaJudgeHead::load(m.checkpoint, 64, 4, 3, 3), Error);  // no decoder.layers.2
    EXPECT_THROW(JinaJudgeHead::load(m.checkpoint, 64, 4, 1, 3), Error);  // more layers than said
    EXPECT_THROW(JinaJudgeHead::load(m.checkpoint, 64, 4, 2, 2), Error);  // classifier is [3, 64]
    EXPECT_THROW(JinaJudgeHead::load(m.checkpoint, 48, 4, 2, 3), Error);  // no projection to 64
    EXPECT_THROW(JinaJudgeHead::load(m.checkpoint, 64, 5, 2, 3), Error);  // 5 heads do not divide 64
}

}  // namespace
}  // namespace gavel
