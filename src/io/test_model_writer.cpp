#include "io/test_model_writer.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>

#include "core/error.hpp"
#include "core/json.hpp"
#include "io/atomic_file.hpp"

namespace gavel {

namespace {

uint64_t mix64(uint64_t z) {  // splitmix64's finaliser
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

constexpr std::string_view kQwen2ChatTemplate =
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou "
    "are a helpful assistant.<|im_end|>\\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + "
    "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ "
    "'<|im_start|>assistant\\n' }}{% endif %}";

constexpr const char* kJinaTasks[] = {"retrieval.query", "retrieval.passage", "separation", "classification",
                                      "text-matching"};

// Collects a checkpoint's tensors in order, each with its generator (or none, for zeros).
class TensorList {
public:
    TensorList(const TestModelSpec& spec) : spec_(spec) {}

    void add(std::string name, DType dtype, std::vector<int64_t> shape, WeightInit init) {
        TensorToWrite t{std::move(name), dtype, std::move(shape), {}};
        if (spec_.fill == TestFill::Random) {
            uint64_t tensor_seed = test_tensor_seed(spec_.seed, t.name);
            size_t element = dtype_size(dtype);
            t.produce = [tensor_seed, dtype, element, init](uint8_t* out, uint64_t offset, size_t nbytes) {
                constexpr size_t kBatch = 1 << 14;
                std::vector<float> values(std::min(kBatch, nbytes / element));
                uint64_t index = offset / element;
                for (size_t done = 0; done < nbytes;) {
                    size_t n = std::min(values.size(), (nbytes - done) / element);
                    for (size_t k = 0; k < n; ++k) values[k] = test_weight_value(tensor_seed, index + k, init);
                    encode_floats({values.data(), n}, dtype, out + done);
                    index += n;
                    done += n * element;
                }
            };
        }
        tensors_.push_back(std::move(t));
    }
    std::vector<TensorToWrite> take() { return std::move(tensors_); }

private:
    const TestModelSpec& spec_;
    std::vector<TensorToWrite> tensors_;
};

void add_qwen2_tensors(const Qwen2Config& c, DType dtype, TensorList& list) {
    const int64_t D = c.hidden_size, F = c.intermediate_size, q = c.num_attention_heads * c.head_dim,
                  kv = c.num_key_value_heads * c.head_dim;
    list.add("model.embed_tokens.weight", dtype, {c.vocab_size, D}, kWeightInit);
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
        std::string p = fmt::format("model.layers.{}.", i);
        list.add(p + "self_attn.q_proj.weight", dtype, {q, D}, kWeightInit);
        list.add(p + "self_attn.q_proj.bias", dtype, {q}, kWeightInit);
        list.add(p + "self_attn.k_proj.weight", dtype, {kv, D}, kWeightInit);
        list.add(p + "self_attn.k_proj.bias", dtype, {kv}, kWeightInit);
        list.add(p + "self_attn.v_proj.weight", dtype, {kv, D}, kWeightInit);
        list.add(p + "self_attn.v_proj.bias", dtype, {kv}, kWeightInit);
        list.add(p + "self_attn.o_proj.weight", dtype, {D, q}, kWeightInit);
        list.add(p + "mlp.gate_proj.weight", dtype, {F, D}, kWeightInit);
        list.add(p + "mlp.up_proj.weight", dtype, {F, D}, kWeightInit);
        list.add(p + "mlp.down_proj.weight", dtype, {D, F}, kWeightInit);
        list.add(p + "input_layernorm.weight", dtype, {D}, kNormScaleInit);
        list.add(p + "post_attention_layernorm.weight", dtype, {D}, kNormScaleInit);
    }
    list.add("model.norm.weight", dtype, {D}, kNormScaleInit);
    // save_pretrained drops the tied head: it is the embedding.
    if (!c.tie_word_embeddings) list.add("lm_head.weight", dtype, {c.vocab_size, D}, kWeightInit);
}

// jina's LoRA parametrisation: the base weight moves to ...parametrizations.weight.original and
// every task gets a rank-r pair (spec §2.4.2 / §2.5.3 for the shapes).
void add_lora_linear(const std::string& prefix, int64_t out, int64_t in, const JinaEmbeddingsConfig& c, DType dtype,
                     TensorList& list) {
    const int64_t tasks = int64_t(c.lora_adaptations.size()), r = c.lora_rank;
    list.add(prefix + ".parametrizations.weight.original", dtype, {out, in}, kWeightInit);
    list.add(prefix + ".bias", dtype, {out}, kWeightInit);
    if (tasks == 0) return;
    list.add(prefix + ".parametrizations.weight.0.lora_A", dtype, {tasks, r, in}, kWeightInit);
    list.add(prefix + ".parametrizations.weight.0.lora_B", dtype, {tasks, out, r}, kWeightInit);
}

void add_lora_embedding(const std::string& prefix, int64_t rows, int64_t dim, const JinaEmbeddingsConfig& c,
                        DType dtype, TensorList& list) {
    const int64_t tasks = int64_t(c.lora_adaptations.size()), r = c.lora_rank;
    list.add(prefix + ".parametrizations.weight.original", dtype, {rows, dim}, kWeightInit);
    if (tasks == 0) return;
    list.add(prefix + ".parametrizations.weight.0.lora_A", dtype, {tasks, rows, r}, kWeightInit);
    list.add(prefix + ".parametrizations.weight.0.lora_B", dtype, {tasks, r, dim}, kWeightInit);
}

void add_layer_norm(const std::string& prefix, int64_t dim, DType dtype, TensorList& list) {
    list.add(prefix + ".weight", dtype, {dim}, kNormScaleInit);
    list.add(prefix + ".bias", dtype, {dim}, kWeightInit);
}

void add_jina_encoder_tensors(const std::string& prefix, const JinaEmbeddingsConfig& c, DType dtype, TensorList& list) {
    const int64_t D = c.hidden_size, F = c.intermediate_size;
    const std::string r = prefix + "roberta.";
    add_lora_embedding(r + "embeddings.word_embeddings", c.vocab_size, D, c, dtype, list);
    add_lora_embedding(r + "embeddings.token_type_embeddings", c.type_vocab_size, D, c, dtype, list);
    add_layer_norm(r + "emb_ln", D, dtype, list);
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
        std::string p = fmt::format("{}encoder.layers.{}.", r, i);
        add_lora_linear(p + "mixer.Wqkv", 3 * D, D, c, dtype, list);
        add_lora_linear(p + "mixer.out_proj", D, D, c, dtype, list);
        add_layer_norm(p + "norm1", D, dtype, list);
        add_lora_linear(p + "mlp.fc1", F, D, c, dtype, list);
        add_lora_linear(p + "mlp.fc2", D, F, c, dtype, list);
        add_layer_norm(p + "norm2", D, dtype, list);
    }
    add_lora_linear(r + "pooler.dense", D, D, c, dtype, list);
}

// nn.TransformerDecoderLayer parameters (post-norm; self-attention, cross-attention, FFN), F32.
void add_judge_head_tensors(const JinaJudgeTestShape& s, TensorList& list) {
    const DType f32 = DType::F32;
    const int64_t D = s.decoder_width, F = s.decoder_ffn, E = s.encoder.hidden_size, C = s.judge.n_classes;
    const bool projected = D != E;
    if (projected) {
        list.add("projection.weight", f32, {D, E}, kWeightInit);
        list.add("projection.bias", f32, {D}, kWeightInit);
    }
    list.add("decoder_input_embedding", f32, {1, 1, D}, kUnitInit);
    for (int64_t i = 0; i < s.judge.num_decoder_layers; ++i) {
        std::string p = fmt::format("decoder.layers.{}.", i);
        for (const char* attention : {"self_attn", "multihead_attn"}) {
            list.add(p + attention + ".in_proj_weight", f32, {3 * D, D}, kWeightInit);
            list.add(p + attention + ".in_proj_bias", f32, {3 * D}, kWeightInit);
            list.add(p + attention + ".out_proj.weight", f32, {D, D}, kWeightInit);
            list.add(p + attention + ".out_proj.bias", f32, {D}, kWeightInit);
        }
        list.add(p + "linear1.weight", f32, {F, D}, kWeightInit);
        list.add(p + "linear1.bias", f32, {F}, kWeightInit);
        list.add(p + "linear2.weight", f32, {D, F}, kWeightInit);
        list.add(p + "linear2.bias", f32, {D}, kWeightInit);
        for (const char* norm : {"norm1", "norm2", "norm3"}) add_layer_norm(p + norm, D, f32, list);
    }
    // The original wraps the head in nn.Sequential; the later variants use a bare Linear.
    std::string head = projected ? "classification_head." : "classification_head.0.";
    list.add(head + "weight", f32, {C, D}, kWeightInit);
    list.add(head + "bias", f32, {C}, kWeightInit);
}

Json ids_json(const std::vector<int64_t>& ids) {
    if (ids.empty()) return nullptr;
    if (ids.size() == 1) return ids[0];
    return ids;
}

Json qwen2_config_json(const Qwen2Config& c, DType dtype) {
    Json j = {{"architectures", {"Qwen2ForCausalLM"}},
              {"attention_dropout", 0.0},
              {"bos_token_id", ids_json(c.bos_token_ids)},
              {"eos_token_id", ids_json(c.eos_token_ids)},
              {"hidden_act", c.hidden_act},
              {"hidden_size", c.hidden_size},
              {"initializer_range", 0.02},
              {"intermediate_size", c.intermediate_size},
              {"max_position_embeddings", c.max_position_embeddings},
              {"max_window_layers", c.num_hidden_layers},
              {"model_type", "qwen2"},
              {"num_attention_heads", c.num_attention_heads},
              {"num_hidden_layers", c.num_hidden_layers},
              {"num_key_value_heads", c.num_key_value_heads},
              {"rms_norm_eps", c.rms_norm_eps},
              {"rope_theta", c.rope_theta},
              {"sliding_window", nullptr},
              {"tie_word_embeddings", c.tie_word_embeddings},
              {"torch_dtype", std::string(torch_dtype_name(dtype))},
              {"transformers_version", "4.44.2"},
              {"use_cache", true},
              {"use_sliding_window", false},
              {"vocab_size", c.vocab_size}};
    if (c.head_dim * c.num_attention_heads != c.hidden_size) j["head_dim"] = c.head_dim;
    return j;
}

// spec §1.7: the generation defaults Qwen2-7B-Instruct (and so Con-J) ship.
Json qwen2_generation_config_json() {
    return {{"bos_token_id", 151643}, {"do_sample", true},       {"eos_token_id", {151645, 151643}},
            {"pad_token_id", 151643}, {"repetition_penalty", 1.05}, {"temperature", 0.7},
            {"top_k", 20},            {"top_p", 0.8},            {"transformers_version", "4.44.2"}};
}

Json qwen2_tokenizer_config_json() {
    auto special = [](const char* content) {
        return Json{{"content", content}, {"lstrip", false}, {"normalized", false},
                    {"rstrip", false},    {"single_word", false}, {"special", true}};
    };
    return {{"add_prefix_space", false},
            {"added_tokens_decoder",
             {{"151643", special("<|endoftext|>")}, {"151644", special("<|im_start|>")}, {"151645", special("<|im_end|>")}}},
            {"additional_special_tokens", {"<|im_start|>", "<|im_end|>"}},
            {"bos_token", nullptr},
            {"chat_template", std::string(kQwen2ChatTemplate)},
            {"clean_up_tokenization_spaces", false},
            {"eos_token", "<|im_end|>"},
            {"errors", "replace"},
            {"model_max_length", 131072},
            {"pad_token", "<|endoftext|>"},
            {"split_special_tokens", false},
            {"tokenizer_class", "Qwen2Tokenizer"},
            {"unk_token", nullptr}};
}

Json jina_encoder_config_json(const JinaEmbeddingsConfig& c, DType dtype) {
    const std::string flash = "jinaai/xlm-roberta-flash-implementation--";
    return {{"architectures", {"XLMRobertaLoRA"}},
              {"attention_probs_dropout_prob", 0.1},
              {"auto_map",
               {{"AutoConfig", flash + "configuration_xlm_roberta.XLMRobertaFlashConfig"},
                {"AutoModel", flash + "modeling_lora.XLMRobertaLoRA"},
                {"AutoModelForMaskedLM", flash + "modeling_xlm_roberta.XLMRobertaForMaskedLM"},
                {"AutoModelForPreTraining", flash + "modeling_xlm_roberta.XLMRobertaForPreTraining"}}},
              {"bos_token_id", c.bos_token_id},
              {"classifier_dropout", nullptr},
              {"emb_pooler", c.emb_pooler ? Json(*c.emb_pooler) : Json(nullptr)},
              {"eos_token_id", c.eos_token_id},
              {"hidden_act", c.hidden_act},
              {"hidden_dropout_prob", 0.1},
              {"hidden_size", c.hidden_size},
              {"initializer_range", 0.02},
              {"intermediate_size", c.intermediate_size},
              {"layer_norm_eps", c.layer_norm_eps},
              {"load_trained_adapters", true},
              {"lora_adaptations", c.lora_adaptations},
              {"lora_alpha", c.lora_alpha},
              {"lora_dropout_p", 0.0},
              {"lora_main_params_trainable", false},
              {"lora_rank", c.lora_rank},
              {"matryoshka_dimensions", c.matryoshka_dimensions},
              {"max_position_embeddings", c.max_position_embeddings},
              {"model_type", "xlm-roberta"},
              {"num_attention_heads", c.num_attention_heads},
              {"num_hidden_layers", c.num_hidden_layers},
              {"pad_token_id", c.pad_token_id},
              {"position_embedding_type", "rotary"},
              {"rotary_emb_base", c.rotary_emb_base},
              {"task_instructions", c.task_instructions},
              {"torch_dtype", std::string(torch_dtype_name(dtype))},
              {"transformers_version", "4.41.0"},
              {"type_vocab_size", c.type_vocab_size},
              {"use_cache", true},
              {"use_flash_attn", true},
              {"vocab_size", c.vocab_size}};
}

Json xlm_roberta_tokenizer_config_json(const JinaEmbeddingsConfig& c) {
    return {{"bos_token", "<s>"},        {"clean_up_tokenization_spaces", true}, {"cls_token", "<s>"},
            {"eos_token", "</s>"},       {"mask_token", "<mask>"},               {"model_max_length", c.max_position_embeddings},
            {"pad_token", "<pad>"},      {"sep_token", "</s>"},                  {"tokenizer_class", "XLMRobertaTokenizer"},
            {"unk_token", "<unk>"}};
}

Json jina_judge_config_json(const JinaJudgeConfig& c) {
    return {{"architectures", {"JinaJudge"}},
            {"auto_map",
             {{"AutoConfig", "modeling_jina_judge.JinaJudgeConfig"}, {"AutoModel", "modeling_jina_judge.JinaJudge"}}},
            {"dropout_prob", c.dropout_prob},
            {"hidden_dim", c.hidden_dim ? Json(*c.hidden_dim) : Json(nullptr)},
            {"model_type", "jina-judge"},
            {"n_classes", c.n_classes},
            {"nhead", c.nhead},
            {"num_decoder_layers", c.num_decoder_layers},
            {"torch_dtype", "float32"},
            {"transformers_version", "4.45.1"}};
}

// As transformers writes config files: sorted keys (Json is an ordered map), indent 2.
void write_json(const std::filesystem::path& path, const Json& json) {
    write_file_atomically(path, json.dump(2, ' ', false) + "\n");
}

void copy_tokenizer(const std::filesystem::path& from, const std::filesystem::path& to) {
    std::ifstream in(from, std::ios::binary);
    if (!in) fail("{}: cannot open the tokenizer file", from.string());
    std::string content(std::istreambuf_iterator<char>(in), {});
    write_file_atomically(to, content);
}

JinaEmbeddingsConfig jina_v3_encoder() {
    JinaEmbeddingsConfig c;
    c.vocab_size = 250002;
    c.hidden_size = 1024;
    c.num_hidden_layers = 24;
    c.num_attention_heads = 16;
    c.intermediate_size = 4096;
    c.max_position_embeddings = 8194;
    c.rotary_emb_base = 20000.0;
    c.lora_adaptations.assign(std::begin(kJinaTasks), std::end(kJinaTasks));
    c.lora_rank = 4;
    c.lora_alpha = 1.0;
    c.task_instructions = {{"retrieval.query", "Represent the query for retrieving evidence documents: "},
                           {"retrieval.passage", "Represent the document for retrieval: "},
                           {"separation", ""},
                           {"classification", ""},
                           {"text-matching", ""}};
    c.matryoshka_dimensions = {32, 64, 128, 256, 512, 768, 1024};
    c.torch_dtype = DType::BF16;
    return c;
}

}  // namespace

uint64_t test_tensor_seed(uint64_t seed, std::string_view tensor_name) {
    uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a 64
    for (unsigned char ch : tensor_name) h = (h ^ ch) * 0x100000001b3ull;
    return mix64(seed ^ h);
}

float test_weight_value(uint64_t tensor_seed, uint64_t index, WeightInit init) {
    uint64_t z = mix64(tensor_seed + (index + 1) * 0x9E3779B97F4A7C15ull);
    float u = float(z >> 40) * (1.0f / 16777216.0f);
    return init.center + init.half_width * (2.0f * u - 1.0f);
}

TestModelSpec qwen2_test_spec(std::string_view size) {
    Qwen2Config c;
    c.vocab_size = 151936;
    c.max_position_embeddings = 32768;
    c.rope_theta = 1000000.0;
    c.rms_norm_eps = 1e-6;
    c.bos_token_ids = {151643};
    c.eos_token_ids = {151645};
    c.torch_dtype = DType::BF16;
    if (size == "tiny") {
        c.hidden_size = 64;
        c.num_hidden_layers = 2;
        c.num_attention_heads = 4;
        c.num_key_value_heads = 2;
        c.intermediate_size = 160;
        c.tie_word_embeddings = false;
    } else if (size == "0.5b") {
        c.hidden_size = 896;
        c.num_hidden_layers = 24;
        c.num_attention_heads = 14;
        c.num_key_value_heads = 2;
        c.intermediate_size = 4864;
        c.tie_word_embeddings = true;
    } else if (size == "7b") {
        c.hidden_size = 3584;
        c.num_hidden_layers = 28;
        c.num_attention_heads = 28;
        c.num_key_value_heads = 4;
        c.intermediate_size = 18944;
        c.vocab_size = 152064;
        c.tie_word_embeddings = false;
    } else {
        fail("unknown qwen2 test-model size '{}' (known: tiny, 0.5b, 7b)", size);
    }
    c.head_dim = c.hidden_size / c.num_attention_heads;
    TestModelSpec spec;
    spec.shape = c;
    return spec;
}

TestModelSpec jina_judge_test_spec(std::string_view size) {
    JinaJudgeTestShape s;
    s.encoder = jina_v3_encoder();
    s.judge.n_classes = 3;
    s.judge.torch_dtype = DType::F32;
    if (size == "tiny") {
        s.encoder.hidden_size = 64;
        s.encoder.num_hidden_layers = 2;
        s.encoder.num_attention_heads = 4;
        s.encoder.intermediate_size = 128;
        s.encoder.matryoshka_dimensions = {32, 64};
        s.judge.nhead = 4;
        s.judge.num_decoder_layers = 2;
        // Dead, as in the original (which says 512 and runs at 1024): readers must take the
        // width from the tensors.
        s.judge.hidden_dim = 32;
        s.judge.dropout_prob = 0.1;
        s.decoder_width = 64;
        s.decoder_ffn = 64;
    } else if (size == "full") {
        s.judge.nhead = 8;
        s.judge.num_decoder_layers = 4;
        s.judge.hidden_dim = 512;
        s.judge.dropout_prob = 0.1;
        s.decoder_width = 1024;
        s.decoder_ffn = 1024;
    } else if (size == "full-512") {
        s.judge.nhead = 8;
        s.judge.num_decoder_layers = 5;
        s.judge.hidden_dim = 512;
        s.judge.dropout_prob = 0.2;
        s.decoder_width = 512;
        s.decoder_ffn = 1024;
    } else {
        fail("unknown jina-judge test-model size '{}' (known: tiny, full, full-512)", size);
    }
    TestModelSpec spec;
    spec.shape = s;
    return spec;
}

std::vector<TensorToWrite> test_model_tensors(const TestModelSpec& spec) {
    TensorList list(spec);
    if (const auto* qwen = std::get_if<Qwen2Config>(&spec.shape)) {
        add_qwen2_tensors(*qwen, spec.dtype, list);
    } else {
        const auto& judge = std::get<JinaJudgeTestShape>(spec.shape);
        add_jina_encoder_tensors("encoder.", judge.encoder, spec.dtype, list);
        add_judge_head_tensors(judge, list);
    }
    return list.take();
}

std::vector<std::string> write_test_model(const TestModelSpec& spec, const std::filesystem::path& dir) {
    if (spec.tokenizer_json && !std::filesystem::is_regular_file(*spec.tokenizer_json))
        fail("{}: no such tokenizer file", spec.tokenizer_json->string());
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) fail("{}: cannot create the folder: {}", dir.string(), ec.message());

    std::vector<std::string> written = write_safetensors_checkpoint(test_model_tensors(spec), dir, spec.max_shard_bytes);
    auto write = [&](const std::string& name, const Json& json) {
        write_json(dir / name, json);
        written.push_back(name);
    };
    if (const auto* qwen = std::get_if<Qwen2Config>(&spec.shape)) {
        write("config.json", qwen2_config_json(*qwen, spec.dtype));
        write("generation_config.json", qwen2_generation_config_json());
        write("tokenizer_config.json", qwen2_tokenizer_config_json());
        if (spec.tokenizer_json) {
            copy_tokenizer(*spec.tokenizer_json, dir / "tokenizer.json");
            written.push_back("tokenizer.json");
        }
    } else {
        const auto& judge = std::get<JinaJudgeTestShape>(spec.shape);
        write("config.json", jina_judge_config_json(judge.judge));
        std::filesystem::create_directories(dir / "encoder", ec);
        if (ec) fail("{}: cannot create the folder: {}", (dir / "encoder").string(), ec.message());
        write("encoder/config.json", jina_encoder_config_json(judge.encoder, spec.dtype));
        write("encoder/tokenizer_config.json", xlm_roberta_tokenizer_config_json(judge.encoder));
        if (spec.tokenizer_json) {
            copy_tokenizer(*spec.tokenizer_json, dir / "encoder" / "tokenizer.json");
            written.push_back("encoder/tokenizer.json");
        }
    }
    return written;
}

}  // namespace gavel
