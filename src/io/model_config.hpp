// Typed views of the Hugging Face json files beside a checkpoint: config.json for the three
// supported architectures, generation_config.json and tokenizer_config.json. Fields absent from a
// file take the defaults of the Python class that wrote it; the fields that fix tensor shapes are
// required. Every error names the file and the field.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/dtype.hpp"
#include "core/json.hpp"

namespace gavel {

// Qwen2 / Qwen2.5 decoder (architectures ["Qwen2ForCausalLM"], model_type "qwen2").
// Unsupported variants fail at parse time: hidden_act other than "silu", use_sliding_window
// true, and any rope_scaling other than the default type.
struct Qwen2Config {
    int64_t hidden_size = 0;
    int64_t intermediate_size = 0;
    int64_t num_hidden_layers = 0;
    int64_t num_attention_heads = 0;
    int64_t num_key_value_heads = 0;  // absent: num_attention_heads (plain multi-head attention)
    int64_t head_dim = 0;             // absent: hidden_size / num_attention_heads
    int64_t vocab_size = 0;
    int64_t max_position_embeddings = 32768;
    double rope_theta = 10000.0;
    double rms_norm_eps = 1e-6;
    bool tie_word_embeddings = false;
    std::string hidden_act = "silu";
    std::vector<int64_t> bos_token_ids;  // config files hold an int or a list; empty when null
    std::vector<int64_t> eos_token_ids;
    std::optional<DType> torch_dtype;  // "torch_dtype" (or "dtype" in newer files)

    bool operator==(const Qwen2Config&) const = default;
};

// jina-embeddings-v3: XLM-RoBERTa with rotary positions and LoRA task adapters
// (architectures ["XLMRobertaLoRA"], model_type "xlm-roberta", position_embedding_type "rotary").
// Defaults are those of jina's XLMRobertaFlashConfig.
struct JinaEmbeddingsConfig {
    int64_t vocab_size = 0;
    int64_t hidden_size = 0;
    int64_t num_hidden_layers = 0;
    int64_t num_attention_heads = 0;
    int64_t intermediate_size = 0;
    std::string hidden_act = "gelu";  // exact (erf) GELU; the only one supported
    double layer_norm_eps = 1e-5;
    int64_t max_position_embeddings = 8194;
    double rotary_emb_base = 10000.0;
    int64_t type_vocab_size = 1;
    int64_t pad_token_id = 1;
    int64_t bos_token_id = 0;
    int64_t eos_token_id = 2;
    std::vector<std::string> lora_adaptations;  // task names; index = adapter id
    int64_t lora_rank = 4;
    double lora_alpha = 1.0;
    std::map<std::string, std::string> task_instructions;
    std::vector<int64_t> matryoshka_dimensions;
    std::optional<std::string> emb_pooler;  // null: mean pooling
    std::optional<DType> torch_dtype;

    int64_t head_dim() const { return hidden_size / num_attention_heads; }
    bool operator==(const JinaEmbeddingsConfig&) const = default;
};

// The JinaJudge head (architectures ["JinaJudge"], model_type "jina-judge"). hidden_dim is what
// config.json says, but in the original 4-block model it is a dead field (the decoder runs at the
// encoder width, 1024, with no projection): the real width comes from the tensor shapes
// (decoder_input_embedding [1, 1, D], and projection.weight when present).
struct JinaJudgeConfig {
    int64_t n_classes = 3;
    int64_t nhead = 0;
    int64_t num_decoder_layers = 0;
    std::optional<int64_t> hidden_dim;
    double dropout_prob = 0.1;
    std::optional<DType> torch_dtype;

    bool operator==(const JinaJudgeConfig&) const = default;
};

enum class Architecture { Qwen2, JinaEmbeddings, JinaJudge };
using ModelConfig = std::variant<Qwen2Config, JinaEmbeddingsConfig, JinaJudgeConfig>;

// "Qwen2ForCausalLM", "XLMRobertaLoRA", "JinaJudge": the names config.json uses.
std::string_view architecture_name(Architecture a);
Architecture architecture_of(const ModelConfig& config);
// Decides from "architectures" (else "model_type"); an unsupported one fails listing the
// supported ones.
Architecture detect_architecture(const Json& config, const std::string& where);

Qwen2Config parse_qwen2_config(const Json& json, const std::string& where);
JinaEmbeddingsConfig parse_jina_embeddings_config(const Json& json, const std::string& where);
JinaJudgeConfig parse_jina_judge_config(const Json& json, const std::string& where);
ModelConfig parse_model_config(const Json& json, const std::string& where);
// Reads `path`/config.json (or `path` itself when it is a file).
ModelConfig read_model_config(const std::filesystem::path& path);

// generation_config.json; absent fields take transformers' GenerationConfig defaults.
struct GenerationConfig {
    std::optional<int64_t> bos_token_id;
    std::optional<int64_t> pad_token_id;
    std::vector<int64_t> eos_token_ids;  // any of them stops generation
    bool do_sample = false;
    double temperature = 1.0;
    double top_p = 1.0;
    int64_t top_k = 50;
    std::optional<double> min_p;
    double repetition_penalty = 1.0;
    std::optional<int64_t> max_new_tokens;
    int64_t max_length = 20;  // prompt + new tokens; max_new_tokens wins when both are set

    bool operator==(const GenerationConfig&) const = default;
};
GenerationConfig parse_generation_config(const Json& json, const std::string& where);
// Reads `dir`/generation_config.json; all defaults when the file does not exist.
GenerationConfig read_generation_config(const std::filesystem::path& dir);

// tokenizer_config.json: the parts that affect how text becomes ids.
struct TokenizerConfig {
    // The template apply_chat_template uses: the string, or the one named "default" when the file
    // holds a list of {name, template}.
    std::optional<std::string> chat_template;
    std::map<std::string, std::string> named_chat_templates;  // every entry of such a list
    // Special tokens, given as a string or as an AddedToken object {"content": ...}.
    std::optional<std::string> bos_token, eos_token, pad_token, unk_token;
    std::optional<int64_t> model_max_length;  // nullopt: absent, or transformers' "no limit" 1e30
    std::optional<bool> add_bos_token, add_eos_token;  // nullopt: the tokenizer.json post-processor decides

    bool operator==(const TokenizerConfig&) const = default;
};
TokenizerConfig parse_tokenizer_config(const Json& json, const std::string& where);
// Reads `dir`/tokenizer_config.json (empty config when absent); when it has no chat_template,
// takes the one newer transformers saves beside it (chat_template.jinja or chat_template.json).
TokenizerConfig read_tokenizer_config(const std::filesystem::path& dir);

// PyTorch's dtype spelling in config files ("bfloat16", "float32", ...) and back.
std::optional<DType> dtype_from_torch_name(std::string_view name);
std::string_view torch_dtype_name(DType dtype);

}  // namespace gavel
