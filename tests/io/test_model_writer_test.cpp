#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstring>

#include "core/error.hpp"
#include "io/checkpoint.hpp"
#include "io/test_model_writer.hpp"
#include "io_test_support.hpp"

namespace gavel {
namespace {

using testing::ScratchDir;

int64_t parameters(const TestModelSpec& spec) {
    int64_t n = 0;
    for (const auto& t : test_model_tensors(spec)) {
        int64_t numel = 1;
        for (int64_t d : t.shape) numel *= d;
        n += numel;
    }
    return n;
}

// The documented counter-based formula, pinned by values computed independently (numpy, from the
// formula in test_model_writer.hpp).
TEST(TestModelWriter, WeightStreamMatchesTheDocumentedFormula) {
    uint64_t seed = test_tensor_seed(1, "model.layers.0.mlp.up_proj.weight");
    EXPECT_EQ(seed, 0x2878bb6c2280523full);
    auto bits = [](float f) {
        uint32_t b;
        std::memcpy(&b, &f, 4);
        return b;
    };
    EXPECT_EQ(bits(test_weight_value(seed, 0, kWeightInit)), 932100243u);
    EXPECT_EQ(bits(test_weight_value(seed, 1, kWeightInit)), 1020248090u);
    EXPECT_EQ(bits(test_weight_value(seed, 2, kWeightInit)), 1005713920u);
    EXPECT_EQ(bits(test_weight_value(seed, 1000000, kWeightInit)), 3171383394u);
    EXPECT_EQ(test_tensor_seed(42, "decoder_input_embedding"), 0x438d7bc717b44ecdull);
    EXPECT_FLOAT_EQ(test_weight_value(0x438d7bc717b44ecdull, 7, kUnitInit), -1.3136029f);
}

// Parameter counts of the full-size presets equal the real checkpoints' (spec §1.4, §2.1).
TEST(TestModelWriter, PresetParameterCounts) {
    EXPECT_EQ(parameters(qwen2_test_spec("7b")), 7'615'616'512);
    EXPECT_EQ(parameters(qwen2_test_spec("0.5b")), 494'032'768);
    EXPECT_EQ(parameters(jina_judge_test_spec("full")), 614'323'071);
    EXPECT_EQ(parameters(jina_judge_test_spec("full-512")), 588'609'407);
    EXPECT_EQ(test_model_tensors(qwen2_test_spec("7b")).size(), 339u);
    // Qwen2 tiny: 2 x embedding (untied) + 2 layers + final norm.
    int64_t layer = (64 * 64 + 64) + 2 * (32 * 64 + 32) + 64 * 64 + 3 * 64 * 160 + 2 * 64;
    EXPECT_EQ(parameters(qwen2_test_spec("tiny")), 2 * 151936 * 64 + 2 * layer + 64);
}

TEST(TestModelWriter, JinaJudgeEncoderSplitsIntoBaseAndLora) {
    int64_t base = 0, lora = 0, head = 0;
    for (const auto& t : test_model_tensors(jina_judge_test_spec("full"))) {
        int64_t numel = 1;
        for (int64_t d : t.shape) numel *= d;
        if (t.name.find("lora_") != std::string::npos) lora += numel;
        else if (t.name.rfind("encoder.", 0) == 0) base += numel;
        else head += numel;
        EXPECT_EQ(t.dtype, t.name.rfind("encoder.", 0) == 0 ? DType::BF16 : DType::F32) << t.name;
    }
    EXPECT_EQ(base, 559'364'096);  // spec §2.4.2
    EXPECT_EQ(lora, 12'946'300);
    EXPECT_EQ(head, 42'012'675);
}

TEST(TestModelWriter, UnknownSizeListsKnownOnes) {
    EXPECT_EQ(testing::error_of([] { qwen2_test_spec("72b"); }),
              "unknown qwen2 test-model size '72b' (known: tiny, 0.5b, 7b)");
    EXPECT_THROW(jina_judge_test_spec("huge"), Error);
}

TEST(TestModelWriter, TinyQwen2IsDeterministicAndReadsBack) {
    ScratchDir dir;
    TestModelSpec spec = qwen2_test_spec("tiny");
    spec.seed = 7;
    auto files = write_test_model(spec, dir / "a");
    EXPECT_EQ(files, (std::vector<std::string>{"model.safetensors", "config.json", "generation_config.json",
                                               "tokenizer_config.json"}));
    write_test_model(spec, dir / "b");
    spec.seed = 8;
    write_test_model(spec, dir / "c");

    Checkpoint a = Checkpoint::open(dir / "a"), b = Checkpoint::open(dir / "b"), c = Checkpoint::open(dir / "c");
    const TensorView& wa = a.tensor("model.layers.1.self_attn.k_proj.weight");
    EXPECT_EQ(wa.dtype, DType::BF16);
    EXPECT_EQ(wa.shape, (std::vector<int64_t>{32, 64}));
    EXPECT_EQ(std::memcmp(wa.data, b.tensor("model.layers.1.self_attn.k_proj.weight").data, wa.nbytes()), 0);
    EXPECT_NE(std::memcmp(wa.data, c.tensor("model.layers.1.self_attn.k_proj.weight").data, wa.nbytes()), 0);
    // Values are the documented stream rounded to the dtype.
    uint64_t tseed = test_tensor_seed(7, "model.layers.1.self_attn.k_proj.weight");
    for (int64_t i : {0, 1, 2047})
        EXPECT_EQ(wa.as<uint16_t>()[i], f32_to_bf16(test_weight_value(tseed, uint64_t(i), kWeightInit))) << i;
    const TensorView& norm = a.tensor("model.norm.weight");
    float first = bf16_to_f32(norm.as<uint16_t>()[0]);
    EXPECT_GE(first, 0.9f);
    EXPECT_LE(first, 1.1f);

    // The configs parse back to the spec's shape.
    auto config = std::get<Qwen2Config>(read_model_config(dir / "a"));
    EXPECT_EQ(config, std::get<Qwen2Config>(spec.shape));
    EXPECT_EQ(read_generation_config(dir / "a").eos_token_ids, (std::vector<int64_t>{151645, 151643}));
    TokenizerConfig tok = read_tokenizer_config(dir / "a");
    EXPECT_EQ(tok.eos_token, "<|im_end|>");
    ASSERT_TRUE(tok.chat_template);
    // The real Qwen2-7B-Instruct tokenizer_config.json, byte for byte (tests/data/io/README.md).
    EXPECT_EQ(testing::read_bytes(dir / "a" / "tokenizer_config.json"),
              testing::read_bytes(std::string(GAVEL_TEST_DATA) + "/io/qwen2_7b_instruct.tokenizer_config.json"));
}

TEST(TestModelWriter, DtypeOption) {
    ScratchDir dir;
    for (DType d : {DType::F32, DType::F16}) {
        TestModelSpec spec = qwen2_test_spec("tiny");
        spec.dtype = d;
        write_test_model(spec, dir.path());
        Checkpoint c = Checkpoint::open(dir.path());
        EXPECT_EQ(c.dtype_totals().size(), 1u);
        EXPECT_EQ(c.tensor("lm_head.weight").dtype, d);
        EXPECT_EQ(std::get<Qwen2Config>(read_model_config(dir.path())).torch_dtype, d);
    }
}

TEST(TestModelWriter, TiedEmbeddingsHaveNoHead) {
    TestModelSpec spec = qwen2_test_spec("0.5b");
    bool head = false;
    for (const auto& t : test_model_tensors(spec)) head |= t.name == "lm_head.weight";
    EXPECT_FALSE(head);
}

// Con-J's shape at no disk cost: zeros are holes, and the shards split as the real ones do.
TEST(TestModelWriter, ZeroFilledConJShapeIsSparseAndShardedLikeTheReal) {
    ScratchDir dir;
    TestModelSpec spec = qwen2_test_spec("7b");
    spec.fill = TestFill::Zeros;
    write_test_model(spec, dir.path());
    Checkpoint c = Checkpoint::open(dir.path());
    EXPECT_TRUE(c.sharded());
    EXPECT_EQ(c.parameter_count(), 7'615'616'512);
    EXPECT_EQ(c.byte_count(), 15'231'233'024u);
    EXPECT_EQ(c.shard_names(), (std::vector<std::string>{"model-00001-of-00004.safetensors", "model-00002-of-00004.safetensors",
                                                         "model-00003-of-00004.safetensors", "model-00004-of-00004.safetensors"}));
    EXPECT_EQ(c.shard_of("model.layers.8.self_attn.o_proj.weight"), "model-00001-of-00004.safetensors");
    EXPECT_EQ(c.shard_of("model.layers.8.mlp.gate_proj.weight"), "model-00002-of-00004.safetensors");
    EXPECT_EQ(c.shard_of("model.norm.weight"), "model-00003-of-00004.safetensors");
    EXPECT_EQ(c.shard_of("lm_head.weight"), "model-00004-of-00004.safetensors");
    uint64_t allocated = 0, apparent = 0;
    for (const auto& shard : c.shard_names()) {
        struct stat st {};
        ASSERT_EQ(::stat((dir / shard).c_str(), &st), 0);
        allocated += uint64_t(st.st_blocks) * 512;
        apparent += uint64_t(st.st_size);
    }
    EXPECT_GT(apparent, 15'231'233'024u);
    EXPECT_LT(allocated, 10'000'000u);
    auto config = std::get<Qwen2Config>(read_model_config(dir.path()));
    EXPECT_EQ(config.hidden_size, 3584);
    EXPECT_EQ(config.vocab_size, 152064);
}

TEST(TestModelWriter, TinyJinaJudgeWithTokenizer) {
    ScratchDir dir;
    testing::write_bytes(dir / "tok.json", R"({"model": {"type": "Unigram"}})");
    TestModelSpec spec = jina_judge_test_spec("tiny");
    spec.seed = 3;
    spec.tokenizer_json = dir / "tok.json";
    auto files = write_test_model(spec, dir / "judge");
    EXPECT_EQ(files, (std::vector<std::string>{"model.safetensors", "config.json", "encoder/config.json",
                                               "encoder/tokenizer_config.json", "encoder/tokenizer.json"}));
    auto judge = std::get<JinaJudgeConfig>(read_model_config(dir / "judge"));
    EXPECT_EQ(judge, std::get<JinaJudgeTestShape>(spec.shape).judge);
    auto encoder = std::get<JinaEmbeddingsConfig>(read_model_config(dir / "judge" / "encoder"));
    EXPECT_EQ(encoder, std::get<JinaJudgeTestShape>(spec.shape).encoder);
    EXPECT_EQ(encoder.vocab_size, 250002);
    EXPECT_EQ(read_tokenizer_config(dir / "judge" / "encoder").model_max_length, 8194);
    EXPECT_EQ(testing::read_bytes(dir / "judge" / "encoder" / "tokenizer.json"), R"({"model": {"type": "Unigram"}})");

    Checkpoint c = Checkpoint::open(dir / "judge");
    EXPECT_EQ(c.tensor("decoder_input_embedding").shape, (std::vector<int64_t>{1, 1, 64}));
    EXPECT_EQ(c.tensor("classification_head.0.weight").shape, (std::vector<int64_t>{3, 64}));
    EXPECT_EQ(c.tensor("encoder.roberta.embeddings.word_embeddings.parametrizations.weight.0.lora_A").shape,
              (std::vector<int64_t>{5, 250002, 4}));
    EXPECT_EQ(c.tensor("encoder.roberta.encoder.layers.1.mlp.fc2.parametrizations.weight.0.lora_B").shape,
              (std::vector<int64_t>{5, 64, 4}));
    EXPECT_FALSE(c.has("projection.weight"));
    EXPECT_EQ(c.tensor("decoder.layers.1.norm3.bias").dtype, DType::F32);
}

TEST(TestModelWriter, Full512HasProjectionAndBareHead) {
    std::map<std::string, std::vector<int64_t>> shapes;
    for (const auto& t : test_model_tensors(jina_judge_test_spec("full-512"))) shapes[t.name] = t.shape;
    EXPECT_EQ(shapes["projection.weight"], (std::vector<int64_t>{512, 1024}));
    EXPECT_EQ(shapes["classification_head.weight"], (std::vector<int64_t>{3, 512}));
    EXPECT_EQ(shapes["decoder.layers.4.linear1.weight"], (std::vector<int64_t>{1024, 512}));
    EXPECT_EQ(shapes["decoder_input_embedding"], (std::vector<int64_t>{1, 1, 512}));
    EXPECT_EQ(shapes.count("classification_head.0.weight"), 0u);
    EXPECT_EQ(shapes.count("decoder.layers.5.linear1.weight"), 0u);
}

TEST(TestModelWriter, MissingTokenizerFails) {
    ScratchDir dir;
    TestModelSpec spec = qwen2_test_spec("tiny");
    spec.tokenizer_json = dir / "absent.json";
    EXPECT_EQ(testing::error_of([&] { write_test_model(spec, dir / "m"); }),
              (dir / "absent.json").string() + ": no such tokenizer file");
    EXPECT_FALSE(std::filesystem::exists(dir / "m"));
}

}  // namespace
}  // namespace gavel
