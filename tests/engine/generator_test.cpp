#include <gtest/gtest.h>

#include "../io/io_test_support.hpp"
#include "../models/qwen2_test_checkpoint.hpp"
#include "engine/generator.hpp"

namespace gavel {
namespace {

using testing::ScratchDir;
using testing::TinyQwen2;

// Greedy decoding written out by hand: full recomputation of the prompt for every new token.
std::vector<int32_t> greedy_by_hand(const Qwen2Model& model, ThreadPool& pool, std::vector<int32_t> ids, int n) {
    std::vector<int32_t> out;
    for (int i = 0; i < n; ++i) {
        auto cache = model.new_cache(int64_t(ids.size()));
        Qwen2Chunk chunk{&cache, ids, false};
        auto logits = model.forward(pool, std::span(&chunk, 1))[0];
        int32_t next = int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
        out.push_back(next);
        ids.push_back(next);
    }
    return out;
}

class GeneratorTest : public ::testing::Test {
protected:
    void SetUp() override {
        tiny_.write(dir_.path());
        model_.emplace(Qwen2Model::open(dir_.path()));
    }
    ScratchDir dir_;
    TinyQwen2 tiny_;
    std::optional<Qwen2Model> model_;
    ThreadPool pool_{3};
};

TEST_F(GeneratorTest, GreedyMatchesRecomputingEveryStep) {
    Generator gen(*model_, pool_);
    GenerationSettings settings;
    settings.max_new_tokens = 12;
    std::vector<std::vector<int32_t>> prompts = {{5, 9, 17, 33, 2}};
    auto r = gen.generate(prompts, settings);
    EXPECT_EQ(r[0].tokens, greedy_by_hand(*model_, pool_, prompts[0], 12));
    EXPECT_EQ(r[0].stop, StopReason::MaxNewTokens);
}

TEST_F(GeneratorTest, ABatchGivesEachSequenceWhatItGetsAlone) {
    GenerationSettings settings;
    settings.max_new_tokens = 9;
    settings.sampling.do_sample = true;
    settings.sampling.temperature = 0.8;
    settings.sampling.top_k = 20;
    settings.sampling.repetition_penalty = 1.1;
    settings.sampling.seed = 42;
    std::vector<std::vector<int32_t>> prompts = {{1, 2, 3}, {40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50}, {7}};
    // A small prefill budget splits the long prompt over passes too.
    Generator batched(*model_, pool_, 6);
    auto together = batched.generate(prompts, settings, true);
    Generator single(*model_, pool_);
    for (size_t i = 0; i < prompts.size(); ++i) {
        auto alone = single.generate(std::span(&prompts[i], 1), settings, true);
        EXPECT_EQ(together[i].tokens, alone[0].tokens) << i;
        ASSERT_EQ(together[i].prompt_logits.size(), prompts[i].size() * size_t(tiny_.vocab));
        for (size_t k = 0; k < alone[0].prompt_logits.size(); ++k)
            ASSERT_NEAR(together[i].prompt_logits[k], alone[0].prompt_logits[k], 1e-5) << i;
    }
}

TEST_F(GeneratorTest, StopsOnAnyEosIdUnlessTold) {
    Generator gen(*model_, pool_);
    GenerationSettings settings;
    settings.max_new_tokens = 10;
    std::vector<std::vector<int32_t>> prompts = {{5, 9, 17}};
    auto free_run = gen.generate(prompts, settings)[0].tokens;
    settings.eos_ids = {999, free_run[3]};
    auto stopped = gen.generate(prompts, settings)[0];
    EXPECT_EQ(stopped.stop, StopReason::Eos);
    auto first = std::find(free_run.begin(), free_run.end(), free_run[3]);
    EXPECT_EQ(stopped.tokens, std::vector<int32_t>(free_run.begin(), first + 1));
    settings.ignore_eos = true;
    EXPECT_EQ(gen.generate(prompts, settings)[0].tokens, free_run);
}

TEST_F(GeneratorTest, StopsAtTheContext) {
    Generator gen(*model_, pool_);
    GenerationSettings settings;
    settings.max_new_tokens = 1000;
    std::vector<std::vector<int32_t>> prompts = {std::vector<int32_t>(size_t(tiny_.max_positions - 3), 4)};
    auto r = gen.generate(prompts, settings)[0];
    EXPECT_EQ(r.stop, StopReason::ContextFull);
    EXPECT_EQ(r.tokens.size(), 4u);  // 3 free positions, and the token sampled after the last one
    settings.max_new_tokens = 0;
    EXPECT_TRUE(gen.generate(prompts, settings)[0].tokens.empty());
}

TEST(GenerationSettings, ComeFromGenerationConfig) {
    GenerationConfig g;
    g.do_sample = true;
    g.temperature = 0.7;
    g.top_k = 20;
    g.top_p = 0.8;
    g.repetition_penalty = 1.05;
    g.eos_token_ids = {151645, 151643};
    Qwen2Config m;
    m.eos_token_ids = {151645};
    auto s = GenerationSettings::from_config(g, m, 2048);
    EXPECT_TRUE(s.sampling.do_sample);
    EXPECT_EQ(s.sampling.top_k, 20);
    EXPECT_EQ(s.max_new_tokens, 2048);
    EXPECT_EQ(s.eos_ids, (std::vector<int32_t>{151645, 151643}));
    g.eos_token_ids.clear();
    EXPECT_EQ(GenerationSettings::from_config(g, m).eos_ids, (std::vector<int32_t>{151645}));
}

}  // namespace
}  // namespace gavel
