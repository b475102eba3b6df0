#include <gtest/gtest.h>

#include "core/error.hpp"
#include "io/model_config.hpp"
#include "io_test_support.hpp"

namespace gavel {
namespace {

using testing::error_of;
using testing::ScratchDir;

const std::string kData = std::string(GAVEL_TEST_DATA) + "/io/";

Json fixture(const std::string& name) { return read_json_file(kData + name); }

TEST(ModelConfig, ConJQwen2_7B) {
    ModelConfig config = read_model_config(kData + "con_j_qwen2_7b.config.json");
    ASSERT_EQ(architecture_of(config), Architecture::Qwen2);
    const auto& c = std::get<Qwen2Config>(config);
    EXPECT_EQ(c.hidden_size, 3584);
    EXPECT_EQ(c.intermediate_size, 18944);
    EXPECT_EQ(c.num_hidden_layers, 28);
    EXPECT_EQ(c.num_attention_heads, 28);
    EXPECT_EQ(c.num_key_value_heads, 4);
    EXPECT_EQ(c.head_dim, 128);
    EXPECT_EQ(c.vocab_size, 152064);
    EXPECT_EQ(c.max_position_embeddings, 32768);
    EXPECT_EQ(c.rope_theta, 1000000.0);
    EXPECT_EQ(c.rms_norm_eps, 1e-6);
    EXPECT_FALSE(c.tie_word_embeddings);
    EXPECT_EQ(c.hidden_act, "silu");
    EXPECT_EQ(c.bos_token_ids, (std::vector<int64_t>{151643}));
    EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{151645}));
    EXPECT_EQ(c.torch_dtype, DType::BF16);
}

TEST(ModelConfig, Qwen2DefaultsAndDerivedFields) {
    Json j = {{"architectures", {"Qwen2ForCausalLM"}}, {"hidden_size", 64}, {"intermediate_size", 160},
              {"num_hidden_layers", 2}, {"num_attention_heads", 4}, {"vocab_size", 100},
              {"eos_token_id", {151645, 151643}}, {"rope_scaling", {{"rope_type", "default"}}}};
    Qwen2Config c = parse_qwen2_config(j, "config.json");
    EXPECT_EQ(c.num_key_value_heads, 4);  // plain multi-head attention when absent
    EXPECT_EQ(c.head_dim, 16);
    EXPECT_EQ(c.rope_theta, 10000.0);
    EXPECT_EQ(c.max_position_embeddings, 32768);
    EXPECT_TRUE(c.bos_token_ids.empty());
    EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{151645, 151643}));
    EXPECT_EQ(c.torch_dtype, std::nullopt);
    j["head_dim"] = 32;  // an explicit head_dim wins over hidden_size / heads
    EXPECT_EQ(parse_qwen2_config(j, "config.json").head_dim, 32);
    // transformers v5 moves rope_theta into rope_parameters.
    j["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", 500000.0}};
    EXPECT_EQ(parse_qwen2_config(j, "config.json").rope_theta, 500000.0);
}

struct FieldCase {
    const char* name;
    Json patch;  // merged into the Con-J config; null values remove the field
    std::string expected;
};

class Qwen2ConfigErrors : public ::testing::TestWithParam<FieldCase> {};

TEST_P(Qwen2ConfigErrors, NameFileAndField) {
    Json j = fixture("con_j_qwen2_7b.config.json");
    for (const auto& [k, v] : GetParam().patch.items()) {
        if (v.is_null()) j.erase(k);
        else j[k] = v;
    }
    std::string message = error_of([&] { parse_model_config(j, "con-j/config.json"); });
    EXPECT_EQ(message, "con-j/config.json: " + GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Each, Qwen2ConfigErrors,
    ::testing::Values(
        FieldCase{"MissingHiddenSize", {{"hidden_size", nullptr}}, "missing field 'hidden_size'"},
        FieldCase{"HiddenSizeString", {{"hidden_size", "3584"}}, "field 'hidden_size' must be an integer, got \"3584\""},
        FieldCase{"ZeroLayers", {{"num_hidden_layers", 0}}, "field 'num_hidden_layers' must be positive, got 0"},
        FieldCase{"HeadsNotMultipleOfKv", {{"num_key_value_heads", 5}},
                  "num_attention_heads 28 is not a multiple of num_key_value_heads 5"},
        FieldCase{"HiddenNotMultipleOfHeads", {{"hidden_size", 3585}},
                  "hidden_size 3585 is not a multiple of num_attention_heads 28 (and no head_dim is given)"},
        FieldCase{"Gelu", {{"hidden_act", "gelu"}}, "field 'hidden_act' is \"gelu\"; only \"silu\" is supported"},
        FieldCase{"SlidingWindow", {{"use_sliding_window", true}},
                  "field 'use_sliding_window' is true: sliding-window attention is not supported"},
        FieldCase{"Yarn", {{"rope_scaling", {{"type", "yarn"}, {"factor", 4.0}}}},
                  "field 'rope_scaling' selects rope type \"yarn\", which is not supported (only plain RoPE)"},
        FieldCase{"RopeScalingNotObject", {{"rope_scaling", 2}}, "field 'rope_scaling' must be an object, got 2"},
        FieldCase{"EosNotId", {{"eos_token_id", "<|im_end|>"}},
                  "field 'eos_token_id' must be a token id or a list of them, got \"<|im_end|>\""},
        FieldCase{"EosListOfStrings", {{"eos_token_id", {1, "x"}}},
                  "field 'eos_token_id' must hold integer token ids, got \"x\""},
        FieldCase{"UnknownDtype", {{"torch_dtype", "float4"}}, "field 'torch_dtype' is \"float4\", not a known torch dtype"},
        FieldCase{"NegativeEps", {{"rms_norm_eps", -1e-6}}, "field 'rms_norm_eps' must be positive, got -1e-06"},
        FieldCase{"TieNotBool", {{"tie_word_embeddings", 1}}, "field 'tie_word_embeddings' must be true or false, got 1"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ModelConfig, JinaEmbeddingsV3) {
    ModelConfig config = read_model_config(kData + "jina_embeddings_v3.config.json");
    ASSERT_EQ(architecture_of(config), Architecture::JinaEmbeddings);
    const auto& c = std::get<JinaEmbeddingsConfig>(config);
    EXPECT_EQ(c.vocab_size, 250002);
    EXPECT_EQ(c.hidden_size, 1024);
    EXPECT_EQ(c.num_hidden_layers, 24);
    EXPECT_EQ(c.num_attention_heads, 16);
    EXPECT_EQ(c.head_dim(), 64);
    EXPECT_EQ(c.intermediate_size, 4096);
    EXPECT_EQ(c.hidden_act, "gelu");
    EXPECT_EQ(c.layer_norm_eps, 1e-5);
    EXPECT_EQ(c.max_position_embeddings, 8194);
    EXPECT_EQ(c.rotary_emb_base, 20000.0);
    EXPECT_EQ(c.type_vocab_size, 1);
    EXPECT_EQ(c.pad_token_id, 1);
    EXPECT_EQ(c.bos_token_id, 0);
    EXPECT_EQ(c.eos_token_id, 2);
    EXPECT_EQ(c.lora_adaptations, (std::vector<std::string>{"retrieval.query", "retrieval.passage", "separation",
                                                           "classification", "text-matching"}));
    EXPECT_EQ(c.lora_rank, 4);
    EXPECT_EQ(c.lora_alpha, 1.0);
    EXPECT_EQ(c.task_instructions.at("retrieval.query"), "Represent the query for retrieving evidence documents: ");
    EXPECT_EQ(c.task_instructions.at("separation"), "");
    EXPECT_EQ(c.matryoshka_dimensions, (std::vector<int64_t>{32, 64, 128, 256, 512, 768, 1024}));
    EXPECT_EQ(c.emb_pooler, std::nullopt);
    EXPECT_EQ(c.torch_dtype, DType::BF16);
}

TEST(ModelConfig, JinaEmbeddingsErrors) {
    Json j = fixture("jina_embeddings_v3.config.json");
    j["hidden_act"] = "relu";
    EXPECT_EQ(error_of([&] { parse_model_config(j, "enc/config.json"); }),
              "enc/config.json: field 'hidden_act' is \"relu\"; only \"gelu\" is supported");
    j = fixture("jina_embeddings_v3.config.json");
    j["task_instructions"]["separation"] = 3;
    EXPECT_EQ(error_of([&] { parse_model_config(j, "enc/config.json"); }),
              "enc/config.json: field 'task_instructions': task 'separation' must map to a string, got 3");
    j = fixture("jina_embeddings_v3.config.json");
    j["lora_adaptations"] = {"a", 1};
    EXPECT_EQ(error_of([&] { parse_model_config(j, "enc/config.json"); }),
              "enc/config.json: field 'lora_adaptations' must be a list of strings, got an entry 1");
    j = fixture("jina_embeddings_v3.config.json");
    j.erase("intermediate_size");
    EXPECT_EQ(error_of([&] { parse_model_config(j, "enc/config.json"); }),
              "enc/config.json: missing field 'intermediate_size'");
    // Plain XLM-RoBERTa (absolute positions) is a different model.
    j = fixture("jina_embeddings_v3.config.json");
    j.erase("architectures");
    j["position_embedding_type"] = "absolute";
    EXPECT_NE(error_of([&] { parse_model_config(j, "enc/config.json"); })
                  .find("model_type \"xlm-roberta\" with position_embedding_type \"absolute\" is plain XLM-RoBERTa"),
              std::string::npos);
    // Without "architectures", model_type + rotary positions identify jina-v3.
    j["position_embedding_type"] = "rotary";
    EXPECT_EQ(architecture_of(parse_model_config(j, "enc/config.json")), Architecture::JinaEmbeddings);
}

TEST(ModelConfig, JinaJudgeTarget) {
    ModelConfig config = read_model_config(kData + "jina_v3_rullmarena_judge.config.json");
    ASSERT_EQ(architecture_of(config), Architecture::JinaJudge);
    const auto& c = std::get<JinaJudgeConfig>(config);
    EXPECT_EQ(c.n_classes, 3);
    EXPECT_EQ(c.nhead, 8);
    EXPECT_EQ(c.num_decoder_layers, 4);
    EXPECT_EQ(c.hidden_dim, 512);  // as written; dead in this variant (see JinaJudgeConfig)
    EXPECT_EQ(c.dropout_prob, 0.1);
    EXPECT_EQ(c.torch_dtype, DType::F32);
    JinaJudgeConfig later = std::get<JinaJudgeConfig>(read_model_config(kData + "jina_v3_rullmarena_judge_041024.config.json"));
    EXPECT_EQ(later.num_decoder_layers, 5);
    EXPECT_EQ(later.dropout_prob, 0.2);
}

TEST(ModelConfig, JinaJudgeErrors) {
    Json j = fixture("jina_v3_rullmarena_judge.config.json");
    j.erase("nhead");
    EXPECT_EQ(error_of([&] { parse_model_config(j, "judge/config.json"); }), "judge/config.json: missing field 'nhead'");
    j = fixture("jina_v3_rullmarena_judge.config.json");
    j["dropout_prob"] = 1.5;
    EXPECT_EQ(error_of([&] { parse_model_config(j, "judge/config.json"); }),
              "judge/config.json: field 'dropout_prob' must be in [0, 1), got 1.5");
    j = fixture("jina_v3_rullmarena_judge.config.json");
    j["n_classes"] = -3;
    EXPECT_EQ(error_of([&] { parse_model_config(j, "judge/config.json"); }),
              "judge/config.json: field 'n_classes' must be positive, got -3");
}

TEST(ModelConfig, UnknownArchitectureListsSupportedOnes) {
    Json llama = {{"architectures", {"LlamaForCausalLM"}}, {"model_type", "llama"}, {"hidden_size", 4096}};
    EXPECT_EQ(error_of([&] { parse_model_config(llama, "llama/config.json"); }),
              "llama/config.json: unsupported architecture 'LlamaForCausalLM' (model_type \"llama\"); supported: "
              "Qwen2ForCausalLM (Qwen2, Qwen2.5), XLMRobertaLoRA (jina-embeddings-v3), JinaJudge");
    EXPECT_EQ(error_of([&] { parse_model_config(Json::object(), "empty/config.json"); }),
              "empty/config.json: unsupported architecture none given (model_type \"\"); supported: "
              "Qwen2ForCausalLM (Qwen2, Qwen2.5), XLMRobertaLoRA (jina-embeddings-v3), JinaJudge");
    EXPECT_EQ(error_of([&] { parse_model_config(Json::array(), "list/config.json"); }),
              "list/config.json: expected a JSON object, got []");
    // model_type alone is enough when "architectures" is absent.
    Json qwen = fixture("con_j_qwen2_7b.config.json");
    qwen.erase("architectures");
    EXPECT_EQ(architecture_of(parse_model_config(qwen, "q")), Architecture::Qwen2);
}

TEST(ModelConfig, MissingAndBrokenFiles) {
    ScratchDir dir;
    EXPECT_EQ(error_of([&] { read_model_config(dir.path()); }), (dir / "config.json").string() + ": cannot open");
    testing::write_bytes(dir / "config.json", "{\"architectures\": [");
    EXPECT_NE(error_of([&] { read_model_config(dir.path()); }).find((dir / "config.json").string() + ": invalid JSON at byte"),
              std::string::npos);
}

TEST(GenerationConfig, ConJDefaults) {
    GenerationConfig g = parse_generation_config(fixture("con_j_qwen2_7b.generation_config.json"), "g");
    EXPECT_EQ(g.bos_token_id, 151643);
    EXPECT_EQ(g.pad_token_id, 151643);
    EXPECT_EQ(g.eos_token_ids, (std::vector<int64_t>{151645, 151643}));
    EXPECT_TRUE(g.do_sample);
    EXPECT_EQ(g.temperature, 0.7);
    EXPECT_EQ(g.top_p, 0.8);
    EXPECT_EQ(g.top_k, 20);
    EXPECT_EQ(g.repetition_penalty, 1.05);
    EXPECT_EQ(g.min_p, std::nullopt);
    EXPECT_EQ(g.max_new_tokens, std::nullopt);
    EXPECT_EQ(g.max_length, 20);
}

TEST(GenerationConfig, AbsentFileAndFieldsGiveTransformersDefaults) {
    ScratchDir dir;
    GenerationConfig g = read_generation_config(dir.path());
    EXPECT_EQ(g, GenerationConfig{});
    EXPECT_FALSE(g.do_sample);
    EXPECT_EQ(g.temperature, 1.0);
    EXPECT_EQ(g.top_p, 1.0);
    EXPECT_EQ(g.top_k, 50);
    EXPECT_EQ(g.repetition_penalty, 1.0);
    EXPECT_TRUE(g.eos_token_ids.empty());
    g = parse_generation_config({{"eos_token_id", 2}, {"max_new_tokens", 2048}, {"min_p", 0.05}}, "g");
    EXPECT_EQ(g.eos_token_ids, (std::vector<int64_t>{2}));
    EXPECT_EQ(g.max_new_tokens, 2048);
    EXPECT_EQ(g.min_p, 0.05);
}

TEST(GenerationConfig, InvalidFields) {
    auto err = [](Json j) { return error_of([&] { parse_generation_config(j, "gen.json"); }); };
    EXPECT_EQ(err({{"top_p", 0}}), "gen.json: field 'top_p' must be in (0, 1], got 0");
    EXPECT_EQ(err({{"top_k", -1}}), "gen.json: field 'top_k' must not be negative, got -1");
    EXPECT_EQ(err({{"temperature", "hot"}}), "gen.json: field 'temperature' must be a number, got \"hot\"");
    EXPECT_EQ(err({{"repetition_penalty", 0}}), "gen.json: field 'repetition_penalty' must be positive, got 0");
    EXPECT_EQ(err({{"max_new_tokens", 0}}), "gen.json: field 'max_new_tokens' must be positive, got 0");
    EXPECT_EQ(err({{"do_sample", "yes"}}), "gen.json: field 'do_sample' must be true or false, got \"yes\"");
    EXPECT_EQ(err({{"pad_token_id", {1, 2}}}), "gen.json: field 'pad_token_id' must be a token id, got [1,2]");
}

TEST(TokenizerConfig, Qwen2Instruct) {
    ScratchDir dir;
    std::filesystem::copy_file(kData + "qwen2_7b_instruct.tokenizer_config.json", dir / "tokenizer_config.json");
    TokenizerConfig t = read_tokenizer_config(dir.path());
    ASSERT_TRUE(t.chat_template);
    EXPECT_EQ(t.chat_template->rfind("{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}", 0), 0u);
    EXPECT_NE(t.chat_template->find("You are a helpful assistant.<|im_end|>\\n"), std::string::npos);
    EXPECT_EQ(t.bos_token, std::nullopt);
    EXPECT_EQ(t.eos_token, "<|im_end|>");
    EXPECT_EQ(t.pad_token, "<|endoftext|>");
    EXPECT_EQ(t.unk_token, std::nullopt);
    EXPECT_EQ(t.model_max_length, 131072);
    EXPECT_EQ(t.add_bos_token, std::nullopt);
}

TEST(TokenizerConfig, AddedTokenObjectsNamedTemplatesAndNoLimit) {
    Json j = Json::parse(R"({
        "bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false},
        "eos_token": "</s>",
        "model_max_length": 1000000000000000019884624838656,
        "add_bos_token": true, "add_eos_token": false,
        "chat_template": [{"name": "default", "template": "D"}, {"name": "tool_use", "template": "T"}]})");
    TokenizerConfig t = parse_tokenizer_config(j, "tc");
    EXPECT_EQ(t.bos_token, "<s>");
    EXPECT_EQ(t.eos_token, "</s>");
    EXPECT_EQ(t.model_max_length, std::nullopt);
    EXPECT_EQ(t.add_bos_token, true);
    EXPECT_EQ(t.add_eos_token, false);
    EXPECT_EQ(t.chat_template, "D");
    EXPECT_EQ(t.named_chat_templates.at("tool_use"), "T");
    j["chat_template"] = Json::parse(R"([{"name": "tool_use", "template": "T"}])");
    EXPECT_EQ(parse_tokenizer_config(j, "tc").chat_template, std::nullopt);
}

TEST(TokenizerConfig, InvalidFields) {
    auto err = [](const char* text) { return error_of([&] { parse_tokenizer_config(Json::parse(text), "tc.json"); }); };
    EXPECT_EQ(err(R"({"bos_token": 5})"), "tc.json: field 'bos_token' must be a string or an object with \"content\", got 5");
    EXPECT_EQ(err(R"({"eos_token": {"special": true}})"), "tc.json: field 'eos_token': missing field 'content'");
    EXPECT_EQ(err(R"({"model_max_length": -1})"), "tc.json: field 'model_max_length' must be a positive integer, got -1");
    EXPECT_EQ(err(R"({"chat_template": 3})"),
              "tc.json: field 'chat_template' must be a string or a list of {name, template}, got 3");
    EXPECT_EQ(err(R"({"chat_template": [{"name": "default"}]})"), "tc.json: field 'chat_template': missing field 'template'");
    EXPECT_EQ(err(R"({"add_bos_token": "yes"})"), "tc.json: field 'add_bos_token' must be true or false, got \"yes\"");
}

// Newer transformers save the template beside tokenizer_config.json.
TEST(TokenizerConfig, TemplateFromSeparateFile) {
    ScratchDir dir;
    testing::write_bytes(dir / "tokenizer_config.json", R"({"eos_token": "</s>"})");
    testing::write_bytes(dir / "chat_template.jinja", "{{ messages }}");
    EXPECT_EQ(read_tokenizer_config(dir.path()).chat_template, "{{ messages }}");
    std::filesystem::remove(dir / "chat_template.jinja");
    testing::write_bytes(dir / "chat_template.json", R"({"chat_template": "J"})");
    EXPECT_EQ(read_tokenizer_config(dir.path()).chat_template, "J");
    std::filesystem::remove(dir / "tokenizer_config.json");
    EXPECT_EQ(read_tokenizer_config(dir.path()).eos_token, std::nullopt);
}

}  // namespace
}  // namespace gavel
