// The Qwen2 / Qwen2.5 decoder (models.md §1.4): embeddings, pre-norm blocks of GQA attention with q/k/v
// biases and NeoX RoPE plus a SwiGLU MLP, a final RMSNorm and the (tied or untied) lm_head. Weights stay
// in their stored dtype inside the memory-mapped checkpoint; activations are f32.
// Immutable after load: one model serves any number of sequences and threads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "backend/cpu/kv_cache.hpp"
#include "backend/cpu/quantize.hpp"
#include "backend/cpu/rope.hpp"
#include "core/huge_page_allocator.hpp"
#include "core/tensor.hpp"
#include "core/thread_pool.hpp"
#include "io/checkpoint.hpp"
#include "io/model_config.hpp"

namespace gavel {

// The new tokens of one sequence in a forward pass. They continue the sequence held in `cache`
// (positions cache->size(), cache->size() + 1, ...), and are appended to it.
struct Qwen2Chunk {
    cpu::KvCache* cache = nullptr;
    std::span<const int32_t> tokens;
    bool all_logits = false;  // logits of every token (prompt scoring); else of the last token only
};

class Qwen2Model {
public:
    // Reads config.json and the safetensors weights of a model folder (or a single .safetensors file
    // with config.json beside it).
    static Qwen2Model open(const std::filesystem::path& model,
                           cpu::WeightFormat weights = cpu::WeightFormat::Checkpoint);
    // Checks every tensor's name and shape against `config` and keeps views into `checkpoint`; with
    // WeightFormat::Int8, quantises the block matrices and the lm_head to Q8_0 (on all cores) and
    // keeps those instead (embeddings and norms stay views).
    Qwen2Model(Checkpoint checkpoint, Qwen2Config config, cpu::WeightFormat weights = cpu::WeightFormat::Checkpoint);

    const Qwen2Config& config() const { return config_; }
    const Checkpoint& checkpoint() const { return checkpoint_; }
    // Rows of the logits: config.vocab_size, which may exceed the tokenizer's ids (padding rows).
    int64_t vocab_size() const { return config_.vocab_size; }
    int64_t head_dim() const { return config_.head_dim; }
    // Whether lm_head is the embedding matrix (tie_word_embeddings, or no lm_head.weight stored).
    bool tied_lm_head() const { return tied_; }
    cpu::WeightFormat weight_format() const { return weights_; }

    // A cache for one sequence of up to `capacity` tokens (at most max_position_embeddings).
    cpu::KvCache new_cache(int64_t capacity) const;

    // Runs every chunk's tokens through the model in one batched pass (the projections and MLP see all
    // tokens of all chunks as one matrix; attention stays within each sequence) and returns each chunk's
    // logits: [tokens, vocab] with all_logits, else [1, vocab] for its last token.
    std::vector<std::vector<float>> forward(ThreadPool& pool, std::span<const Qwen2Chunk> chunks) const;

private:
    struct Layer {
        TensorView input_norm, q, q_bias, k, k_bias, v, v_bias, o, post_attention_norm, gate, up, down;
    };

    Checkpoint checkpoint_;
    Qwen2Config config_;
    TensorView embed_tokens_, final_norm_, lm_head_;
    bool tied_ = false;
    cpu::WeightFormat weights_ = cpu::WeightFormat::Checkpoint;
    std::vector<HugePageBytes> quantized_;  // the Q8_0 matrices (Int8); moving keeps the buffers
    std::vector<Layer> layers_;
    cpu::RopeTable rope_;
};

}  // namespace gavel
