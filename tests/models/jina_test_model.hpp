// Tiny random-weight JinaJudge checkpoints for the jina tests, written once per test process by
// the test-model writer (what `gavel make-model --arch jina-judge --size tiny` writes) into a
// temporary folder that is removed at exit. GAVEL_JINA_TEST_MODEL=DIR makes tiny_jina_judge()
// use an existing `gavel make-model --arch jina-judge` folder instead (the full-shape check,
// tests/reference/jina_full_parity.sh); the parity tests then write their files into it.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "backend/cpu/matmul.hpp"
#include "io/checkpoint.hpp"
#include "io/model_config.hpp"
#include "io/safetensors_writer.hpp"
#include "io/test_model_writer.hpp"

namespace gavel::testing {

struct JinaTestModel {
    std::filesystem::path dir;
    bool generated;
    Checkpoint checkpoint;
    JinaJudgeConfig judge_config;
    JinaEmbeddingsConfig encoder_config;

    // Writes `spec` into a fresh temporary folder.
    JinaTestModel(const std::string& name, const TestModelSpec& spec)
        : JinaTestModel(std::filesystem::path(::testing::TempDir()) / ("gavel-" + name + "-" + std::to_string(::getpid())),
                        &spec) {}
    // Opens the model in `existing`, written earlier by gavel make-model.
    explicit JinaTestModel(const std::filesystem::path& existing) : JinaTestModel(existing, nullptr) {}
    ~JinaTestModel() {
        std::error_code ec;
        if (generated) std::filesystem::remove_all(dir, ec);
    }

private:
    JinaTestModel(std::filesystem::path folder, const TestModelSpec* spec)
        : dir(std::move(folder)),
          generated(spec != nullptr),
          checkpoint((spec ? (std::filesystem::remove_all(dir), write_test_model(*spec, dir), 0) : 0, Checkpoint::open(dir))),
          judge_config(std::get<JinaJudgeConfig>(read_model_config(dir))),
          encoder_config(std::get<JinaEmbeddingsConfig>(read_model_config(dir / "encoder"))) {}
};

inline constexpr uint64_t kJinaTestSeed = 7;

// `gavel make-model --arch jina-judge --size tiny --seed 7`: real vocabulary (250,002), encoder
// 64 wide with 2 layers and 5 rank-4 task adapters, head of the original layout (no projection).
inline const JinaTestModel& tiny_jina_judge() {
    static const auto model = [] {
        if (const char* dir = std::getenv("GAVEL_JINA_TEST_MODEL")) return std::make_unique<JinaTestModel>(dir);
        auto spec = jina_judge_test_spec("tiny");
        spec.seed = kJinaTestSeed;
        return std::make_unique<JinaTestModel>("jina-tiny", spec);
    }();
    return *model;
}

// The same encoder with the later variants' head layout: a projection to a narrower decoder
// (here 64 -> 32) and classification_head without the nn.Sequential index.
inline const JinaTestModel& tiny_projected_jina_judge() {
    static const JinaTestModel model("jina-tiny-projected", [] {
        auto spec = jina_judge_test_spec("tiny");
        spec.seed = kJinaTestSeed + 1;
        auto& shape = std::get<JinaJudgeTestShape>(spec.shape);
        shape.decoder_width = 32;
        shape.decoder_ffn = 48;
        shape.judge.num_decoder_layers = 3;
        return spec;
    }());
    return model;
}

// The test-model writer's weights (std 0.02, as HF initialises) keep attention nearly uniform, GELU
// inputs small and the head nearly blind to its input. The peer checks therefore also run on copies
// scaled up, written by these two (tests/reference/jina_checkpoint.py's ScaledCheckpoint does the
// same on the Python side):
//   encoder (`encoder.*`): weights x 16/sqrt(hidden/64) rounded down to a power of two (16 at width
//     64, 4 at 1024), each LoRA factor by its square root, LayerNorms kept: powers of two, so every
//     BF16 value stays exact; attention is sharp and GELU works in its curved part;
//   head (the rest): x `factor`, the norms and the learned query kept.
// Each writes DIR/model.safetensors with that part alone and returns DIR.
inline std::filesystem::path write_scaled_encoder(const JinaTestModel& m, const std::filesystem::path& dir) {
    const float weight_factor =
        std::exp2(std::floor(std::log2(16.0 / std::sqrt(double(m.encoder_config.hidden_size) / 64.0))));
    const float lora_factor = std::exp2(std::floor(std::log2(weight_factor) / 2));
    SafetensorsWriter writer;
    for (const auto& name : m.checkpoint.names()) {
        if (name.rfind("encoder.", 0) != 0) continue;
        const TensorView& t = m.checkpoint.tensor(name);
        float factor = name.find(".lora_") != std::string::npos ? lora_factor : weight_factor;
        if (name.find("emb_ln.") != std::string::npos || name.find(".norm1.") != std::string::npos ||
            name.find(".norm2.") != std::string::npos)
            factor = 1;
        std::vector<float> values(size_t(t.numel()));
        cpu::to_f32(t, values.data());
        for (auto& v : values) v *= factor;
        writer.add_floats(name, t.dtype, t.shape, values);
    }
    std::filesystem::create_directories(dir);
    writer.write(dir / "model.safetensors");
    return dir;
}

inline std::filesystem::path write_scaled_head(const JinaTestModel& m, float factor, const std::filesystem::path& dir) {
    SafetensorsWriter writer;
    for (const auto& name : m.checkpoint.names()) {
        if (name.rfind("encoder.", 0) == 0) continue;
        const TensorView& t = m.checkpoint.tensor(name);
        std::vector<float> values(size_t(t.numel()));
        cpu::to_f32(t, values.data());
        if (name.find(".norm") == std::string::npos && name != "decoder_input_embedding")
            for (auto& v : values) v *= factor;
        writer.add_floats(name, DType::F32, t.shape, values);
    }
    std::filesystem::create_directories(dir);
    writer.write(dir / "model.safetensors");
    return dir;
}

// <s> + `n - 2` random ordinary ids + </s>.
inline std::vector<int32_t> random_token_ids(int64_t n, uint32_t seed, int32_t vocab = 250002) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int32_t> id(3, vocab - 2);
    std::vector<int32_t> ids = {0};
    for (int64_t i = 2; i < n; ++i) ids.push_back(id(rng));
    ids.push_back(2);
    return ids;
}

// Raw little-endian f32 in and out of files, for the Python and llama.cpp peers.
inline void write_f32(const std::filesystem::path& path, const std::vector<float>& values) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(values.data()), std::streamsize(values.size() * sizeof(float)));
}
inline std::vector<float> read_f32(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) return {};
    std::vector<float> values(size_t(in.tellg()) / sizeof(float));
    in.seekg(0);
    in.read(reinterpret_cast<char*>(values.data()), std::streamsize(values.size() * sizeof(float)));
    return values;
}

// `path` quoted for the shell.
inline std::string shell_quoted(const std::filesystem::path& path) {
    std::string out = "'";
    out += path.string();
    out += '\'';
    return out;
}

// Runs `command` through the shell; returns its exit status (and prints it when non-zero).
inline int run_command(const std::string& command) {
    int rc = std::system(command.c_str());
    int status = WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
    if (status != 0) std::fprintf(stderr, "command failed (%d): %s\n", status, command.c_str());
    return status;
}

// Debian's Python with numpy and torch (tools/setup.sh); GAVEL_PYTHON overrides.
inline std::string python() {
    const char* p = std::getenv("GAVEL_PYTHON");
    return p ? p : "/usr/bin/python3";
}

// Whether python() can import `modules` ("numpy, torch"); the peers' tests skip when not.
inline bool python_has(const std::string& modules) {
    return std::system((python() + " -c 'import " + modules + "' 2>/dev/null").c_str()) == 0;
}

}  // namespace gavel::testing
