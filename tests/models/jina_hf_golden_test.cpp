// gavel's JinaJudge against Hugging Face transformers' own jina-embeddings-v3 model
// (JinaEmbeddingsV3Model) and PyTorch's nn.TransformerDecoder head, float32 on an NVIDIA GPU,
// through golden outputs committed in tests/data/models/jina_hf_golden (written once by
// tests/reference/hf_jina_golden.py on the lent GPU machine; see its README). No Python here: CI
// checks these numbers forever.
//
// The checkpoint is tiny_jina_judge() (`gavel make-model --arch jina-judge --size tiny --seed 7`),
// regenerated bit for bit from its seed. Cases: the weights as generated, with and without the
// text-matching adapter; the same with encoder and head scaled up (write_scaled_encoder /
// write_scaled_head), where attention is sharp and the logits depend on the input. Three
// sequences (7, 61 and 200 tokens) go through as one padded batch. Tolerance: 1e-4 on every
// encoder state, pooled embedding and logit.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "core/json.hpp"
#include "core/thread_pool.hpp"
#include "models/jina_judge.hpp"
#include "models/xlm_roberta.hpp"
#include "jina_test_model.hpp"
#include "max_abs_diff.hpp"

namespace gavel {
namespace {

using namespace gavel::testing;

const std::filesystem::path kGolden = std::filesystem::path(GAVEL_TEST_DATA) / "models" / "jina_hf_golden";
constexpr double kTolerance = 1e-4;
constexpr float kHeadScale = 25.0f;

struct Golden {
    Json manifest;
    std::vector<float> values;

    static const Golden& get() {
        static const Golden g = [] {
            Golden out;
            out.manifest = read_json_file((kGolden / "manifest.json").string());
            out.values = read_f32(kGolden / out.manifest.at("values").get<std::string>());
            return out;
        }();
        return g;
    }

    // The array a case entry names, checked against the file's size.
    std::vector<float> array(const Json& entry) const {
        const auto offset = entry.at("offset").get<size_t>(), count = entry.at("count").get<size_t>();
        if (offset + count > values.size()) {
            ADD_FAILURE() << "manifest.json names values [" << offset << ", " << offset + count << ") beyond the "
                          << values.size() << " in the file";
            return {};
        }
        return {values.begin() + std::ptrdiff_t(offset), values.begin() + std::ptrdiff_t(offset + count)};
    }

    const Json& case_named(const std::string& name) const {
        for (const auto& c : manifest.at("cases"))
            if (c.at("name") == name) return c;
        throw std::runtime_error("manifest.json has no case " + name);
    }
};

using testing::max_abs_diff;

class JinaHfGolden : public ::testing::Test {
protected:
    void SetUp() override {
        if (std::getenv("GAVEL_JINA_TEST_MODEL"))
            GTEST_SKIP() << "the golden outputs belong to the tiny model, not GAVEL_JINA_TEST_MODEL";
    }

    // The states of each sequence's own tokens, concatenated, as the golden file keeps them.
    static std::vector<float> unpadded(const std::vector<float>& states, const TokenBatch& batch, int64_t hidden) {
        std::vector<float> out;
        for (int64_t b = 0; b < batch.batch; ++b) {
            const float* row = states.data() + b * batch.seq_len * hidden;
            out.insert(out.end(), row, row + batch.lengths[size_t(b)] * hidden);
        }
        return out;
    }

    void check_case(const std::string& name) {
        const Golden& golden = Golden::get();
        const Json& c = golden.case_named(name);
        const auto& m = tiny_jina_judge();
        const bool scaled = c.at("scaled").get<bool>();
        const auto scaled_dir = m.dir / "hf-golden-scaled";
        if (scaled && !std::filesystem::exists(scaled_dir / "encoder" / "model.safetensors")) {
            write_scaled_encoder(m, scaled_dir / "encoder");
            write_scaled_head(m, kHeadScale, scaled_dir / "head");
        }
        const Checkpoint encoder_ckpt = scaled ? Checkpoint::open(scaled_dir / "encoder") : Checkpoint::open(m.dir);
        XlmRobertaEncoder::LoadOptions options;
        if (!c.at("task").is_null()) options.task = c.at("task").get<std::string>();
        const auto encoder = XlmRobertaEncoder::load(encoder_ckpt, m.encoder_config, options);

        const auto inputs = golden.manifest.at("inputs").get<std::vector<std::vector<int32_t>>>();
        const auto batch = TokenBatch::pad(inputs, 1);
        ThreadPool pool(2);
        const auto states = encoder.forward(pool, batch);
        const int64_t hidden = m.encoder_config.hidden_size;

        const double states_diff = max_abs_diff(unpadded(states, batch, hidden), golden.array(c.at("states")));
        const double pooled_diff =
            max_abs_diff(mean_pool(states.data(), batch, hidden), golden.array(c.at("pooled")));
        std::printf("%s vs transformers %s: states max|d| %.3g, pooled max|d| %.3g", name.c_str(),
                    golden.manifest.at("transformers").get<std::string>().c_str(), states_diff, pooled_diff);
        EXPECT_LE(states_diff, kTolerance) << name;
        EXPECT_LE(pooled_diff, kTolerance) << name;

        if (c.contains("logits")) {
            const Checkpoint head_ckpt = scaled ? Checkpoint::open(scaled_dir / "head") : Checkpoint::open(m.dir);
            const auto head = JinaJudgeHead::load(head_ckpt, hidden, m.judge_config.nhead,
                                                  m.judge_config.num_decoder_layers, m.judge_config.n_classes);
            const auto logits = head.logits(pool, states.data(), batch.mask.data(), batch.batch, batch.seq_len);
            const auto theirs = golden.array(c.at("logits"));
            const double logits_diff = max_abs_diff(logits, theirs);
            std::printf(", logits max|d| %.3g", logits_diff);
            EXPECT_LE(logits_diff, kTolerance) << name;
            // The verdict (argmax) of every sequence is the same too.
            for (size_t b = 0; b + 3 <= std::min(logits.size(), theirs.size()); b += 3) {
                auto argmax = [&](const std::vector<float>& v) {
                    return std::max_element(v.begin() + std::ptrdiff_t(b), v.begin() + std::ptrdiff_t(b + 3)) - v.begin();
                };
                EXPECT_EQ(argmax(logits), argmax(theirs)) << name << " sequence " << b / 3;
            }
        }
        std::printf("\n");
    }
};

TEST_F(JinaHfGolden, ManifestDescribesTheTinyModel) {
    const auto& manifest = Golden::get().manifest;
    EXPECT_EQ(manifest.at("checkpoint").get<std::string>(), "gavel make-model --arch jina-judge --size tiny --seed 7");
    EXPECT_EQ(manifest.at("head_scale").get<double>(), double(kHeadScale));
    EXPECT_EQ(tiny_jina_judge().encoder_config.hidden_size, 64);
    // Four cases, every array inside values.f32 and of the size its shape says.
    EXPECT_EQ(manifest.at("cases").size(), 4u);
    for (const auto& c : manifest.at("cases"))
        for (const char* part : {"states", "pooled", "logits"}) {
            if (!c.contains(part)) continue;
            size_t elements = 1;
            for (const auto& d : c.at(part).at("shape")) elements *= d.get<size_t>();
            EXPECT_EQ(elements, c.at(part).at("count").get<size_t>()) << c.at("name") << " " << part;
            EXPECT_EQ(Golden::get().array(c.at(part)).size(), elements) << c.at("name") << " " << part;
        }
}

TEST_F(JinaHfGolden, WeightsAsGenerated) { check_case("as-generated"); }
TEST_F(JinaHfGolden, WeightsAsGeneratedWithTaskAdapter) { check_case("as-generated-task"); }
TEST_F(JinaHfGolden, ScaledWeights) { check_case("scaled"); }
TEST_F(JinaHfGolden, ScaledWeightsWithTaskAdapter) { check_case("scaled-task"); }

}  // namespace
}  // namespace gavel
