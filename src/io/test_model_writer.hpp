// Random-weight test models with the real tensor names, dtypes, shapes and config files of the
// reference judges (Qwen2 / Con-J and JinaJudge), written from a seed. Used by `gavel
// make-model` and directly by C++ tests; nothing large is ever committed.
//
// Weight values are a counter-based stream, reproducible element by element in any language:
//   tensor_seed = mix(seed ^ fnv1a64(tensor name))
//   z_i         = mix(tensor_seed + (i + 1) * 0x9E3779B97F4A7C15)      (i = flat element index)
//   u_i         = (z_i >> 40) * 2^-24                                  (uniform in [0, 1))
//   value_i     = center + half_width * (2 * u_i - 1), then rounded to the tensor's dtype
// where mix is splitmix64's finaliser. Uniform rather than normal so no libm enters the result;
// half_width = 0.02 * sqrt(3) gives HF's init std of 0.02 (see WeightInit for each kind).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/dtype.hpp"
#include "io/model_config.hpp"
#include "io/safetensors_writer.hpp"

namespace gavel {

struct WeightInit {
    float center = 0.0f;
    float half_width = 0.0f;
};
// Linear weights, embeddings, biases and LoRA factors: std 0.02 around 0.
inline constexpr WeightInit kWeightInit{0.0f, 0.034641016f};
// RMSNorm / LayerNorm scales: 1 +- 0.1.
inline constexpr WeightInit kNormScaleInit{1.0f, 0.1f};
// JinaJudge's learned query, initialised N(0, 1) in training: std 1.
inline constexpr WeightInit kUnitInit{0.0f, 1.7320508f};

uint64_t test_tensor_seed(uint64_t seed, std::string_view tensor_name);
float test_weight_value(uint64_t tensor_seed, uint64_t index, WeightInit init);

enum class TestFill {
    Random,  // the stream above
    Zeros,   // header only, data left as a sparse hole: full-size shapes at no disk or time cost
};

// A JinaJudge: jina-embeddings-v3 encoder (the `encoder.` tensors, in `dtype`) plus the decoder
// head (always F32, as in the original).
struct JinaJudgeTestShape {
    JinaEmbeddingsConfig encoder;
    JinaJudgeConfig judge;  // written to config.json as is (hidden_dim included, dead or not)
    // Decoder width: equal to encoder.hidden_size gives the original layout (no projection, head
    // as classification_head.0.*); smaller gives the later one (projection.* 1024 -> width,
    // classification_head.*).
    int64_t decoder_width = 0;
    int64_t decoder_ffn = 0;  // dim_feedforward of each decoder layer
};

struct TestModelSpec {
    std::variant<Qwen2Config, JinaJudgeTestShape> shape;
    uint64_t seed = 0;
    DType dtype = DType::BF16;  // Qwen2 weights; the judge's encoder
    TestFill fill = TestFill::Random;
    std::optional<std::filesystem::path> tokenizer_json;  // copied beside the config when given
    uint64_t max_shard_bytes = 5'000'000'000;             // save_pretrained's default cap
};

// Presets. qwen2: "tiny" (real vocab 151936 so the real tokenizer works; hidden 64, 2 layers,
// 4 heads, 2 kv heads, intermediate 160, untied), "0.5b" (Qwen2-0.5B-Instruct: tied embeddings,
// 494,032,768 parameters), "7b" (Con-J-Qwen2-7B exactly: 7,615,616,512 parameters, 4 shards like
// the real one). jina-judge: "tiny" (real vocab 250002; encoder hidden 64, 2 layers, 4 heads,
// intermediate 128, rank-4 LoRA x 5 tasks; decoder at width 64, 4 heads, 2 layers),
// "full" (the original 4-block judge: 614,323,071 parameters), "full-512" (the later 5-block,
// 512-wide variant with projection: 588,609,407). Unknown names fail listing the known ones.
TestModelSpec qwen2_test_spec(std::string_view size);
TestModelSpec jina_judge_test_spec(std::string_view size);

// The checkpoint's tensors in state-dict order, with their value generators.
std::vector<TensorToWrite> test_model_tensors(const TestModelSpec& spec);

// Writes config.json, the weights (model.safetensors, or shards + index past max_shard_bytes)
// and, per architecture: qwen2 generation_config.json + tokenizer_config.json (Qwen2 chat
// template) [+ tokenizer.json]; jina-judge encoder/config.json + encoder/tokenizer_config.json
// [+ encoder/tokenizer.json]. Every file is written atomically. Returns the files written,
// relative to `dir`.
std::vector<std::string> write_test_model(const TestModelSpec& spec, const std::filesystem::path& dir);

}  // namespace gavel
