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

std::vector<float> JinaJudgeHead::logits(ThreadPool& pool, const float* memory, const uint8_t* mask, int64_t batch,
                                         int64_t seq_len) const {
    const int64_t D = hp_.d_model, H = hp_.num_heads, hd = D / H, n_mem = batch * seq_len;
    const float eps = hp_.layer_norm_eps;

    // The buffers over every memory token are kept per calling thread (scratch_buffers.hpp); the
    // ones over the batch's single query position are small.
    struct Buffers {
        std::vector<float> projected, kv;
    };
    thread_local Buffers kept;
    const float* mem = memory;
    if (w_.projection_weight) {
        auto& projected = at_least(kept.projected, size_t(n_mem * D));
        cpu::linear(pool, memory, n_mem, *w_.projection_weight, &*w_.projection_bias, projected.data());
        mem = projected.data();
    }

    // The learned query, one per sequence: the decoder's target has length 1.
    std::vector<float> x(size_t(batch * D)), y(size_t(batch * D)), t(size_t(batch * D)), q(size_t(batch * D));
    std::vector<float> ffn(size_t(batch * hp_.ffn_dim));
    auto& kv = at_least(kept.kv, size_t(n_mem * 2 * D));
    cpu::to_f32(w_.query, x.data());
    for (int64_t b = 1; b < batch; ++b) std::copy_n(x.begin(), D, x.begin() + b * D);

    const float scale = 1.0f / std::sqrt(float(hd));
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

        // Cross-attention of the query to the encoder states, padding masked.
        auto q_w = L.cross_in_weight.rows(0, D), q_b = L.cross_in_bias.rows(0, D);
        auto kv_w = L.cross_in_weight.rows(D, 3 * D), kv_b = L.cross_in_bias.rows(D, 3 * D);
        cpu::linear(pool, x.data(), batch, q_w, &q_b, q.data());
        cpu::linear(pool, mem, n_mem, kv_w, &kv_b, kv.data());
        cpu::encoder_attention(pool, {batch, 1, seq_len, H, hd}, {q.data(), D, kv.data(), 2 * D, kv.data() + D, 2 * D},
                               scale, mask, t.data());
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
