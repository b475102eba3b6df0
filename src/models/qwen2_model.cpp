#include "models/qwen2_model.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "backend/cpu/activation.hpp"
#include "backend/cpu/attention_causal.hpp"
#include "backend/cpu/matmul.hpp"
#include "backend/cpu/norm.hpp"
#include "core/error.hpp"
#include "core/scratch_buffers.hpp"
#include "models/int8_weights.hpp"

namespace gavel {

namespace {

bool is_float(DType t) { return t == DType::F32 || t == DType::BF16 || t == DType::F16; }

// Looks up `name` and checks its shape and dtype; errors name the tensor and the checkpoint.
TensorView weight(const Checkpoint& ckpt, const std::string& name, std::vector<int64_t> shape) {
    const TensorView& t = ckpt.tensor(name);
    if (t.shape != shape)
        fail("{}: tensor '{}' has shape {}, config.json implies {}", ckpt.path().string(), name,
             shape_string(t.shape), shape_string(shape));
    if (!is_float(t.dtype))
        fail("{}: tensor '{}' has dtype {}; Qwen2 weights must be F32, BF16 or F16", ckpt.path().string(), name,
             dtype_name(t.dtype));
    return t;
}

Qwen2Config qwen2_config_of(const std::filesystem::path& dir) {
    ModelConfig config = read_model_config(dir);
    if (architecture_of(config) != Architecture::Qwen2)
        fail("{}: config.json describes {}, not a Qwen2 model", dir.string(),
             architecture_name(architecture_of(config)));
    return std::get<Qwen2Config>(config);
}

}  // namespace

Qwen2Model Qwen2Model::open(const std::filesystem::path& model, cpu::WeightFormat weights) {
    std::filesystem::path dir = std::filesystem::is_directory(model) ? model : model.parent_path();
    if (dir.empty()) dir = ".";
    return Qwen2Model(Checkpoint::open(model), qwen2_config_of(dir), weights);
}

Qwen2Model::Qwen2Model(Checkpoint checkpoint, Qwen2Config config, cpu::WeightFormat weights)
    : checkpoint_(std::move(checkpoint)),
      config_(std::move(config)),
      weights_(weights),
      rope_(config_.head_dim, config_.rope_theta, config_.max_position_embeddings) {
    const auto& c = config_;
    if (c.num_attention_heads % c.num_key_value_heads)
        fail("config.json: num_attention_heads {} is not a multiple of num_key_value_heads {}",
             c.num_attention_heads, c.num_key_value_heads);
    // Checkpoints saved from Qwen2ForCausalLM prefix the decoder with "model."; a bare Qwen2Model has none.
    auto embed_name = checkpoint_.find_suffix("embed_tokens.weight");
    if (!embed_name) fail("{}: no embed_tokens.weight tensor: not a Qwen2 checkpoint", checkpoint_.path().string());
    const std::string prefix = embed_name->substr(0, embed_name->size() - std::string("embed_tokens.weight").size());

    const int64_t D = c.hidden_size, F = c.intermediate_size, V = c.vocab_size;
    const int64_t q_dim = c.num_attention_heads * c.head_dim, kv_dim = c.num_key_value_heads * c.head_dim;
    embed_tokens_ = weight(checkpoint_, *embed_name, {V, D});
    final_norm_ = weight(checkpoint_, prefix + "norm.weight", {D});
    tied_ = c.tie_word_embeddings || !checkpoint_.has("lm_head.weight");
    lm_head_ = tied_ ? embed_tokens_ : weight(checkpoint_, "lm_head.weight", {V, D});
    // Untied, the embedding table is only looked up, a row per token (a tied one is also the
    // lm_head, read whole every decode step).
    if (!tied_) checkpoint_.read_sparsely(embed_tokens_);
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
        const std::string p = prefix + "layers." + std::to_string(i) + ".";
        layers_.push_back(Layer{
            .input_norm = weight(checkpoint_, p + "input_layernorm.weight", {D}),
            .q = weight(checkpoint_, p + "self_attn.q_proj.weight", {q_dim, D}),
            .q_bias = weight(checkpoint_, p + "self_attn.q_proj.bias", {q_dim}),
            .k = weight(checkpoint_, p + "self_attn.k_proj.weight", {kv_dim, D}),
            .k_bias = weight(checkpoint_, p + "self_attn.k_proj.bias", {kv_dim}),
            .v = weight(checkpoint_, p + "self_attn.v_proj.weight", {kv_dim, D}),
            .v_bias = weight(checkpoint_, p + "self_attn.v_proj.bias", {kv_dim}),
            .o = weight(checkpoint_, p + "self_attn.o_proj.weight", {D, q_dim}),
            .post_attention_norm = weight(checkpoint_, p + "post_attention_layernorm.weight", {D}),
            .gate = weight(checkpoint_, p + "mlp.gate_proj.weight", {F, D}),
            .up = weight(checkpoint_, p + "mlp.up_proj.weight", {F, D}),
            .down = weight(checkpoint_, p + "mlp.down_proj.weight", {D, F}),
        });
    }
    if (weights_ == cpu::WeightFormat::Int8) {
        ThreadPool pool;
        auto quantize = [&](TensorView& w, const std::string& name) {
            w = quantize_weight(pool, checkpoint_, w, name, quantized_);
        };
        for (size_t i = 0; i < layers_.size(); ++i) {
            Layer& L = layers_[i];
            const std::string p = prefix + "layers." + std::to_string(i) + ".";
            quantize(L.q, p + "self_attn.q_proj.weight");
            quantize(L.k, p + "self_attn.k_proj.weight");
            quantize(L.v, p + "self_attn.v_proj.weight");
            quantize(L.o, p + "self_attn.o_proj.weight");
            quantize(L.gate, p + "mlp.gate_proj.weight");
            quantize(L.up, p + "mlp.up_proj.weight");
            quantize(L.down, p + "mlp.down_proj.weight");
        }
        // Tied: the lm_head's copy is quantised; the embedding rows are still read from the checkpoint.
        quantize(lm_head_, tied_ ? *embed_name : std::string("lm_head.weight"));
    }
}

cpu::KvCache Qwen2Model::new_cache(int64_t capacity) const {
    if (capacity > config_.max_position_embeddings)
        fail("a sequence of {} tokens exceeds max_position_embeddings {} of this model", capacity,
             config_.max_position_embeddings);
    return cpu::KvCache(config_.num_hidden_layers, config_.num_key_value_heads, config_.head_dim, capacity);
}

std::vector<std::vector<float>> Qwen2Model::forward(ThreadPool& pool, std::span<const Qwen2Chunk> chunks) const {
    const auto& c = config_;
    const int64_t D = c.hidden_size, F = c.intermediate_size, V = c.vocab_size;
    const int64_t Hq = c.num_attention_heads, Hkv = c.num_key_value_heads, d = c.head_dim;
    const float eps = float(c.rms_norm_eps);

    // The activations and the per-pass lists are kept per calling thread between passes
    // (scratch_buffers.hpp): a decode step allocates only the logits it returns. Every one is
    // written before it is read.
    struct Buffers {
        std::vector<int64_t> first, out_first;
        std::vector<int32_t> ids, positions;
        std::vector<cpu::CausalAttentionSequence> attention;
        std::vector<float> h, a, q, k, v, attn, proj, gate, up, normed;
    };
    thread_local Buffers kept;

    // All chunks' tokens form one [m, D] activation matrix; chunk i owns rows [first[i], first[i + 1]).
    auto& first = kept.first;
    first.assign(chunks.size() + 1, 0);
    for (size_t i = 0; i < chunks.size(); ++i) {
        const Qwen2Chunk& ch = chunks[i];
        if (!ch.cache || ch.tokens.empty()) fail("qwen2 forward: chunk {} has no cache or no tokens", i);
        if (ch.cache->size() + int64_t(ch.tokens.size()) > ch.cache->capacity())
            fail("qwen2 forward: sequence {} of {} tokens plus {} new ones exceeds its cache of {}", i,
                 ch.cache->size(), ch.tokens.size(), ch.cache->capacity());
        first[i + 1] = first[i] + int64_t(ch.tokens.size());
    }
    const int64_t m = first.back();
    auto& ids = kept.ids;
    auto& positions = kept.positions;
    ids.clear();
    positions.clear();
    for (const auto& ch : chunks)
        for (size_t t = 0; t < ch.tokens.size(); ++t) {
            ids.push_back(ch.tokens[t]);
            positions.push_back(int32_t(ch.cache->size() + int64_t(t)));
        }

    auto& h = at_least(kept.h, size_t(m * D));
    auto& a = at_least(kept.a, size_t(m * D));
    auto& q = at_least(kept.q, size_t(m * Hq * d));
    auto& k = at_least(kept.k, size_t(m * Hkv * d));
    auto& v = at_least(kept.v, size_t(m * Hkv * d));
    auto& attn = at_least(kept.attn, size_t(m * Hq * d));
    auto& proj = at_least(kept.proj, size_t(m * D));
    auto& gate = at_least(kept.gate, size_t(m * F));
    auto& up = at_least(kept.up, size_t(m * F));
    auto& attention = kept.attention;
    attention.resize(chunks.size());

    // The rows whose logits the chunks asked for (each chunk's last token, or all of its tokens):
    // chunk i's are rows [out_first[i], out_first[i + 1]) of the output, its tokens' last ones.
    auto& out_first = kept.out_first;
    out_first.assign(chunks.size() + 1, 0);
    for (size_t i = 0; i < chunks.size(); ++i)
        out_first[i + 1] = out_first[i] + (chunks[i].all_logits ? first[i + 1] - first[i] : 1);
    const int64_t rows = out_first.back();

    // h = E[ids]
    cpu::embedding(embed_tokens_, ids.data(), m, h.data());
    for (size_t l = 0; l < layers_.size(); ++l) {
        const Layer& L = layers_[l];
        // The last layer's keys and values are cached for every token, but what follows its
        // attention only reaches the logits through the output rows: from there on it runs on
        // those rows alone (`mo` of them, gathered at the front of the buffers), as llama.cpp does.
        // A 512-token prompt scored at its last token skips 1/24 of Qwen2-0.5B's matrix work.
        const bool last_layer = l + 1 == layers_.size();
        const int64_t mo = last_layer ? rows : m;
        // a = RMSNorm(h); q, k, v = a W^T + b; RoPE on q and k
        cpu::rms_norm(pool, h.data(), L.input_norm, eps, m, D, a.data());
        const cpu::LinearOutput qkv[] = {{&L.q, &L.q_bias, q.data()}, {&L.k, &L.k_bias, k.data()},
                                         {&L.v, &L.v_bias, v.data()}};
        cpu::linear(pool, a.data(), m, qkv);
        rope_.apply(pool, q.data(), m, Hq, positions.data());
        rope_.apply(pool, k.data(), m, Hkv, positions.data());
        // Causal GQA over each sequence's cached keys/values plus its new ones.
        for (size_t i = 0; i < chunks.size(); ++i) {
            cpu::KvCache& cache = *chunks[i].cache;
            const int64_t r = first[i], n = first[i + 1] - first[i];
            cache.store(int64_t(l), &k[size_t(r * Hkv * d)], &v[size_t(r * Hkv * d)], n, Hkv * d);
            // The queries of its output rows only, in the last layer (ro of its n tokens, the last ones).
            const int64_t ro = last_layer ? out_first[i + 1] - out_first[i] : n;
            const int64_t qr = r + n - ro, orow = last_layer ? out_first[i] : r;
            attention[i] = {.q = &q[size_t(qr * Hq * d)], .out = &attn[size_t(orow * Hq * d)], .tokens = ro,
                            .keys = cache.keys(int64_t(l)), .values = cache.values(int64_t(l)),
                            .first_position = cache.size() + n - ro};
        }
        cpu::attention_causal(pool, attention, Hq, Hkv, d, 1.0f / std::sqrt(float(d)));
        if (last_layer && mo < m) {  // the residual stream of the output rows, gathered to the front
            for (size_t i = 0; i < chunks.size(); ++i) {
                const int64_t n = out_first[i + 1] - out_first[i], from = first[i + 1] - n;
                if (from != out_first[i])  // earlier rows: the copy never runs into rows it still has to read
                    std::copy(h.begin() + from * D, h.begin() + first[i + 1] * D, h.begin() + out_first[i] * D);
            }
        }
        // h = h + attn W_o^T
        cpu::linear(pool, attn.data(), mo, L.o, nullptr, proj.data());
        cpu::add_in_place(h.data(), proj.data(), mo * D);
        // h = h + down(silu(gate(RMSNorm(h))) * up(RMSNorm(h)))
        cpu::rms_norm(pool, h.data(), L.post_attention_norm, eps, mo, D, a.data());
        const cpu::LinearOutput gate_up[] = {{&L.gate, nullptr, gate.data()}, {&L.up, nullptr, up.data()}};
        cpu::linear(pool, a.data(), mo, gate_up);
        cpu::silu_mul(pool, gate.data(), up.data(), gate.data(), mo * F);
        cpu::linear(pool, gate.data(), mo, L.down, nullptr, proj.data());
        cpu::add_in_place(h.data(), proj.data(), mo * D);
    }
    for (size_t i = 0; i < chunks.size(); ++i) chunks[i].cache->advance(first[i + 1] - first[i]);

    // logits = RMSNorm(h) lm_head^T for the output rows (the first `rows` of h now), in one product so
    // the (large) lm_head is read once per pass, not once per sequence.
    auto& normed = at_least(kept.normed, size_t(rows * D));
    cpu::rms_norm(pool, h.data(), final_norm_, eps, rows, D, normed.data());
    std::vector<float> all(size_t(rows * V));
    cpu::linear(pool, normed.data(), rows, lm_head_, nullptr, all.data());
    std::vector<std::vector<float>> logits(chunks.size());
    if (chunks.size() == 1) {
        logits[0] = std::move(all);
        return logits;
    }
    for (size_t i = 0; i < chunks.size(); ++i)
        logits[i].assign(all.begin() + out_first[i] * V, all.begin() + out_first[i + 1] * V);
    return logits;
}

}  // namespace gavel
