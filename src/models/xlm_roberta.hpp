// jina-embeddings-v3's encoder (spec §2.5): XLM-RoBERTa with rotary position embeddings, fused
// QKV, post-LayerNorm blocks, exact erf GELU and a key-padding mask; mean pooling for embeddings.
// Its task LoRA adapters are merged into the weights at load when a task is asked for.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "backend/cpu/rope.hpp"
#include "core/tensor.hpp"
#include "core/thread_pool.hpp"

namespace gavel {

class Checkpoint;

enum class GeluKind { Erf, Tanh };

// What the forward pass needs from config.json.
struct XlmRobertaHyperparams {
    int64_t vocab_size = 0, hidden_size = 0, num_layers = 0, num_heads = 0, intermediate_size = 0;
    int64_t max_positions = 0;  // max_position_embeddings: the longest sequence RoPE is used for
    float layer_norm_eps = 1e-5f;
    double rope_base = 10000.0;
    int32_t pad_token_id = 1;
    GeluKind gelu = GeluKind::Erf;
    std::vector<std::string> tasks;  // lora_adaptations, in adapter order
    int64_t lora_rank = 0;
    float lora_alpha = 1.0f;

    int64_t head_dim() const { return hidden_size / num_heads; }
    // The adapter index of `task`; fails listing the known tasks.
    int task_index(std::string_view task) const;
};

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

class XlmRobertaEncoder {
public:
    struct LoadOptions {
        std::optional<std::string> task;  // merge this task's LoRA adapter; none: base weights
        // Use this GELU instead of the config's (test peers: llama.cpp computes the tanh form).
        std::optional<GeluKind> gelu;
    };

    // Finds the encoder's tensors by suffix (any prefix such as "encoder." or none), asserts every
    // shape against `hp`, and merges the task adapter when one is asked for.
    static XlmRobertaEncoder load(const Checkpoint& checkpoint, XlmRobertaHyperparams hp, const LoadOptions& options);

    // `owned` holds the bytes of tensors that weights point into but no checkpoint does (merged
    // task weights); moving a vector keeps its buffer, so the views stay valid. `task` names the
    // adapter merged into `weights`, if any.
    XlmRobertaEncoder(XlmRobertaHyperparams hp, XlmRobertaWeights weights, std::vector<std::vector<uint8_t>> owned,
                      std::optional<std::string> task = std::nullopt);

    const XlmRobertaHyperparams& hyperparams() const { return hp_; }
    const std::optional<std::string>& task() const { return task_; }

    // last_hidden_state [batch, seq_len, hidden] in f32; rows of padding are zero.
    std::vector<float> forward(ThreadPool& pool, const TokenBatch& batch) const;
    // Masked mean of forward() over each sequence's tokens: [batch, hidden].
    std::vector<float> embed(ThreadPool& pool, const TokenBatch& batch) const;

private:
    void embed_tokens(const TokenBatch& batch, float* x) const;

    XlmRobertaHyperparams hp_;
    XlmRobertaWeights w_;
    std::vector<std::vector<uint8_t>> owned_;
    std::optional<std::string> task_;
    cpu::RopeTable rope_;
};

// Masked mean over tokens, in f32 as jina's encode(): sum_t h_t * mask_t / max(sum_t mask_t, 1e-9).
std::vector<float> mean_pool(const float* hidden, const TokenBatch& batch, int64_t dim);

// W + (B @ A) * scale (linear) computed in f32 and stored in W's dtype, as merging the adapter
// offline does (spec §2.5.3). a: [r, in], b: [out, r] (any float dtype), w: [out, in].
std::vector<uint8_t> merge_linear_lora(const TensorView& w, const TensorView& a, const TensorView& b, float scale);
// W + (A @ B) * scale for an embedding table: a [vocab, r], b [r, dim] (the roles swap, §2.5.3).
std::vector<uint8_t> merge_embedding_lora(const TensorView& w, const TensorView& a, const TensorView& b, float scale);

}  // namespace gavel
