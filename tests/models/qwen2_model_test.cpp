#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <numeric>
#include <random>

#include "../io/io_test_support.hpp"
#include "allocation_count.hpp"
#include "core/error.hpp"
#include "models/qwen2_model.hpp"
#include "max_abs_diff.hpp"
#include "qwen2_test_checkpoint.hpp"

namespace gavel {
namespace {

using testing::ScratchDir;
using testing::TinyQwen2;

std::vector<int32_t> token_ids(size_t n, int32_t vocab, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<int32_t> ids(n);
    for (auto& x : ids) x = int32_t(rng() % uint32_t(vocab));
    return ids;
}

using testing::max_abs_diff;

std::vector<float> prompt_logits(const Qwen2Model& model, ThreadPool& pool, const std::vector<int32_t>& ids) {
    auto cache = model.new_cache(int64_t(ids.size()));
    Qwen2Chunk chunk{&cache, ids, true};
    return model.forward(pool, std::span(&chunk, 1))[0];
}

class Qwen2ModelTest : public ::testing::TestWithParam<std::tuple<DType, bool>> {};

TEST_P(Qwen2ModelTest, MatchesTheDoublePrecisionEquations) {
    auto [dtype, tied] = GetParam();
    ScratchDir dir;
    TinyQwen2 tiny;
    tiny.dtype = dtype;
    tiny.tied = tied;
    tiny.write(dir.path());
    auto model = Qwen2Model::open(dir.path());
    EXPECT_EQ(model.tied_lm_head(), tied);
    ThreadPool pool(3);
    auto ids = token_ids(37, int32_t(tiny.vocab), 1);
    auto logits = prompt_logits(model, pool, ids);
    auto expected = tiny.reference_logits(dir.path(), ids);
    ASSERT_EQ(logits.size(), expected.size());
    double worst = 0;
    for (size_t i = 0; i < logits.size(); ++i) worst = std::max(worst, std::fabs(logits[i] - expected[i]));
    EXPECT_LT(worst, 2e-5);
    // Scored at its last token only, the prompt's last layer runs past its attention on that row
    // alone (through the GEMV, not the GEMM): the same logits, and the cache it leaves holds every token.
    auto cache = model.new_cache(int64_t(ids.size()));
    Qwen2Chunk last_only{&cache, ids, false};
    auto last = model.forward(pool, std::span(&last_only, 1))[0];
    EXPECT_EQ(cache.size(), int64_t(ids.size()));
    ASSERT_EQ(last.size(), size_t(tiny.vocab));
    worst = 0;
    for (size_t i = 0; i < last.size(); ++i)
        worst = std::max(worst, std::fabs(last[i] - expected[expected.size() - last.size() + i]));
    EXPECT_LT(worst, 2e-5);
}

INSTANTIATE_TEST_SUITE_P(DTypes, Qwen2ModelTest,
                         ::testing::Values(std::tuple{DType::F32, false}, std::tuple{DType::BF16, false},
                                           std::tuple{DType::F32, true}));

TEST(Qwen2Model, IncrementalDecodingThroughTheCacheMatchesOnePass) {
    ScratchDir dir;
    TinyQwen2 tiny;
    tiny.write(dir.path());
    auto model = Qwen2Model::open(dir.path());
    ThreadPool pool(2);
    auto ids = token_ids(20, int32_t(tiny.vocab), 2);
    auto whole = prompt_logits(model, pool, ids);
    // 7 tokens, then 1, 1, ..., through one cache.
    auto cache = model.new_cache(20);
    std::vector<float> pieces;
    for (size_t at = 0; at < ids.size();) {
        size_t n = at == 0 ? 7 : 1;
        Qwen2Chunk chunk{&cache, std::span<const int32_t>(ids).subspan(at, n), true};
        auto l = model.forward(pool, std::span(&chunk, 1))[0];
        pieces.insert(pieces.end(), l.begin(), l.end());
        at += n;
    }
    EXPECT_EQ(cache.size(), 20);
    EXPECT_LT(max_abs_diff(whole, pieces), 1e-5);
}

TEST(Qwen2Model, SequencesOfDifferentLengthsInOneBatchMatchAlone) {
    ScratchDir dir;
    TinyQwen2 tiny;
    tiny.write(dir.path());
    auto model = Qwen2Model::open(dir.path());
    ThreadPool pool(3);
    std::vector<std::vector<int32_t>> prompts = {token_ids(5, 96, 3), token_ids(31, 96, 4), token_ids(1, 96, 5),
                                                 token_ids(12, 96, 6)};
    std::vector<cpu::KvCache> caches;
    for (const auto& p : prompts) caches.push_back(model.new_cache(int64_t(p.size()) + 2));
    std::vector<Qwen2Chunk> chunks;
    for (size_t i = 0; i < prompts.size(); ++i) chunks.push_back({&caches[i], prompts[i], i % 2 == 0});
    auto batched = model.forward(pool, chunks);
    for (size_t i = 0; i < prompts.size(); ++i) {
        auto alone = prompt_logits(model, pool, prompts[i]);
        if (i % 2 == 1) alone.erase(alone.begin(), alone.end() - tiny.vocab);  // last row only
        EXPECT_LT(max_abs_diff(batched[i], alone), 1e-5) << "sequence " << i;
    }
    // A decode step with every sequence in the batch, against the same step alone.
    std::vector<int32_t> next = {3, 4, 5, 6};
    for (size_t i = 0; i < prompts.size(); ++i) chunks[i] = {&caches[i], std::span<const int32_t>(&next[i], 1), false};
    auto step = model.forward(pool, chunks);
    for (size_t i = 0; i < prompts.size(); ++i) {
        auto ids = prompts[i];
        ids.push_back(next[i]);
        auto alone = prompt_logits(model, pool, ids);
        alone.erase(alone.begin(), alone.end() - tiny.vocab);
        EXPECT_LT(max_abs_diff(step[i], alone), 1e-5) << "sequence " << i;
    }
}

// --weights int8: the matrices become Q8_0 at load. The logits move by a small fraction of their
// spread (8-bit rounding of weights and activations), the whole prompt and one token at a time still
// agree (each row's products do not depend on the batch), and a tied lm_head still looks up the
// embedding rows the checkpoint holds.
TEST(Qwen2Model, Int8WeightsStayCloseToTheCheckpointWeights) {
    for (bool tied : {false, true}) {
        ScratchDir dir;
        TinyQwen2 tiny;
        tiny.dtype = DType::BF16;
        tiny.tied = tied;
        tiny.write(dir.path());
        auto exact = Qwen2Model::open(dir.path());
        auto quantized = Qwen2Model::open(dir.path(), cpu::WeightFormat::Int8);
        EXPECT_EQ(quantized.weight_format(), cpu::WeightFormat::Int8);
        ThreadPool pool(2);
        auto ids = token_ids(29, int32_t(tiny.vocab), 8);
        auto a = prompt_logits(exact, pool, ids);
        auto b = prompt_logits(quantized, pool, ids);
        double spread = 0;
        for (float v : a) spread = std::max(spread, double(std::fabs(v)));
        const double diff = max_abs_diff(a, b);
        std::printf("int8 (tied %d): max |logit delta| %.3g of max |logit| %.3g\n", int(tied), diff, spread);
        EXPECT_GT(diff, 0.0) << "the int8 model computed the float products";
        EXPECT_LT(diff, 0.03 * spread);

        auto cache = quantized.new_cache(int64_t(ids.size()));
        std::vector<float> pieces;
        for (size_t at = 0; at < ids.size(); ++at) {
            Qwen2Chunk chunk{&cache, std::span<const int32_t>(ids).subspan(at, 1), true};
            auto l = quantized.forward(pool, std::span(&chunk, 1))[0];
            pieces.insert(pieces.end(), l.begin(), l.end());
        }
        EXPECT_LT(max_abs_diff(b, pieces), 1e-5);
    }
}

// The real Con-J-Qwen2-7B layout (339 BF16 tensors in 4 shards with an index, vocabulary 152064, untied
// lm_head) and Qwen2-0.5B's (tied, no lm_head.weight), written as sparse all-zero files: loading checks
// every name and shape without reading the weights.
TEST(Qwen2Model, LoadsTheRealCheckpointLayouts) {
    for (const char* size : {"7b", "0.5b"}) {
        ScratchDir dir;
        TestModelSpec spec = qwen2_test_spec(size);
        spec.fill = TestFill::Zeros;
        write_test_model(spec, dir.path());
        auto model = Qwen2Model::open(dir.path());
        EXPECT_EQ(model.checkpoint().parameter_count(), std::string(size) == "7b" ? 7615616512 : 494032768) << size;
        EXPECT_EQ(model.tied_lm_head(), std::string(size) == "0.5b");
        EXPECT_EQ(model.vocab_size(), std::string(size) == "7b" ? 152064 : 151936);
        EXPECT_EQ(model.checkpoint().sharded(), std::string(size) == "7b");
    }
}

TEST(Qwen2Model, RejectsMismatchedCheckpointsWithTheTensorName) {
    ScratchDir dir;
    TinyQwen2 tiny;
    tiny.write(dir.path());
    Json config = read_json_file((dir / "config.json").string());
    config["intermediate_size"] = 50;
    std::ofstream(dir / "config.json") << config.dump();
    try {
        Qwen2Model::open(dir.path());
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("mlp.gate_proj.weight"), std::string::npos) << e.what();
    }
}

TEST(Qwen2Model, RejectsSequencesPastTheCache) {
    ScratchDir dir;
    TinyQwen2 tiny;
    tiny.write(dir.path());
    auto model = Qwen2Model::open(dir.path());
    ThreadPool pool(1);
    auto cache = model.new_cache(4);
    auto ids = token_ids(5, 96, 1);
    Qwen2Chunk chunk{&cache, ids, false};
    EXPECT_THROW(model.forward(pool, std::span(&chunk, 1)), Error);
    EXPECT_THROW(model.new_cache(tiny.max_positions + 1), Error);
}

// "No allocation in hot loops": once a decode step has run, the next one allocates only the logits it
// returns, however many layers the model has (the ops' pool jobs, work lists and activations are all
// kept). Counted over several steps of a 2-layer and a 6-layer model, on a pool of one thread: with
// workers, the step in which a worker first takes some kind of work (and grows its own per-thread
// scratch) depends on the scheduling, and on a loaded machine can come after the warm-up steps. The
// caller still makes every pool call and runs every job, so what a call or a job allocates counts.
TEST(Qwen2Model, ADecodeStepAllocatesOnlyTheLogitsItReturns) {
    auto allocations_per_step = [](int64_t layers) {
        ScratchDir dir;
        TinyQwen2 tiny;
        tiny.layers = layers;
        tiny.write(dir.path());
        auto model = Qwen2Model::open(dir.path());
        ThreadPool pool(1);
        auto ids = token_ids(24, int32_t(tiny.vocab), 3);
        auto cache = model.new_cache(int64_t(ids.size()));
        auto step = [&](size_t at, size_t n) {
            Qwen2Chunk chunk{&cache, std::span<const int32_t>(ids).subspan(at, n), false};
            return model.forward(pool, std::span(&chunk, 1));
        };
        step(0, 16);
        step(16, 1);  // the first one-token step sizes what m = 1 needs
        constexpr int64_t kSteps = 7;
        testing::AllocationCount count;
        for (size_t at = 17; at < 17 + size_t(kSteps); ++at) {
            auto logits = step(at, 1);
            EXPECT_EQ(logits.at(0).size(), size_t(tiny.vocab));
        }
        EXPECT_EQ(count.allocations() % kSteps, 0) << layers << " layers";
        return count.allocations() / kSteps;
    };
    const int64_t two = allocations_per_step(2), six = allocations_per_step(6);
    EXPECT_EQ(two, six) << "allocations per decode step grow with the layers";
    EXPECT_LE(two, 2) << "a decode step allocates more than its logits (the outer vector and one row)";
}

}  // namespace
}  // namespace gavel
