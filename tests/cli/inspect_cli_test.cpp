#include <gtest/gtest.h>

#include "../io/io_test_support.hpp"
#include "cli_run.hpp"
#include <fmt/format.h>

#include "core/json.hpp"

namespace gavel {
namespace {

using testing::run_gavel;
using testing::ScratchDir;

// make-model into `dir`/name with zero fill (full-size shapes cost nothing), then inspect --json.
Json make_and_inspect(const ScratchDir& dir, const std::string& arch, const std::string& size) {
    auto model = dir / (arch + "-" + size);
    auto made = run_gavel({"make-model", "--arch", arch, "--size", size, "--fill", "zeros", "--out", model.string()},
                          dir.path());
    EXPECT_EQ(made.status, 0) << made.err;
    auto inspected = run_gavel({"inspect", model.string(), "--json"}, dir.path());
    EXPECT_EQ(inspected.status, 0) << inspected.err;
    return Json::parse(inspected.out);
}

TEST(InspectCli, ConJQwen2_7BShape) {
    ScratchDir dir;
    Json report = make_and_inspect(dir, "qwen2", "7b");
    EXPECT_EQ(report["architecture"], "Qwen2ForCausalLM");
    EXPECT_EQ(report["parameters"], 7615616512);
    EXPECT_EQ(report["weights"]["bytes"], 15231233024);
    EXPECT_EQ(report["weights"]["tensor_count"], 339);
    EXPECT_EQ(report["weights"]["shards"].size(), 4u);
    EXPECT_EQ(report["weights"]["dtypes"], Json::parse(R"([{"dtype": "BF16", "parameters": 7615616512, "bytes": 15231233024}])"));
    EXPECT_EQ(report["config"]["values"]["num_key_value_heads"], 4);
    EXPECT_EQ(report["config"]["values"]["head_dim"], 128);
    EXPECT_EQ(report["generation_config"]["eos_token_ids"], Json::parse("[151645, 151643]"));
    const Json& first = report["weights"]["tensors"][0];
    EXPECT_EQ(first["name"], "lm_head.weight");
    EXPECT_EQ(first["shape"], Json::parse("[152064, 3584]"));
    EXPECT_EQ(first["bytes"], 1089994752);
    EXPECT_EQ(first["shard"], "model-00004-of-00004.safetensors");

    // The table prints the same counts with thousands separators.
    auto table = run_gavel({"inspect", (dir / "qwen2-7b").string()}, dir.path());
    ASSERT_EQ(table.status, 0) << table.err;
    EXPECT_NE(table.out.find("parameters    7,615,616,512\n"), std::string::npos) << table.out.substr(0, 2000);
    EXPECT_NE(table.out.find("BF16   7,615,616,512  15,231,233,024"), std::string::npos);
    EXPECT_NE(table.out.find("model-00004-of-00004.safetensors        1  1,089,994,752"), std::string::npos);
    // Tensors in natural order: layer 2 before layer 10.
    EXPECT_LT(table.out.find("model.layers.2.input_layernorm.weight"), table.out.find("model.layers.10.input_layernorm.weight"));
}

TEST(InspectCli, Qwen2_0_5BShape) {
    ScratchDir dir;
    Json report = make_and_inspect(dir, "qwen2", "0.5b");
    EXPECT_EQ(report["parameters"], 494032768);
    EXPECT_EQ(report["config"]["values"]["tie_word_embeddings"], true);
}

TEST(InspectCli, JinaJudgeFull) {
    ScratchDir dir;
    Json report = make_and_inspect(dir, "jina-judge", "full");
    EXPECT_EQ(report["architecture"], "JinaJudge");
    EXPECT_EQ(report["parameters"], 614323071);
    EXPECT_EQ(report["weights"]["bytes"], 1312671492);
    EXPECT_EQ(report["weights"]["dtypes"],
              Json::parse(R"([{"dtype": "F32", "parameters": 42012675, "bytes": 168050700},
                              {"dtype": "BF16", "parameters": 572310396, "bytes": 1144620792}])"));
    EXPECT_EQ(report["config"]["values"]["hidden_dim"], 512);  // as config.json says...
    EXPECT_EQ(report["judge_head"]["decoder_width"], 1024);     // ...but the tensors decide
    EXPECT_EQ(report["judge_head"]["projection"], false);
    EXPECT_EQ(report["judge_head"]["decoder_layers"], 4);
    EXPECT_EQ(report["encoder_config"]["architecture"], "XLMRobertaLoRA");
    EXPECT_EQ(report["encoder_config"]["values"]["rotary_emb_base"], 20000.0);
}

TEST(InspectCli, JinaJudgeFull512) {
    ScratchDir dir;
    Json report = make_and_inspect(dir, "jina-judge", "full-512");
    EXPECT_EQ(report["parameters"], 588609407);
    EXPECT_EQ(report["weights"]["bytes"], 1209816836);
    EXPECT_EQ(report["judge_head"]["decoder_width"], 512);
    EXPECT_EQ(report["judge_head"]["projection"], true);
    EXPECT_EQ(report["judge_head"]["decoder_layers"], 5);
}

TEST(InspectCli, BareSafetensorsFileAndConfigOnlyFolder) {
    ScratchDir dir;
    auto made = run_gavel({"make-model", "--arch", "qwen2", "--size", "tiny", "--out", (dir / "m").string()}, dir.path());
    ASSERT_EQ(made.status, 0) << made.err;
    auto file = run_gavel({"inspect", (dir / "m" / "model.safetensors").string(), "--json"}, dir.path());
    ASSERT_EQ(file.status, 0) << file.err;
    EXPECT_EQ(Json::parse(file.out)["parameters"], 19534400);
    std::filesystem::create_directories(dir / "config-only");
    std::filesystem::copy_file(dir / "m" / "config.json", dir / "config-only" / "config.json");
    auto config_only = run_gavel({"inspect", (dir / "config-only").string()}, dir.path());
    ASSERT_EQ(config_only.status, 0) << config_only.err;
    EXPECT_NE(config_only.out.find("weights       none"), std::string::npos);
}

// Every error is one line on stderr, "gavel inspect: error: FILE: what", with exit status 1.
void expect_one_line_error(const testing::CliResult& r, const std::string& starts, const std::string& contains) {
    EXPECT_EQ(r.status, 1);
    EXPECT_TRUE(r.out.empty()) << r.out;
    ASSERT_FALSE(r.err.empty());
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
    EXPECT_EQ(r.err.rfind(fmt::format("gavel inspect: error: {}", starts), 0), 0u) << r.err;
    EXPECT_NE(r.err.find(contains), std::string::npos) << r.err;
}

class CorruptSafetensorsCli : public ::testing::TestWithParam<testing::CorruptSafetensorsCase> {};

TEST_P(CorruptSafetensorsCli, OneLineErrorExitOne) {
    ScratchDir dir;
    std::filesystem::create_directories(dir / "model");
    auto file = dir / "model" / "model.safetensors";
    testing::write_bytes(file, GetParam().bytes);
    expect_one_line_error(run_gavel({"inspect", (dir / "model").string()}, dir.path()), file.string() + ": ",
                          GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(Each, CorruptSafetensorsCli, ::testing::ValuesIn(testing::corrupt_safetensors_cases()),
                         [](const auto& info) { return std::string(info.param.name); });

class ShardedCli : public ::testing::Test {
protected:
    void SetUp() override {
        auto made = run_gavel({"make-model", "--arch", "qwen2", "--size", "7b", "--fill", "zeros", "--out", model.string()},
                              dir.path());
        ASSERT_EQ(made.status, 0) << made.err;
    }
    void rewrite_index(const std::string& from, const std::string& to) {
        std::string text = testing::read_bytes(model / "model.safetensors.index.json");
        auto at = text.find(from);
        ASSERT_NE(at, std::string::npos);
        testing::write_bytes(model / "model.safetensors.index.json", text.replace(at, from.size(), to));
    }
    ScratchDir dir;
    std::filesystem::path model = dir / "conj";
};

TEST_F(ShardedCli, MissingShard) {
    std::filesystem::remove(model / "model-00003-of-00004.safetensors");
    expect_one_line_error(run_gavel({"inspect", model.string()}, dir.path()),
                          (model / "model.safetensors.index.json").string() + ": ",
                          "shard 'model-00003-of-00004.safetensors' (holding tensor 'model.layers.18.input_layernorm.weight' "
                          "and maybe more) is missing");
}

TEST_F(ShardedCli, WrongTotalSize) {
    rewrite_index("\"total_size\": 15231233024", "\"total_size\": 15231233025");
    expect_one_line_error(run_gavel({"inspect", model.string()}, dir.path()),
                          (model / "model.safetensors.index.json").string() + ": ",
                          "metadata.total_size is 15231233025 but the listed tensors hold 15231233024 bytes");
}

TEST_F(ShardedCli, TensorListedInWrongShard) {
    rewrite_index("\"model.norm.weight\": \"model-00003-of-00004.safetensors\"",
                  "\"model.norm.weight\": \"model-00004-of-00004.safetensors\"");
    expect_one_line_error(run_gavel({"inspect", model.string()}, dir.path()),
                          (model / "model-00004-of-00004.safetensors").string() + ": ",
                          "tensor 'model.norm.weight' is listed in model.safetensors.index.json but is not in this shard");
}

TEST(InspectCli, BadModelArguments) {
    ScratchDir dir;
    // A missing path is reported by model resolution (it is not a hub repo id either).
    expect_one_line_error(run_gavel({"inspect", (dir / "absent").string()}, dir.path()),
                          fmt::format("model directory '{}'", (dir / "absent").string()), "does not exist");
    std::filesystem::create_directories(dir / "empty");
    expect_one_line_error(run_gavel({"inspect", (dir / "empty").string()}, dir.path()), (dir / "empty").string(),
                          ": not a model folder: it has no config.json and no .safetensors file");
    testing::write_bytes(dir / "notes.txt", "x");
    expect_one_line_error(run_gavel({"inspect", (dir / "notes.txt").string()}, dir.path()), (dir / "notes.txt").string(),
                          ": not a model: expected a folder, a .safetensors file or a .safetensors.index.json");
    std::filesystem::create_directories(dir / "llama");
    testing::write_bytes(dir / "llama" / "config.json", R"({"architectures": ["LlamaForCausalLM"], "model_type": "llama"})");
    expect_one_line_error(run_gavel({"inspect", (dir / "llama").string()}, dir.path()), (dir / "llama" / "config.json").string(),
                          ": unsupported architecture 'LlamaForCausalLM' (model_type \"llama\"); supported: "
                          "Qwen2ForCausalLM (Qwen2, Qwen2.5), XLMRobertaLoRA (jina-embeddings-v3), JinaJudge");
    auto usage = run_gavel({"inspect"}, dir.path());
    EXPECT_EQ(usage.status, 2);
}

}  // namespace
}  // namespace gavel
