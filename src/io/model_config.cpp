#include "io/model_config.hpp"

#include <array>
#include <fstream>
#include <iterator>

#include <fmt/ranges.h>

#include "core/error.hpp"
#include "io/json_unique_keys.hpp"

namespace gavel {

namespace {

constexpr std::array<std::pair<std::string_view, DType>, 12> kTorchDTypes{{
    {"float64", DType::F64}, {"float32", DType::F32}, {"float16", DType::F16}, {"bfloat16", DType::BF16},
    {"float8_e4m3fn", DType::F8_E4M3}, {"float8_e5m2", DType::F8_E5M2}, {"int64", DType::I64},
    {"int32", DType::I32}, {"int16", DType::I16}, {"int8", DType::I8}, {"uint8", DType::U8}, {"bool", DType::BOOL},
}};

constexpr std::string_view kSupported =
    "Qwen2ForCausalLM (Qwen2, Qwen2.5), XLMRobertaLoRA (jina-embeddings-v3), JinaJudge";

int64_t require_positive(const Json& json, std::string_view key, const std::string& where) {
    int64_t v = require_int(json, key, where);
    if (v <= 0) fail("{}: field '{}' must be positive, got {}", where, key, v);
    return v;
}

int64_t optional_positive(const Json& json, std::string_view key, int64_t fallback, const std::string& where) {
    int64_t v = optional_int(json, key, fallback, where);
    if (v <= 0) fail("{}: field '{}' must be positive, got {}", where, key, v);
    return v;
}

double optional_positive_number(const Json& json, std::string_view key, double fallback, const std::string& where) {
    double v = optional_number(json, key, fallback, where);
    if (!(v > 0)) fail("{}: field '{}' must be positive, got {}", where, key, v);
    return v;
}

const Json* present(const Json& json, std::string_view key) {
    auto it = json.find(key);
    return it == json.end() || it->is_null() ? nullptr : &*it;
}

// An id field that config files write as an int or a list of ints; null or absent -> empty.
std::vector<int64_t> token_ids(const Json& json, std::string_view key, const std::string& where) {
    const Json* v = present(json, key);
    if (!v) return {};
    if (v->is_number_integer()) return {v->get<int64_t>()};
    std::vector<int64_t> ids;
    if (v->is_array()) {
        for (const Json& id : *v) {
            if (!id.is_number_integer()) fail("{}: field '{}' must hold integer token ids, got {}", where, key, json_excerpt(id));
            ids.push_back(id.get<int64_t>());
        }
        return ids;
    }
    fail("{}: field '{}' must be a token id or a list of them, got {}", where, key, json_excerpt(*v));
}

std::optional<int64_t> optional_token_id(const Json& json, std::string_view key, const std::string& where) {
    const Json* v = present(json, key);
    if (!v) return std::nullopt;
    if (!v->is_number_integer()) fail("{}: field '{}' must be a token id, got {}", where, key, json_excerpt(*v));
    return v->get<int64_t>();
}

std::optional<DType> torch_dtype(const Json& json, const std::string& where) {
    for (std::string_view key : {"torch_dtype", "dtype"}) {
        const Json* v = present(json, key);
        if (!v) continue;
        if (!v->is_string()) fail("{}: field '{}' must be a string, got {}", where, key, json_excerpt(*v));
        std::string name = v->get<std::string>();
        if (name == "auto") return std::nullopt;
        auto dtype = dtype_from_torch_name(name);
        if (!dtype) fail("{}: field '{}' is \"{}\", not a known torch dtype", where, key, name);
        return dtype;
    }
    return std::nullopt;
}

void require_choice(const Json& json, std::string_view key, std::string_view fallback, std::string_view supported,
                    const std::string& where, std::string& out) {
    out = optional_string(json, key, fallback, where);
    if (out != supported)
        fail("{}: field '{}' is \"{}\"; only \"{}\" is supported", where, key, out, supported);
}

// A plain-RoPE check: rope_scaling (and v5's rope_parameters) may only name the default type.
void check_plain_rope(const Json& json, const std::string& where) {
    for (std::string_view key : {"rope_scaling", "rope_parameters"}) {
        const Json* v = present(json, key);
        if (!v) continue;
        if (!v->is_object()) fail("{}: field '{}' must be an object, got {}", where, key, json_excerpt(*v));
        std::string type = optional_string(*v, "rope_type", optional_string(*v, "type", "default", where), where);
        if (type != "default")
            fail("{}: field '{}' selects rope type \"{}\", which is not supported (only plain RoPE)", where, key, type);
    }
}

std::vector<std::string> string_list(const Json& json, std::string_view key, const std::string& where) {
    const Json* v = present(json, key);
    std::vector<std::string> out;
    if (!v) return out;
    if (!v->is_array()) fail("{}: field '{}' must be a list of strings, got {}", where, key, json_excerpt(*v));
    for (const Json& s : *v) {
        if (!s.is_string()) fail("{}: field '{}' must be a list of strings, got an entry {}", where, key, json_excerpt(s));
        out.push_back(s.get<std::string>());
    }
    return out;
}

// A special token written as "<s>" or as {"content": "<s>", ...} (AddedToken); null -> nullopt.
std::optional<std::string> special_token(const Json& json, std::string_view key, const std::string& where) {
    const Json* v = present(json, key);
    if (!v) return std::nullopt;
    if (v->is_string()) return v->get<std::string>();
    if (v->is_object()) return require_string(*v, "content", fmt::format("{}: field '{}'", where, key));
    fail("{}: field '{}' must be a string or an object with \"content\", got {}", where, key, json_excerpt(*v));
}

std::optional<bool> optional_flag(const Json& json, std::string_view key, const std::string& where) {
    if (!present(json, key)) return std::nullopt;
    return optional_bool(json, key, false, where);
}

}  // namespace

std::optional<DType> dtype_from_torch_name(std::string_view name) {
    for (const auto& [torch_name, dtype] : kTorchDTypes)
        if (torch_name == name) return dtype;
    return std::nullopt;
}

std::string_view torch_dtype_name(DType dtype) {
    for (const auto& [torch_name, d] : kTorchDTypes)
        if (d == dtype) return torch_name;
    return "unknown";
}

std::string_view architecture_name(Architecture a) {
    switch (a) {
        case Architecture::Qwen2: return "Qwen2ForCausalLM";
        case Architecture::JinaEmbeddings: return "XLMRobertaLoRA";
        case Architecture::JinaJudge: return "JinaJudge";
    }
    return "unknown";
}

Architecture architecture_of(const ModelConfig& config) { return Architecture(config.index()); }

Architecture detect_architecture(const Json& config, const std::string& where) {
    if (!config.is_object()) fail("{}: expected a JSON object, got {}", where, json_excerpt(config));
    std::vector<std::string> architectures = string_list(config, "architectures", where);
    for (const auto& a : architectures) {
        if (a == "Qwen2ForCausalLM") return Architecture::Qwen2;
        if (a == "XLMRobertaLoRA") return Architecture::JinaEmbeddings;
        if (a == "JinaJudge") return Architecture::JinaJudge;
    }
    std::string model_type = optional_string(config, "model_type", "", where);
    if (architectures.empty()) {
        if (model_type == "qwen2") return Architecture::Qwen2;
        if (model_type == "jina-judge") return Architecture::JinaJudge;
        if (model_type == "xlm-roberta") {
            std::string positions = optional_string(config, "position_embedding_type", "absolute", where);
            if (positions == "rotary") return Architecture::JinaEmbeddings;
            fail("{}: model_type \"xlm-roberta\" with position_embedding_type \"{}\" is plain XLM-RoBERTa, which is "
                 "not supported; supported: {}",
                 where, positions, kSupported);
        }
    }
    std::string named = architectures.empty() ? "none given" : fmt::format("'{}'", fmt::join(architectures, "', '"));
    fail("{}: unsupported architecture {} (model_type \"{}\"); supported: {}", where, named, model_type, kSupported);
}

Qwen2Config parse_qwen2_config(const Json& json, const std::string& where) {
    if (!json.is_object()) fail("{}: expected a JSON object, got {}", where, json_excerpt(json));
    Qwen2Config c;
    c.hidden_size = require_positive(json, "hidden_size", where);
    c.intermediate_size = require_positive(json, "intermediate_size", where);
    c.num_hidden_layers = require_positive(json, "num_hidden_layers", where);
    c.num_attention_heads = require_positive(json, "num_attention_heads", where);
    c.num_key_value_heads = optional_positive(json, "num_key_value_heads", c.num_attention_heads, where);
    c.vocab_size = require_positive(json, "vocab_size", where);
    if (present(json, "head_dim")) {
        c.head_dim = optional_positive(json, "head_dim", 0, where);
    } else {
        if (c.hidden_size % c.num_attention_heads != 0)
            fail("{}: hidden_size {} is not a multiple of num_attention_heads {} (and no head_dim is given)", where,
                 c.hidden_size, c.num_attention_heads);
        c.head_dim = c.hidden_size / c.num_attention_heads;
    }
    if (c.num_attention_heads % c.num_key_value_heads != 0)
        fail("{}: num_attention_heads {} is not a multiple of num_key_value_heads {}", where, c.num_attention_heads,
             c.num_key_value_heads);
    c.max_position_embeddings = optional_positive(json, "max_position_embeddings", c.max_position_embeddings, where);
    check_plain_rope(json, where);
    double theta = c.rope_theta;
    if (const Json* p = present(json, "rope_parameters")) theta = optional_number(*p, "rope_theta", theta, where + ": field 'rope_parameters'");
    c.rope_theta = optional_positive_number(json, "rope_theta", theta, where);
    c.rms_norm_eps = optional_positive_number(json, "rms_norm_eps", c.rms_norm_eps, where);
    c.tie_word_embeddings = optional_bool(json, "tie_word_embeddings", false, where);
    require_choice(json, "hidden_act", "silu", "silu", where, c.hidden_act);
    if (optional_bool(json, "use_sliding_window", false, where))
        fail("{}: field 'use_sliding_window' is true: sliding-window attention is not supported", where);
    c.bos_token_ids = token_ids(json, "bos_token_id", where);
    c.eos_token_ids = token_ids(json, "eos_token_id", where);
    c.torch_dtype = torch_dtype(json, where);
    return c;
}

JinaEmbeddingsConfig parse_jina_embeddings_config(const Json& json, const std::string& where) {
    if (!json.is_object()) fail("{}: expected a JSON object, got {}", where, json_excerpt(json));
    JinaEmbeddingsConfig c;
    c.vocab_size = require_positive(json, "vocab_size", where);
    c.hidden_size = require_positive(json, "hidden_size", where);
    c.num_hidden_layers = require_positive(json, "num_hidden_layers", where);
    c.num_attention_heads = require_positive(json, "num_attention_heads", where);
    c.intermediate_size = require_positive(json, "intermediate_size", where);
    if (c.hidden_size % c.num_attention_heads != 0)
        fail("{}: hidden_size {} is not a multiple of num_attention_heads {}", where, c.hidden_size,
             c.num_attention_heads);
    require_choice(json, "hidden_act", "gelu", "gelu", where, c.hidden_act);
    std::string positions;
    require_choice(json, "position_embedding_type", "rotary", "rotary", where, positions);
    c.layer_norm_eps = optional_positive_number(json, "layer_norm_eps", c.layer_norm_eps, where);
    c.max_position_embeddings = optional_positive(json, "max_position_embeddings", c.max_position_embeddings, where);
    c.rotary_emb_base = optional_positive_number(json, "rotary_emb_base", c.rotary_emb_base, where);
    c.type_vocab_size = optional_positive(json, "type_vocab_size", c.type_vocab_size, where);
    c.pad_token_id = optional_int(json, "pad_token_id", c.pad_token_id, where);
    c.bos_token_id = optional_int(json, "bos_token_id", c.bos_token_id, where);
    c.eos_token_id = optional_int(json, "eos_token_id", c.eos_token_id, where);
    c.lora_adaptations = string_list(json, "lora_adaptations", where);
    c.lora_rank = optional_positive(json, "lora_rank", c.lora_rank, where);
    c.lora_alpha = optional_number(json, "lora_alpha", c.lora_alpha, where);
    if (const Json* t = present(json, "task_instructions")) {
        if (!t->is_object()) fail("{}: field 'task_instructions' must be an object, got {}", where, json_excerpt(*t));
        for (const auto& [task, text] : t->items()) {
            if (!text.is_string())
                fail("{}: field 'task_instructions': task '{}' must map to a string, got {}", where, task,
                     json_excerpt(text));
            c.task_instructions[task] = text.get<std::string>();
        }
    }
    c.matryoshka_dimensions = token_ids(json, "matryoshka_dimensions", where);
    if (present(json, "emb_pooler")) c.emb_pooler = optional_string(json, "emb_pooler", "", where);
    c.torch_dtype = torch_dtype(json, where);
    return c;
}

JinaJudgeConfig parse_jina_judge_config(const Json& json, const std::string& where) {
    if (!json.is_object()) fail("{}: expected a JSON object, got {}", where, json_excerpt(json));
    JinaJudgeConfig c;
    c.n_classes = optional_positive(json, "n_classes", c.n_classes, where);
    c.nhead = require_positive(json, "nhead", where);
    c.num_decoder_layers = require_positive(json, "num_decoder_layers", where);
    if (present(json, "hidden_dim")) c.hidden_dim = optional_positive(json, "hidden_dim", 0, where);
    c.dropout_prob = optional_number(json, "dropout_prob", c.dropout_prob, where);
    if (c.dropout_prob < 0 || c.dropout_prob >= 1)
        fail("{}: field 'dropout_prob' must be in [0, 1), got {}", where, c.dropout_prob);
    c.torch_dtype = torch_dtype(json, where);
    return c;
}

ModelConfig parse_model_config(const Json& json, const std::string& where) {
    switch (detect_architecture(json, where)) {
        case Architecture::Qwen2: return parse_qwen2_config(json, where);
        case Architecture::JinaEmbeddings: return parse_jina_embeddings_config(json, where);
        case Architecture::JinaJudge: return parse_jina_judge_config(json, where);
    }
    fail("{}: unreachable architecture", where);
}

ModelConfig read_model_config(const std::filesystem::path& path) {
    std::error_code ec;
    std::filesystem::path file = std::filesystem::is_directory(path, ec) ? path / "config.json" : path;
    return parse_model_config(read_json_file(file.string()), file.string());
}

GenerationConfig parse_generation_config(const Json& json, const std::string& where) {
    if (!json.is_object()) fail("{}: expected a JSON object, got {}", where, json_excerpt(json));
    GenerationConfig g;
    g.bos_token_id = optional_token_id(json, "bos_token_id", where);
    g.pad_token_id = optional_token_id(json, "pad_token_id", where);
    g.eos_token_ids = token_ids(json, "eos_token_id", where);
    g.do_sample = optional_bool(json, "do_sample", g.do_sample, where);
    g.temperature = optional_number(json, "temperature", g.temperature, where);
    if (g.temperature < 0) fail("{}: field 'temperature' must not be negative, got {}", where, g.temperature);
    g.top_p = optional_number(json, "top_p", g.top_p, where);
    if (!(g.top_p > 0 && g.top_p <= 1)) fail("{}: field 'top_p' must be in (0, 1], got {}", where, g.top_p);
    g.top_k = optional_int(json, "top_k", g.top_k, where);
    if (g.top_k < 0) fail("{}: field 'top_k' must not be negative, got {}", where, g.top_k);
    if (present(json, "min_p")) {
        g.min_p = optional_number(json, "min_p", 0, where);
        if (*g.min_p < 0 || *g.min_p > 1) fail("{}: field 'min_p' must be in [0, 1], got {}", where, *g.min_p);
    }
    g.repetition_penalty = optional_positive_number(json, "repetition_penalty", g.repetition_penalty, where);
    if (present(json, "max_new_tokens")) g.max_new_tokens = optional_positive(json, "max_new_tokens", 1, where);
    g.max_length = optional_positive(json, "max_length", g.max_length, where);
    return g;
}

GenerationConfig read_generation_config(const std::filesystem::path& dir) {
    std::filesystem::path file = dir / "generation_config.json";
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) return {};
    return parse_generation_config(read_json_file(file.string()), file.string());
}

TokenizerConfig parse_tokenizer_config(const Json& json, const std::string& where) {
    if (!json.is_object()) fail("{}: expected a JSON object, got {}", where, json_excerpt(json));
    TokenizerConfig t;
    if (const Json* tpl = present(json, "chat_template")) {
        if (tpl->is_string()) {
            t.chat_template = tpl->get<std::string>();
        } else if (tpl->is_array()) {
            for (const Json& entry : *tpl) {
                std::string entry_where = where + ": field 'chat_template'";
                t.named_chat_templates[require_string(entry, "name", entry_where)] =
                    require_string(entry, "template", entry_where);
            }
            if (auto it = t.named_chat_templates.find("default"); it != t.named_chat_templates.end())
                t.chat_template = it->second;
        } else {
            fail("{}: field 'chat_template' must be a string or a list of {{name, template}}, got {}", where,
                 json_excerpt(*tpl));
        }
    }
    t.bos_token = special_token(json, "bos_token", where);
    t.eos_token = special_token(json, "eos_token", where);
    t.pad_token = special_token(json, "pad_token", where);
    t.unk_token = special_token(json, "unk_token", where);
    if (const Json* m = present(json, "model_max_length")) {
        // transformers writes int(1e30) for "no limit"; it arrives as a float too large for int64.
        if (m->is_number_integer() && m->get<int64_t>() > 0) {
            t.model_max_length = m->get<int64_t>();
        } else if (m->is_number_float() && m->get<double>() >= 1e18) {
            t.model_max_length = std::nullopt;
        } else {
            fail("{}: field 'model_max_length' must be a positive integer, got {}", where, json_excerpt(*m));
        }
    }
    t.add_bos_token = optional_flag(json, "add_bos_token", where);
    t.add_eos_token = optional_flag(json, "add_eos_token", where);
    return t;
}

TokenizerConfig read_tokenizer_config(const std::filesystem::path& dir) {
    std::error_code ec;
    TokenizerConfig t;
    std::filesystem::path file = dir / "tokenizer_config.json";
    if (std::filesystem::exists(file, ec)) t = parse_tokenizer_config(read_json_file(file.string()), file.string());
    if (t.chat_template) return t;
    if (std::filesystem::path jinja = dir / "chat_template.jinja"; std::filesystem::exists(jinja, ec)) {
        std::ifstream in(jinja, std::ios::binary);
        if (!in) fail("{}: cannot open", jinja.string());
        t.chat_template = std::string(std::istreambuf_iterator<char>(in), {});
    } else if (std::filesystem::path json = dir / "chat_template.json"; std::filesystem::exists(json, ec)) {
        Json tpl = read_json_file(json.string());
        t.chat_template = require_string(tpl, "chat_template", json.string());
    }
    return t;
}

}  // namespace gavel
