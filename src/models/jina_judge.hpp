// JinaJudge (kaleinaNyan/jina-v3-rullmarena-judge, spec §2.2–2.4): the jina-embeddings-v3 encoder
// followed by a learned query, post-norm nn.TransformerDecoder layers that cross-attend to the
// encoder states, and a linear classifier over {A>B, A=B, B>A}.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

#include "core/tensor.hpp"
#include "core/thread_pool.hpp"
#include "io/model_config.hpp"
#include "models/xlm_roberta.hpp"

namespace gavel {

class Checkpoint;

// One nn.TransformerDecoderLayer (norm_first=False, ReLU), PyTorch's parameter layout.
struct JinaJudgeHeadLayerWeights {
    TensorView self_in_weight, self_in_bias, self_out_weight, self_out_bias;    // self_attn
    TensorView cross_in_weight, cross_in_bias, cross_out_weight, cross_out_bias;  // multihead_attn
    TensorView linear1_weight, linear1_bias, linear2_weight, linear2_bias;
    TensorView norm1_weight, norm1_bias, norm2_weight, norm2_bias, norm3_weight, norm3_bias;
};

struct JinaJudgeHeadWeights {
    TensorView query;                                  // decoder_input_embedding [1, 1, d_model]
    std::optional<TensorView> projection_weight, projection_bias;  // 512-wide variants: encoder -> d_model
    std::vector<JinaJudgeHeadLayerWeights> layers;
    TensorView classifier_weight, classifier_bias;    // [n_classes, d_model], [n_classes]
};

struct JinaJudgeHeadHyperparams {
    int64_t memory_dim = 0;   // encoder hidden size
    int64_t d_model = 0;      // memory_dim, or the projection's width
    int64_t num_heads = 0, ffn_dim = 0, num_layers = 0, num_classes = 3;
    float layer_norm_eps = 1e-5f;
};

class JinaJudgeHead {
public:
    // Finds the head's tensors by suffix and asserts their shapes. `num_heads` comes from the
    // judge's config.json (nhead); everything else is read off the tensor shapes, so both the
    // 4-block 1024-wide target and the 5-block 512-wide variants load.
    static JinaJudgeHead load(const Checkpoint& checkpoint, int64_t memory_dim, int64_t num_heads,
                              int64_t num_layers, int64_t num_classes);

    JinaJudgeHead(JinaJudgeHeadHyperparams hp, JinaJudgeHeadWeights weights);
    const JinaJudgeHeadHyperparams& hyperparams() const { return hp_; }

    // Logits [batch, num_classes] from encoder states `memory` [batch, seq_len, memory_dim] (f32)
    // with key-padding mask [batch, seq_len] (1 = token).
    std::vector<float> logits(ThreadPool& pool, const float* memory, const uint8_t* mask, int64_t batch,
                              int64_t seq_len) const;

private:
    JinaJudgeHeadHyperparams hp_;
    JinaJudgeHeadWeights w_;
};

// The whole classifier: token ids in, three logits per sequence out.
class JinaJudgeModel {
public:
    // Both parts from the judge's model.safetensors (encoder tensors under any prefix, "encoder."
    // in the released file); the encoder's shapes from jina-embeddings-v3's config.json. The
    // judge uses the encoder without a task adapter (spec §2.2 step 3): leave options.task empty.
    static JinaJudgeModel load(const Checkpoint& judge, const JinaJudgeConfig& config,
                               const JinaEmbeddingsConfig& encoder_config,
                               const XlmRobertaEncoder::LoadOptions& encoder_options = {});

    JinaJudgeModel(XlmRobertaEncoder encoder, JinaJudgeHead head);

    const XlmRobertaEncoder& encoder() const { return encoder_; }
    const JinaJudgeHead& head() const { return head_; }

    // Logits [A>B, A=B, B>A] for every sequence of the batch.
    std::vector<std::array<float, 3>> classify(ThreadPool& pool, const TokenBatch& batch) const;

private:
    XlmRobertaEncoder encoder_;
    JinaJudgeHead head_;
};

// Where a JinaJudge's encoder config.json and tokenizer.json are (they come from the
// jina-embeddings-v3 repository, not the judge's): in `encoder_dir` (--encoder) when given, else
// beside the judge: judge_dir/encoder/ (as gavel make-model writes them) or, for tokenizer.json,
// judge_dir itself. A file not found is nullopt: the caller then resolves jinaai/jina-embeddings-v3
// (cli::kDefaultJinaEncoder) and asks again with it as encoder_dir.
struct JinaEncoderFiles {
    std::optional<std::filesystem::path> config, tokenizer;
};
JinaEncoderFiles find_jina_encoder_files(const std::filesystem::path& judge_dir,
                                         const std::optional<std::filesystem::path>& encoder_dir);

}  // namespace gavel
