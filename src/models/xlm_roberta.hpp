// jina-embeddings-v3's encoder (spec §2.5): XLM-RoBERTa with rotary position embeddings, fused
// QKV, post-LayerNorm blocks, exact erf GELU and a key-padding mask; mean pooling for embeddings.
// Its task LoRA adapters are merged into the weights at load when a task is asked for.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "backend/cpu/quantize.hpp"
#include "backend/cpu/rope.hpp"
#include "core/huge_page_allocator.hpp"
#include "core/tensor.hpp"
#include "core/thread_pool.hpp"
#include "io/model_config.hpp"

namespace gavel {

class Checkpoint;

enum class GeluKind { Erf, Tanh };

// The adapter index of `task` in config.lora_adaptations; fails listing the known tasks.
int jina_task_index(const JinaEmbeddingsConfig& config, std::string_view task);

// The tensor whose name is `suffix` or ends with "." + `suffix`, checked to have `shape`; fails
// naming the checkpoint, the tensor and both shapes.
const TensorView& find_tensor(const Checkpoint& checkpoint, std::string_view suffix, const std::vector<int64_t>& shape);

struct XlmRobertaLayerWeights {
    TensorView qkv_weight, qkv_bias, out_weight, out_bias, norm1_weight, norm1_bias;
    TensorView fc1_weight, fc1_bias, fc2_weight, fc2_bias, norm2_weight, norm2_bias;
};

struct XlmRobertaWeights {
    TensorView word_embeddings, token_type_embeddings, emb_norm_weight, emb_norm_bias;
    std::vector<XlmRobertaLayerWeights> layers;
    // The active task's LoRA factors of the word embeddings ([vocab, r] and [r, hidden]); empty
    // without a task. A row is merged when it is looked up, which gives the same values as merging
    // the whole table at load without a second copy of it (1 GB at full size).
    TensorView word_lora_a, word_lora_b;
    float word_lora_scale = 0;
};

// A right-padded batch of token sequences: ids and mask are [batch, seq_len], mask 1 = token.
struct TokenBatch {
    int64_t batch = 0, seq_len = 0;
    std::vector<int32_t> ids;
    std::vector<uint8_t> mask;
    std::vector<int64_t> lengths;

    static TokenBatch pad(std::span<const std::vector<int32_t>> sequences, int32_t pad_id);
    int64_t tokens() const { return batch * seq_len; }
};

// How XlmRobertaEncoder::load builds the encoder.
struct XlmRobertaLoadOptions {
    std::optional<std::string> task;  // merge this task's LoRA adapter; none: base weights
    // Use this GELU instead of the config's (test peers: llama.cpp computes the tanh form).
    std::optional<GeluKind> gelu;
    // Int8: the layers' four matrices are quantised to Q8_0 at load (after any task merge).
    cpu::WeightFormat weights = cpu::WeightFormat::Checkpoint;
};

class XlmRobertaEncoder {
public:
    using LoadOptions = XlmRobertaLoadOptions;

    // Finds the encoder's tensors by suffix (any prefix such as "encoder." or none; parametrized
    // ".parametrizations.weight.original" names or plain ".weight"), asserts every shape against
    // `config`, and merges the task adapter when one is asked for. The views point into
    // `checkpoint`, which must outlive the encoder.
    static XlmRobertaEncoder load(const Checkpoint& checkpoint, const JinaEmbeddingsConfig& config,
                                  const LoadOptions& options = {});

    // `owned` holds the bytes of tensors that weights point into but no checkpoint does (merged
    // task weights); moving a vector keeps its buffer, so the views stay valid. `task` names the
    // adapter merged into `weights`, if any.
    XlmRobertaEncoder(JinaEmbeddingsConfig config, GeluKind gelu, XlmRobertaWeights weights,
                      std::vector<HugePageBytes> owned, std::optional<std::string> task = std::nullopt);

    const JinaEmbeddingsConfig& config() const { return config_; }
    GeluKind gelu() const { return gelu_; }
    const std::optional<std::string>& task() const { return task_; }
    // Int8 when the layers' matrices were quantised at load (LoadOptions::weights).
    cpu::WeightFormat weight_format() const {
        return !w_.layers.empty() && w_.layers[0].qkv_weight.dtype == DType::Q8_0 ? cpu::WeightFormat::Int8
                                                                                  : cpu::WeightFormat::Checkpoint;
    }
    const XlmRobertaWeights& weights() const { return w_; }

    // last_hidden_state [batch, seq_len, hidden] in f32; rows of padding are zero.
    std::vector<float> forward(ThreadPool& pool, const TokenBatch& batch) const;
    // Masked mean of forward() over each sequence's tokens: [batch, hidden].
    std::vector<float> embed(ThreadPool& pool, const TokenBatch& batch) const;

private:
    void embed_tokens(const TokenBatch& batch, float* x) const;

    JinaEmbeddingsConfig config_;
    GeluKind gelu_;
    XlmRobertaWeights w_;
    std::vector<HugePageBytes> owned_;
    std::optional<std::string> task_;
    cpu::RopeTable rope_;
};

// Masked mean over tokens, in f32 as jina's encode(): sum_t h_t * mask_t / max(sum_t mask_t, 1e-9).
std::vector<float> mean_pool(const float* hidden, const TokenBatch& batch, int64_t dim);

// W + (B @ A) * scale (linear) computed in f32 and stored in W's dtype, as merging the adapter
// offline does (spec §2.5.3). a: [r, in], b: [out, r] (any float dtype), w: [out, in].
HugePageBytes merge_linear_lora(const TensorView& w, const TensorView& a, const TensorView& b, float scale);
// W + (A @ B) * scale for an embedding table: a [vocab, r], b [r, dim] (the roles swap, §2.5.3).
HugePageBytes merge_embedding_lora(const TensorView& w, const TensorView& a, const TensorView& b, float scale);

}  // namespace gavel
