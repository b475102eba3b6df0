#include "models/xlm_roberta.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "backend/cpu/activation.hpp"
#include "backend/cpu/attention_encoder.hpp"
#include "backend/cpu/matmul.hpp"
#include "backend/cpu/norm.hpp"
#include "core/error.hpp"
#include "core/scratch_buffers.hpp"
#include "io/checkpoint.hpp"
#include "models/int8_weights.hpp"

namespace gavel {

namespace {

float element_f32(const TensorView& t, int64_t i) {
    switch (t.dtype) {
        case DType::F32: return t.as<float>()[i];
        case DType::BF16: return bf16_to_f32(t.as<uint16_t>()[i]);
        case DType::F16: return f16_to_f32(t.as<uint16_t>()[i]);
        default: fail("lora: dtype {} is not a float type", dtype_name(t.dtype));
    }
}

// Stores `v` as `dtype` at out[i] (the rounding of .to(dtype)).
void store_element(float v, DType dtype, uint8_t* out, int64_t i) {
    switch (dtype) {
        case DType::F32: std::memcpy(out + i * 4, &v, 4); break;
        case DType::BF16: {
            uint16_t h = f32_to_bf16(v);
            std::memcpy(out + i * 2, &h, 2);
            break;
        }
        case DType::F16: {
            uint16_t h = f32_to_f16(v);
            std::memcpy(out + i * 2, &h, 2);
            break;
        }
        default: fail("lora: cannot store into dtype {}", dtype_name(dtype));
    }
}

float round_to_dtype(float v, DType dtype) {
    switch (dtype) {
        case DType::BF16: return bf16_to_f32(f32_to_bf16(v));
        case DType::F16: return f16_to_f32(f32_to_f16(v));
        default: return v;
    }
}

void check_float(const TensorView& t, const char* what) {
    if (t.dtype != DType::F32 && t.dtype != DType::BF16 && t.dtype != DType::F16)
        fail("lora: {} has dtype {}, expected F32, BF16 or F16", what, dtype_name(t.dtype));
}

// row[j] of W + A @ B * scale where row `a_row` of A is given: the one merge formula shared by the
// whole-table and the per-row paths, so both give the same bits.
void merged_row(const float* w_row, const TensorView& a, int64_t a_row, const TensorView& b, float scale,
                DType dtype, float* out) {
    const int64_t r = a.dim(1), dim = b.dim(1);
    float coef[64];
    for (int64_t k = 0; k < r; ++k) coef[k] = element_f32(a, a_row * r + k);
    for (int64_t j = 0; j < dim; ++j) {
        float delta = 0;
        for (int64_t k = 0; k < r; ++k) delta += coef[k] * element_f32(b, k * dim + j);
        out[j] = round_to_dtype(w_row[j] + delta * scale, dtype);
    }
}


}  // namespace

int jina_task_index(const JinaEmbeddingsConfig& config, std::string_view task) {
    const auto& tasks = config.lora_adaptations;
    for (size_t i = 0; i < tasks.size(); ++i)
        if (tasks[i] == task) return int(i);
    std::string known;
    for (const auto& t : tasks) known += (known.empty() ? "" : ", ") + t;
    fail("unknown task '{}': the encoder's lora_adaptations are [{}]", task, known);
}

const TensorView& find_tensor(const Checkpoint& checkpoint, std::string_view suffix, const std::vector<int64_t>& shape) {
    auto name = checkpoint.find_suffix(suffix);
    if (!name) fail("{}: no tensor named '{}' (with any prefix)", checkpoint.path().string(), suffix);
    const TensorView& t = checkpoint.tensor(*name);
    if (t.shape != shape)
        fail("{}: tensor '{}' has shape {}, expected {}", checkpoint.path().string(), *name, shape_string(t.shape),
             shape_string(shape));
    return t;
}

HugePageBytes merge_linear_lora(const TensorView& w, const TensorView& a, const TensorView& b, float scale) {
    check_float(w, "weight");
    check_float(a, "lora_A");
    check_float(b, "lora_B");
    const int64_t out = w.dim(0), in = w.dim(1), r = a.dim(0);
    if (a.rank() != 2 || b.rank() != 2 || a.dim(1) != in || b.dim(0) != out || b.dim(1) != r || r > 64)
        fail("lora: factors {} and {} do not fit weight {}", shape_string(a.shape), shape_string(b.shape),
             shape_string(w.shape));
    HugePageBytes merged(w.nbytes());
    std::vector<float> a_f32(size_t(r * in));
    for (int64_t i = 0; i < r * in; ++i) a_f32[size_t(i)] = element_f32(a, i);
    for (int64_t o = 0; o < out; ++o) {
        float coef[64];
        for (int64_t k = 0; k < r; ++k) coef[k] = element_f32(b, o * r + k);
        for (int64_t i = 0; i < in; ++i) {
            float delta = 0;
            for (int64_t k = 0; k < r; ++k) delta += coef[k] * a_f32[size_t(k * in + i)];
            store_element(element_f32(w, o * in + i) + delta * scale, w.dtype, merged.data(), o * in + i);
        }
    }
    return merged;
}

HugePageBytes merge_embedding_lora(const TensorView& w, const TensorView& a, const TensorView& b, float scale) {
    check_float(w, "weight");
    check_float(a, "lora_A");
    check_float(b, "lora_B");
    const int64_t rows = w.dim(0), dim = w.dim(1);
    if (a.rank() != 2 || b.rank() != 2 || a.dim(0) != rows || b.dim(1) != dim || a.dim(1) != b.dim(0) || a.dim(1) > 64)
        fail("lora: factors {} and {} do not fit embedding {}", shape_string(a.shape), shape_string(b.shape),
             shape_string(w.shape));
    HugePageBytes merged(w.nbytes());
    std::vector<float> w_row(static_cast<size_t>(dim)), row(static_cast<size_t>(dim));
    for (int64_t i = 0; i < rows; ++i) {
        for (int64_t j = 0; j < dim; ++j) w_row[size_t(j)] = element_f32(w, i * dim + j);
        merged_row(w_row.data(), a, i, b, scale, w.dtype, row.data());
        for (int64_t j = 0; j < dim; ++j) store_element(row[size_t(j)], w.dtype, merged.data(), i * dim + j);
    }
    return merged;
}

namespace {

// Entry `index` of a stacked tensor [n, ...]: one task's adapter factor.
TensorView task_slice(const TensorView& t, int index) {
    TensorView v{t.dtype, std::vector<int64_t>(t.shape.begin() + 1, t.shape.end()), nullptr};
    v.data = static_cast<const uint8_t*>(t.data) + size_t(index) * v.nbytes();
    return v;
}

}  // namespace

XlmRobertaEncoder XlmRobertaEncoder::load(const Checkpoint& ck, const JinaEmbeddingsConfig& c, const LoadOptions& options) {
    const int64_t V = c.vocab_size, D = c.hidden_size, I = c.intermediate_size, R = c.lora_rank;
    const int64_t tasks = int64_t(c.lora_adaptations.size());
    std::optional<int> task;
    if (options.task) task = jina_task_index(c, *options.task);
    if (task && (R <= 0 || R > 64)) fail("encoder: lora_rank {} is not supported (1 to 64)", R);
    const float scale = float(c.lora_alpha / double(R));
    std::vector<HugePageBytes> owned;
    XlmRobertaWeights w;

    // jina's checkpoints keep each adapted weight as "<module>.parametrizations.weight.original"
    // (torch parametrize); an export with the adapters stripped names it "<module>.weight".
    auto base = [&](const std::string& module, const std::vector<int64_t>& shape) -> const TensorView& {
        const std::string parametrized = module + ".parametrizations.weight.original";
        return find_tensor(ck, ck.find_suffix(parametrized) ? parametrized : module + ".weight", shape);
    };
    auto factors = [&](const std::string& module, std::vector<int64_t> a_shape, std::vector<int64_t> b_shape) {
        const std::string stem = module + ".parametrizations.weight.0.lora_";
        a_shape.insert(a_shape.begin(), tasks);
        b_shape.insert(b_shape.begin(), tasks);
        return std::pair{task_slice(find_tensor(ck, stem + "A", a_shape), *task),
                         task_slice(find_tensor(ck, stem + "B", b_shape), *task)};
    };
    std::optional<ThreadPool> pool;  // for quantising (Int8), on all cores
    if (options.weights == cpu::WeightFormat::Int8) pool.emplace();
    auto linear = [&](const std::string& module, int64_t out, int64_t in) -> TensorView {
        const TensorView& weight = base(module, {out, in});
        TensorView w = weight;
        HugePageBytes merged;
        if (task) {
            auto [a, b] = factors(module, {R, in}, {out, R});
            merged = merge_linear_lora(weight, a, b, scale);
            w.data = merged.data();
        }
        // Int8: the merged bytes are dropped once quantised, and the checkpoint's pages let go.
        if (pool) {
            const TensorView q = quantize_weight(*pool, ck, w, module + ".weight", owned);
            if (task) ck.release(weight);  // read by the merge, not by the quantiser
            return q;
        }
        if (task) owned.push_back(std::move(merged));  // the vector's buffer, and w.data, stay put
        return w;
    };
    auto vector = [&](const std::string& name, int64_t n) { return find_tensor(ck, name, {n}); };

    const std::string emb = "roberta.embeddings.";
    w.word_embeddings = base(emb + "word_embeddings", {V, D});
    ck.read_sparsely(w.word_embeddings);  // looked up a row per token
    w.token_type_embeddings = base(emb + "token_type_embeddings", {c.type_vocab_size, D});
    if (task) {
        std::tie(w.word_lora_a, w.word_lora_b) = factors(emb + "word_embeddings", {V, R}, {R, D});
        w.word_lora_scale = scale;
        auto [a, b] = factors(emb + "token_type_embeddings", {c.type_vocab_size, R}, {R, D});
        owned.push_back(merge_embedding_lora(w.token_type_embeddings, a, b, scale));
        w.token_type_embeddings.data = owned.back().data();
    }
    w.emb_norm_weight = vector("roberta.emb_ln.weight", D);
    w.emb_norm_bias = vector("roberta.emb_ln.bias", D);
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
        const std::string p = fmt::format("roberta.encoder.layers.{}.", i);
        XlmRobertaLayerWeights L;
        L.qkv_weight = linear(p + "mixer.Wqkv", 3 * D, D);
        L.qkv_bias = vector(p + "mixer.Wqkv.bias", 3 * D);
        L.out_weight = linear(p + "mixer.out_proj", D, D);
        L.out_bias = vector(p + "mixer.out_proj.bias", D);
        L.norm1_weight = vector(p + "norm1.weight", D);
        L.norm1_bias = vector(p + "norm1.bias", D);
        L.fc1_weight = linear(p + "mlp.fc1", I, D);
        L.fc1_bias = vector(p + "mlp.fc1.bias", I);
        L.fc2_weight = linear(p + "mlp.fc2", D, I);
        L.fc2_bias = vector(p + "mlp.fc2.bias", D);
        L.norm2_weight = vector(p + "norm2.weight", D);
        L.norm2_bias = vector(p + "norm2.bias", D);
        w.layers.push_back(L);
    }
    if (ck.find_suffix(fmt::format("roberta.encoder.layers.{}.norm1.weight", c.num_hidden_layers)))
        fail("{}: the checkpoint has more encoder layers than num_hidden_layers = {}", ck.path().string(),
             c.num_hidden_layers);
    return XlmRobertaEncoder(c, options.gelu.value_or(GeluKind::Erf), std::move(w), std::move(owned), options.task);
}

TokenBatch TokenBatch::pad(std::span<const std::vector<int32_t>> sequences, int32_t pad_id) {
    TokenBatch b;
    b.batch = int64_t(sequences.size());
    for (const auto& s : sequences) b.seq_len = std::max(b.seq_len, int64_t(s.size()));
    b.ids.assign(size_t(b.tokens()), pad_id);
    b.mask.assign(size_t(b.tokens()), 0);
    for (int64_t i = 0; i < b.batch; ++i) {
        const auto& s = sequences[size_t(i)];
        if (s.empty()) fail("token batch: sequence {} is empty", i);
        std::copy(s.begin(), s.end(), b.ids.begin() + i * b.seq_len);
        std::fill_n(b.mask.begin() + i * b.seq_len, s.size(), uint8_t(1));
        b.lengths.push_back(int64_t(s.size()));
    }
    return b;
}

XlmRobertaEncoder::XlmRobertaEncoder(JinaEmbeddingsConfig config, GeluKind gelu, XlmRobertaWeights weights,
                                     std::vector<HugePageBytes> owned, std::optional<std::string> task)
    : config_(std::move(config)),
      gelu_(gelu),
      w_(std::move(weights)),
      owned_(std::move(owned)),
      task_(std::move(task)),
      rope_(config_.head_dim(), config_.rotary_emb_base, config_.max_position_embeddings) {}

void XlmRobertaEncoder::embed_tokens(const TokenBatch& batch, float* x) const {
    const int64_t n = batch.tokens(), dim = config_.hidden_size;
    cpu::embedding(w_.word_embeddings, batch.ids.data(), n, x);
    if (w_.word_lora_a.data) {
        std::vector<float> row(static_cast<size_t>(dim));
        for (int64_t i = 0; i < n; ++i) {
            merged_row(x + i * dim, w_.word_lora_a, batch.ids[size_t(i)], w_.word_lora_b, w_.word_lora_scale,
                       w_.word_embeddings.dtype, row.data());
            std::copy(row.begin(), row.end(), x + i * dim);
        }
    }
    // token_type_ids are always 0 (type_vocab_size 1; the judge passes none).
    std::vector<float> type0(static_cast<size_t>(dim));
    const int32_t zero = 0;
    cpu::embedding(w_.token_type_embeddings, &zero, 1, type0.data());
    for (int64_t i = 0; i < n; ++i) cpu::add_in_place(x + i * dim, type0.data(), dim);
}

std::vector<float> XlmRobertaEncoder::forward(ThreadPool& pool, const TokenBatch& batch) const {
    const int64_t n = batch.tokens(), D = config_.hidden_size, H = config_.num_attention_heads, hd = config_.head_dim();
    const int64_t ffn = config_.intermediate_size;
    if (batch.seq_len > config_.max_position_embeddings)
        fail("encoder: a sequence of {} tokens is longer than max_position_embeddings {}", batch.seq_len,
             config_.max_position_embeddings);
    // x is returned; the other activations are kept per calling thread (scratch_buffers.hpp).
    struct Buffers {
        HugePageVector<float> qkv, attn, y, ff;
    };
    thread_local Buffers kept;
    std::vector<float> x(size_t(n * D));
    auto& qkv = at_least(kept.qkv, size_t(n * 3 * D));
    auto& attn = at_least(kept.attn, size_t(n * D));
    auto& y = at_least(kept.y, size_t(n * D));
    auto& ff = at_least(kept.ff, size_t(n * ffn));
    std::vector<int32_t> positions(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) positions[size_t(i)] = int32_t(i % batch.seq_len);

    embed_tokens(batch, y.data());
    cpu::layer_norm(pool, y.data(), w_.emb_norm_weight, w_.emb_norm_bias, float(config_.layer_norm_eps), n, D, x.data());

    const float scale = 1.0f / std::sqrt(float(hd));
    for (const auto& L : w_.layers) {
        // Self-attention: qkv rows are (q | k | v), each [heads, head_dim]; RoPE on q and k in
        // place (the first 2 * heads heads of each row), and the attention reads all three there.
        cpu::linear(pool, x.data(), n, L.qkv_weight, &L.qkv_bias, qkv.data());
        rope_.apply(pool, qkv.data(), n, 2 * H, positions.data(), 3 * D);
        cpu::encoder_attention(pool, {batch.batch, batch.seq_len, batch.seq_len, H, hd},
                               {qkv.data(), 3 * D, qkv.data() + D, 3 * D, qkv.data() + 2 * D, 3 * D}, scale,
                               batch.mask.data(), attn.data());
        cpu::linear(pool, attn.data(), n, L.out_weight, &L.out_bias, y.data());
        cpu::add_in_place(y.data(), x.data(), n * D);
        cpu::layer_norm(pool, y.data(), L.norm1_weight, L.norm1_bias, float(config_.layer_norm_eps), n, D, x.data());

        // MLP: fc2(GELU(fc1(h))), then the second post-norm.
        cpu::linear(pool, x.data(), n, L.fc1_weight, &L.fc1_bias, ff.data());
        if (gelu_ == GeluKind::Erf)
            cpu::gelu_erf(pool, ff.data(), n * ffn);
        else
            cpu::gelu_tanh(pool, ff.data(), n * ffn);
        cpu::linear(pool, ff.data(), n, L.fc2_weight, &L.fc2_bias, y.data());
        cpu::add_in_place(y.data(), x.data(), n * D);
        cpu::layer_norm(pool, y.data(), L.norm2_weight, L.norm2_bias, float(config_.layer_norm_eps), n, D, x.data());
    }
    for (int64_t i = 0; i < n; ++i)
        if (!batch.mask[size_t(i)]) std::fill_n(&x[size_t(i * D)], D, 0.0f);
    return x;
}

std::vector<float> XlmRobertaEncoder::embed(ThreadPool& pool, const TokenBatch& batch) const {
    auto hidden = forward(pool, batch);
    return mean_pool(hidden.data(), batch, config_.hidden_size);
}

std::vector<float> mean_pool(const float* hidden, const TokenBatch& batch, int64_t dim) {
    std::vector<float> out(size_t(batch.batch * dim), 0.0f);
    for (int64_t b = 0; b < batch.batch; ++b) {
        float* o = &out[size_t(b * dim)];
        float count = 0;
        for (int64_t t = 0; t < batch.seq_len; ++t) {
            if (!batch.mask[size_t(b * batch.seq_len + t)]) continue;
            cpu::add_in_place(o, hidden + (b * batch.seq_len + t) * dim, dim);
            count += 1;
        }
        const float denom = std::max(count, 1e-9f);
        for (int64_t j = 0; j < dim; ++j) o[j] /= denom;
    }
    return out;
}

}  // namespace gavel
