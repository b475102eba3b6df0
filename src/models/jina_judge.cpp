#include "models/jina_judge.hpp"

#include <cmath>

#include "backend/cpu/activation.hpp"
#include "backend/cpu/attention_encoder.hpp"
#include "backend/cpu/matmul.hpp"
#include "backend/cpu/norm.hpp"
#include "core/error.hpp"
#include "core/scratch_buffers.hpp"
#include "io/checkpoint.hpp"

namespace gavel {

JinaJudgeHead JinaJudgeHead::load(const Checkpoint& ck, int64_t memory_dim, int64_t num_heads, int64_t num_layers,
                                  int64_t num_classes) {
    JinaJudgeHeadHyperparams hp;
    hp.memory_dim = memory_dim;
    hp.num_heads = num_heads;
    hp.num_layers = num_layers;
    hp.num_classes = num_classes;
    JinaJudgeHeadWeights w;

    // The decoder's width is the learned query's: the encoder's (target model) or the projection's.
    auto query_name = ck.find_suffix("decoder_input_embedding");
    if (!query_name) fail("{}: no tensor 'decoder_input_embedding': not a JinaJudge checkpoint", ck.path().string());
    hp.d_model = ck.tensor(*query_name).shape.back();
    const int64_t D = hp.d_model;
    w.query = find_tensor(ck, "decoder_input_embedding", {1, 1, D});
    if (ck.find_suffix("projection.weight")) {
        w.projection_weight = find_tensor(ck, "projection.weight", {D, memory_dim});
        w.projection_bias = find_tensor(ck, "projection.bias", {D});
    } else if (D != memory_dim) {
        fail("{}: the decoder is {} wide, the encoder {}, and there is no projection.weight", ck.path().string(), D,
             memory_dim);
    }
    if (num_heads <= 0 || D % num_heads)
        fail("{}: nhead {} does not divide the decoder width {}", ck.path().string(), num_heads, D);
    auto ffn_name = ck.find_suffix("decoder.layers.0.linear1.weight");
    if (!ffn_name) fail("{}: no tensor 'decoder.layers.0.linear1.weight'", ck.path().string());
    hp.ffn_dim = ck.tensor(*ffn_name).shape.front();
    const int64_t F = hp.ffn_dim;

    for (int64_t i = 0; i < num_layers; ++i) {
        const std::string p = fmt::format("decoder.layers.{}.", i);
        auto get = [&](const std::string& name, std::vector<int64_t> shape) { return find_tensor(ck, p + name, shape); };
        JinaJudgeHeadLayerWeights L;
        L.self_in_weight = get("self_attn.in_proj_weight", {3 * D, D});
        L.self_in_bias = get("self_attn.in_proj_bias", {3 * D});
        L.self_out_weight = get("self_attn.out_proj.weight", {D, D});
        L.self_out_bias = get("self_attn.out_proj.bias", {D});
        L.cross_in_weight = get("multihead_attn.in_proj_weight", {3 * D, D});
        L.cross_in_bias = get("multihead_attn.in_proj_bias", {3 * D});
        L.cross_out_weight = get("multihead_attn.out_proj.weight", {D, D});
        L.cross_out_bias = get("multihead_attn.out_proj.bias", {D});
        L.linear1_weight = get("linear1.weight", {F, D});
        L.linear1_bias = get("linear1.bias", {F});
        L.linear2_weight = get("linear2.weight", {D, F});
        L.linear2_bias = get("linear2.bias", {D});
        L.norm1_weight = get("norm1.weight", {D});
        L.norm1_bias = get("norm1.bias", {D});
        L.norm2_weight = get("norm2.weight", {D});
        L.norm2_bias = get("norm2.bias", {D});
        L.norm3_weight = get("norm3.weight", {D});
        L.norm3_bias = get("norm3.bias", {D});
        w.layers.push_back(L);
    }
    if (ck.find_suffix(fmt::format("decoder.layers.{}.norm1.weight", num_layers)))
        fail("{}: the checkpoint has more decoder layers than num_decoder_layers = {}", ck.path().string(), num_layers);
    // The original model wraps the classifier in nn.Sequential ("classification_head.0"); the
    // later variants do not.
    const std::string head = ck.find_suffix("classification_head.0.weight") ? "classification_head.0." : "classification_head.";
    w.classifier_weight = find_tensor(ck, head + "weight", {num_classes, D});
    w.classifier_bias = find_tensor(ck, head + "bias", {num_classes});
    return JinaJudgeHead(hp, std::move(w));
}

JinaJudgeHead::JinaJudgeHead(JinaJudgeHeadHyperparams hp, JinaJudgeHeadWeights weights)
    : hp_(hp), w_(std::move(weights)) {}

namespace {

// The decoder's cross-attention for its single query per sequence, with the key and value
// projections (and the 512-wide variants' memory projection) folded onto the query side, so that
// no memory token is ever projected. Per sequence b and head h, with m_t the memory rows and
// (512-wide) m^_t = P m_t + p their projection:
//   scores  q_h . (Wk_h m^_t + bk_h) = (P^T Wk_h^T q_h) . m_t + (a constant over t, which the
//           softmax cancels);
//   output  sum_t a_t (Wv_h m^_t + bv_h) = Wv_h (P c_h + p) + bv_h, c_h = sum_t a_t m_t (the
//           weights a_t sum to 1).
// That is O(seq_len * D * heads) work instead of the projections' O(seq_len * D * 2D): for a
// 1024-token pair, 2 x 8 M multiply-adds a layer instead of 2 G. Exact in real arithmetic; in
// f32 within the head's parity tolerance of PyTorch (tests/reference/torch_jina_head_test.cpp).
// q: [batch, D] (already projected); out: [batch, D], the heads' outputs before out_proj. A
// sequence without a single unmasked token gets zeros, as encoder_attention gives.
struct CrossAttentionWeights {
    const TensorView& k_weight;     // [D, D]
    const TensorView& v_weight;     // [D, D]
    const TensorView& v_bias;       // [D]
    const TensorView* projection;   // [D, memory_dim] or null
    const TensorView* projection_bias;
};

void folded_cross_attention(ThreadPool& pool, const CrossAttentionWeights& w, const float* q, const float* memory,
                            const uint8_t* mask, int64_t batch, int64_t seq_len, int64_t heads, int64_t memory_dim,
                            float* out) {
    const int64_t D = w.k_weight.dim(1), hd = D / heads, rows = batch * heads, Dm = memory_dim;
    const float scale = 1.0f / std::sqrt(float(hd));

    // u[b, h] = Wk_h^T q_h: each (b, h) row of x holds q_b's head h, zeros elsewhere.
    std::vector<float> x(size_t(rows * D), 0.0f), u(size_t(rows * D));
    for (int64_t b = 0; b < batch; ++b)
        for (int64_t h = 0; h < heads; ++h)
            std::copy_n(q + b * D + h * hd, hd, x.begin() + (b * heads + h) * D + h * hd);
    cpu::linear_transpose(pool, x.data(), rows, w.k_weight, u.data());
    std::vector<float> u_memory;
    if (w.projection) {
        u_memory.resize(size_t(rows * Dm));
        cpu::linear_transpose(pool, u.data(), rows, *w.projection, u_memory.data());
    }
    const float* key_side = w.projection ? u_memory.data() : u.data();  // [rows, Dm]

    // Per sequence: scores over its tokens, the softmax over the unmasked ones, and the weighted
    // sum of its memory rows c[b, h].
    std::vector<float> scores(size_t(seq_len * heads)), weights(size_t(heads * seq_len)), c(size_t(rows * Dm));
    std::vector<uint8_t> empty(size_t(batch), 0);
    for (int64_t b = 0; b < batch; ++b) {
        const float* mem = memory + b * seq_len * Dm;
        const uint8_t* keep = mask ? mask + b * seq_len : nullptr;
        const TensorView queries{DType::F32, {heads, Dm}, key_side + b * heads * Dm};
        cpu::linear(pool, mem, seq_len, queries, nullptr, scores.data());  // [seq_len, heads]
        for (int64_t h = 0; h < heads; ++h) {
            float top = -INFINITY;
            for (int64_t t = 0; t < seq_len; ++t)
                if (!keep || keep[t]) top = std::max(top, scale * scores[size_t(t * heads + h)]);
            float* a = weights.data() + h * seq_len;
            double sum = 0;
            for (int64_t t = 0; t < seq_len; ++t) {
                a[t] = !keep || keep[t] ? std::exp(scale * scores[size_t(t * heads + h)] - top) : 0.0f;
                sum += a[t];
            }
            if (!(sum > 0)) {
                empty[size_t(b)] = 1;
                continue;
            }
            const float inv = float(1.0 / sum);
            for (int64_t t = 0; t < seq_len; ++t) a[t] *= inv;
        }
        const TensorView rows_of_memory{DType::F32, {seq_len, Dm}, mem};
        cpu::linear_transpose(pool, weights.data(), heads, rows_of_memory, c.data() + b * heads * Dm);
    }

    // Through the projection (its bias once: the weights sum to 1), then the value projection of
    // every (b, h) row; head h's slice of row (b, h) is the output.
    std::vector<float> c_projected;
    if (w.projection) {
        c_projected.resize(size_t(rows * D));
        cpu::linear(pool, c.data(), rows, *w.projection, w.projection_bias, c_projected.data());
    }
    std::vector<float> values(size_t(rows * D));
    cpu::linear(pool, w.projection ? c_projected.data() : c.data(), rows, w.v_weight, &w.v_bias, values.data());
    for (int64_t b = 0; b < batch; ++b)
        for (int64_t h = 0; h < heads; ++h) {
            float* o = out + b * D + h * hd;
            if (empty[size_t(b)])
                std::fill(o, o + hd, 0.0f);
            else
                std::copy_n(values.begin() + (b * heads + h) * D + h * hd, hd, o);
        }
}

}  // namespace

std::vector<float> JinaJudgeHead::logits(ThreadPool& pool, const float* memory, const uint8_t* mask, int64_t batch,
                                         int64_t seq_len) const {
    const int64_t D = hp_.d_model, H = hp_.num_heads;
    const float eps = hp_.layer_norm_eps;

    // The learned query, one per sequence: the decoder's target has length 1. Every buffer is over
    // that single position: the memory is read in place (folded_cross_attention).
    std::vector<float> x(size_t(batch * D)), y(size_t(batch * D)), t(size_t(batch * D)), q(size_t(batch * D));
    std::vector<float> ffn(size_t(batch * hp_.ffn_dim));
    cpu::to_f32(w_.query, x.data());
    for (int64_t b = 1; b < batch; ++b) std::copy_n(x.begin(), D, x.begin() + b * D);
    const TensorView* projection_bias = w_.projection_bias ? &*w_.projection_bias : nullptr;
    const TensorView* projection = w_.projection_weight ? &*w_.projection_weight : nullptr;
    // PyTorch's packed in_proj_weight / in_proj_bias hold q, k and v one after another: .rows()
    // takes the part a product needs.
    for (const auto& L : w_.layers) {
        // Self-attention over a single position: its softmax weight is exactly 1, so the block is
        // out_proj(v_proj(x)); q and k cannot change the result (PyTorch computes them and gets
        // the same bits).
        auto v_w = L.self_in_weight.rows(2 * D, 3 * D), v_b = L.self_in_bias.rows(2 * D, 3 * D);
        cpu::linear(pool, x.data(), batch, v_w, &v_b, t.data());
        cpu::linear(pool, t.data(), batch, L.self_out_weight, &L.self_out_bias, y.data());
        cpu::add_in_place(y.data(), x.data(), batch * D);
        cpu::layer_norm(pool, y.data(), L.norm1_weight, L.norm1_bias, eps, batch, D, x.data());

        // Cross-attention of the query to the encoder states, padding masked. (The key bias
        // adds the same to every score of a head, which the softmax cancels.)
        auto q_w = L.cross_in_weight.rows(0, D), q_b = L.cross_in_bias.rows(0, D);
        auto k_w = L.cross_in_weight.rows(D, 2 * D);
        auto cross_v_w = L.cross_in_weight.rows(2 * D, 3 * D), cross_v_b = L.cross_in_bias.rows(2 * D, 3 * D);
        cpu::linear(pool, x.data(), batch, q_w, &q_b, q.data());
        folded_cross_attention(pool, {k_w, cross_v_w, cross_v_b, projection, projection_bias}, q.data(), memory, mask,
                               batch, seq_len, H, hp_.memory_dim, t.data());
        cpu::linear(pool, t.data(), batch, L.cross_out_weight, &L.cross_out_bias, y.data());
        cpu::add_in_place(y.data(), x.data(), batch * D);
        cpu::layer_norm(pool, y.data(), L.norm2_weight, L.norm2_bias, eps, batch, D, x.data());

        // Feed-forward: linear2(ReLU(linear1(x))).
        cpu::linear(pool, x.data(), batch, L.linear1_weight, &L.linear1_bias, ffn.data());
        cpu::relu(ffn.data(), batch * hp_.ffn_dim);
        cpu::linear(pool, ffn.data(), batch, L.linear2_weight, &L.linear2_bias, y.data());
        cpu::add_in_place(y.data(), x.data(), batch * D);
        cpu::layer_norm(pool, y.data(), L.norm3_weight, L.norm3_bias, eps, batch, D, x.data());
    }

    std::vector<float> out(size_t(batch * hp_.num_classes));
    cpu::linear(pool, x.data(), batch, w_.classifier_weight, &w_.classifier_bias, out.data());
    return out;
}

JinaJudgeModel::JinaJudgeModel(XlmRobertaEncoder encoder, JinaJudgeHead head)
    : encoder_(std::move(encoder)), head_(std::move(head)) {
    if (head_.hyperparams().memory_dim != encoder_.config().hidden_size)
        fail("jina judge: the head reads {}-wide encoder states, the encoder's hidden_size is {}",
             head_.hyperparams().memory_dim, encoder_.config().hidden_size);
    if (head_.hyperparams().num_classes != 3)
        fail("jina judge: the classifier has {} classes, expected 3 (A>B, A=B, B>A)", head_.hyperparams().num_classes);
}

JinaJudgeModel JinaJudgeModel::load(const Checkpoint& judge, const JinaJudgeConfig& config,
                                    const JinaEmbeddingsConfig& encoder_config,
                                    const XlmRobertaEncoder::LoadOptions& encoder_options) {
    auto encoder = XlmRobertaEncoder::load(judge, encoder_config, encoder_options);
    auto head = JinaJudgeHead::load(judge, encoder_config.hidden_size, config.nhead, config.num_decoder_layers,
                                    config.n_classes);
    return JinaJudgeModel(std::move(encoder), std::move(head));
}

std::vector<std::array<float, 3>> JinaJudgeModel::classify(ThreadPool& pool, const TokenBatch& batch) const {
    auto hidden = encoder_.forward(pool, batch);
    auto flat = head_.logits(pool, hidden.data(), batch.mask.data(), batch.batch, batch.seq_len);
    std::vector<std::array<float, 3>> out(size_t(batch.batch));
    for (int64_t b = 0; b < batch.batch; ++b)
        for (int c = 0; c < 3; ++c) out[size_t(b)][size_t(c)] = flat[size_t(b * 3 + c)];
    return out;
}

JinaEncoderFiles find_jina_encoder_files(const std::filesystem::path& judge_dir,
                                         const std::optional<std::filesystem::path>& encoder_dir) {
    auto first = [](std::initializer_list<std::filesystem::path> candidates) -> std::optional<std::filesystem::path> {
        for (const auto& c : candidates)
            if (std::filesystem::is_regular_file(c)) return c;
        return std::nullopt;
    };
    if (encoder_dir) return {first({*encoder_dir / "config.json"}), first({*encoder_dir / "tokenizer.json"})};
    return {first({judge_dir / "encoder" / "config.json"}),
            first({judge_dir / "encoder" / "tokenizer.json", judge_dir / "tokenizer.json"})};
}

}  // namespace gavel
