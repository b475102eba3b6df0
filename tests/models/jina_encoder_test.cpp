#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "models/xlm_roberta.hpp"
#include "jina_test_model.hpp"

namespace gavel {
namespace {

using testing::random_token_ids;
using testing::tiny_jina_judge;

std::string error_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

TEST(JinaEncoder, LoadsTheTinyCheckpointAndAssertsShapes) {
    const auto& m = tiny_jina_judge();
    auto enc = XlmRobertaEncoder::load(m.checkpoint, m.encoder_config);
    EXPECT_EQ(enc.weights().layers.size(), 2u);
    EXPECT_EQ(enc.weights().word_embeddings.dtype, DType::BF16);
    EXPECT_FALSE(enc.task());

    auto wrong = m.encoder_config;
    wrong.intermediate_size = 130;
    auto message = error_of([&] { XlmRobertaEncoder::load(m.checkpoint, wrong); });
    EXPECT_NE(message.find("encoder.roberta.encoder.layers.0.mlp.fc1.parametrizations.weight.original"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("has shape [128, 64], expected [130, 64]"), std::string::npos) << message;

    wrong = m.encoder_config;
    wrong.num_hidden_layers = 1;
    message = error_of([&] { XlmRobertaEncoder::load(m.checkpoint, wrong); });
    EXPECT_NE(message.find("more encoder layers than num_hidden_layers = 1"), std::string::npos) << message;
}

TEST(JinaEncoder, UnknownTaskFailsListingTheTasks) {
    const auto& m = tiny_jina_judge();
    auto message = error_of([&] { XlmRobertaEncoder::load(m.checkpoint, m.encoder_config, {"summarization", {}}); });
    EXPECT_NE(message.find("unknown task 'summarization'"), std::string::npos) << message;
    EXPECT_NE(message.find("retrieval.query, retrieval.passage, separation, classification, text-matching"),
              std::string::npos)
        << message;
}

TEST(JinaEncoder, LinearLoraMergeIsWPlusScaledBARoundedOnceToBf16) {
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> u(-0.05f, 0.05f);
    const int64_t out = 6, in = 5, r = 4;
    std::vector<uint16_t> w(size_t(out * in)), a(size_t(r * in)), b(size_t(out * r));
    for (auto* v : {&w, &a, &b})
        for (auto& x : *v) x = f32_to_bf16(u(rng) * 10);
    TensorView wv{DType::BF16, {out, in}, w.data()}, av{DType::BF16, {r, in}, a.data()}, bv{DType::BF16, {out, r}, b.data()};
    auto merged = merge_linear_lora(wv, av, bv, 0.25f);
    ASSERT_EQ(merged.size(), w.size() * 2);
    const auto* m16 = reinterpret_cast<const uint16_t*>(merged.data());
    int changed = 0;
    for (int64_t o = 0; o < out; ++o)
        for (int64_t i = 0; i < in; ++i) {
            double delta = 0;
            for (int64_t k = 0; k < r; ++k) delta += double(bf16_to_f32(b[size_t(o * r + k)])) * bf16_to_f32(a[size_t(k * in + i)]);
            double exact = bf16_to_f32(w[size_t(o * in + i)]) + 0.25 * delta;
            double got = bf16_to_f32(m16[o * in + i]);
            // One rounding to BF16: within half a BF16 step (8 mantissa bits) of the exact sum.
            EXPECT_LE(std::abs(got - exact), std::ldexp(std::abs(exact), -8) + 1e-12) << o << "," << i;
            changed += m16[o * in + i] != w[size_t(o * in + i)];
        }
    EXPECT_GT(changed, out * in / 2);
    EXPECT_THROW(merge_linear_lora(wv, bv, av, 0.25f), Error);
}

TEST(JinaEncoder, WordEmbeddingRowsMergedOnLookupEqualTheMergedTable) {
    const auto& m = tiny_jina_judge();
    auto enc = XlmRobertaEncoder::load(m.checkpoint, m.encoder_config, {"text-matching", {}});
    ASSERT_TRUE(enc.weights().word_lora_a.data);
    // The same encoder with the whole word-embedding table merged up front.
    auto w = enc.weights();
    std::vector<HugePageBytes> owned;
    owned.push_back(merge_embedding_lora(w.word_embeddings, w.word_lora_a, w.word_lora_b, w.word_lora_scale));
    w.word_embeddings.data = owned.back().data();
    w.word_lora_a = w.word_lora_b = TensorView{};
    XlmRobertaEncoder merged(m.encoder_config, GeluKind::Erf, w, std::move(owned));

    ThreadPool pool(2);
    std::vector<std::vector<int32_t>> seqs = {random_token_ids(33, 1)};
    auto batch = TokenBatch::pad(seqs, 1);
    EXPECT_EQ(enc.forward(pool, batch), merged.forward(pool, batch));
    // And the adapter matters: the base encoder gives something else.
    auto base = XlmRobertaEncoder::load(m.checkpoint, m.encoder_config);
    EXPECT_NE(base.forward(pool, batch), enc.forward(pool, batch));
}

TEST(JinaEncoder, PaddedBatchEqualsEachSequenceAlone) {
    const auto& m = tiny_jina_judge();
    auto enc = XlmRobertaEncoder::load(m.checkpoint, m.encoder_config);
    ThreadPool pool(3);
    std::vector<std::vector<int32_t>> seqs = {random_token_ids(5, 1), random_token_ids(40, 2), random_token_ids(17, 3)};
    auto batch = TokenBatch::pad(seqs, 1);
    auto hidden = enc.forward(pool, batch);
    auto pooled = enc.embed(pool, batch);
    const int64_t D = 64;
    double worst = 0;
    for (size_t s = 0; s < seqs.size(); ++s) {
        auto alone_batch = TokenBatch::pad(std::span(&seqs[s], 1), 1);
        auto alone = enc.forward(pool, alone_batch);
        auto alone_pooled = enc.embed(pool, alone_batch);
        for (int64_t t = 0; t < batch.seq_len; ++t)
            for (int64_t j = 0; j < D; ++j) {
                float got = hidden[size_t((int64_t(s) * batch.seq_len + t) * D + j)];
                if (t >= int64_t(seqs[s].size()))
                    ASSERT_EQ(got, 0.0f) << "padding row " << t << " of sequence " << s;
                else
                    worst = std::max(worst, double(std::abs(got - alone[size_t(t * D + j)])));
            }
        for (int64_t j = 0; j < D; ++j)
            worst = std::max(worst, double(std::abs(pooled[size_t(int64_t(s) * D + j)] - alone_pooled[size_t(j)])));
    }
    std::printf("encoder: max |batched - alone| = %.3g\n", worst);
    EXPECT_LE(worst, 1e-5);
}

// --weights int8 on the encoder, with and without a task adapter merged first: states within a
// small fraction of their size of the checkpoint-weight encoder's.
TEST(JinaEncoder, Int8WeightsStayCloseToTheCheckpointWeights) {
    const auto& m = tiny_jina_judge();
    ThreadPool pool(2);
    const std::vector<std::vector<int32_t>> seqs = {random_token_ids(33, 9)};
    const auto batch = TokenBatch::pad(seqs, 1);
    for (std::optional<std::string> task : {std::optional<std::string>(), std::optional(m.encoder_config.lora_adaptations.at(0))}) {
        XlmRobertaEncoder::LoadOptions options;
        options.task = task;
        const auto exact = XlmRobertaEncoder::load(m.checkpoint, m.encoder_config, options).forward(pool, batch);
        options.weights = cpu::WeightFormat::Int8;
        const auto quantized = XlmRobertaEncoder::load(m.checkpoint, m.encoder_config, options).forward(pool, batch);
        ASSERT_EQ(exact.size(), quantized.size());
        double diff = 0, size = 0;
        for (size_t i = 0; i < exact.size(); ++i) {
            diff = std::max(diff, double(std::fabs(exact[i] - quantized[i])));
            size = std::max(size, double(std::fabs(exact[i])));
        }
        std::printf("int8 encoder (task %s): max |delta| %.3g of max |state| %.3g\n", task ? task->c_str() : "none",
                    diff, size);
        EXPECT_GT(diff, 0.0);
        EXPECT_LT(diff, 0.03 * size);
    }
}

TEST(JinaEncoder, MeanPoolIsTheMaskedMean) {
    TokenBatch b;
    b.batch = 2;
    b.seq_len = 3;
    b.mask = {1, 1, 0, 1, 0, 0};
    std::vector<float> h = {1, 2, 3, 4, 100, 100, 5, 6, 100, 100, 100, 100};
    EXPECT_EQ(mean_pool(h.data(), b, 2), (std::vector<float>{2, 3, 5, 6}));
}

TEST(JinaEncoder, SequencesLongerThanThePositionTableFail) {
    const auto& m = tiny_jina_judge();
    auto config = m.encoder_config;
    config.max_position_embeddings = 16;
    auto enc = XlmRobertaEncoder::load(m.checkpoint, config);
    ThreadPool pool(1);
    std::vector<std::vector<int32_t>> seqs = {random_token_ids(17, 1)};
    auto message = error_of([&] { enc.forward(pool, TokenBatch::pad(seqs, 1)); });
    EXPECT_NE(message.find("17 tokens is longer than max_position_embeddings 16"), std::string::npos) << message;
}

}  // namespace
}  // namespace gavel
