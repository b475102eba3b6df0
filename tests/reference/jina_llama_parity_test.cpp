// The jina-embeddings-v3 encoder against llama.cpp (architecture jina-bert-v3, node-llama-cpp's
// prebuilt library) on the tiny random-weight checkpoint: mean-pooled embeddings of five inputs
// of 10 to 2000 tokens, without and with a task adapter.
//
// The two known differences between llama.cpp and the model are handled explicitly, never by a
// looser tolerance:
// - GELU: llama.cpp's BERT graphs compute the tanh approximation (ggml_gelu); the model uses erf.
//   gavel is run here with its tanh GELU (XlmRobertaEncoder::LoadOptions::gelu) so both compute
//   the same function.
// - LoRA on token_type_embeddings: llama.cpp's adapter path ignores it. The GGUF carries the task
//   adapter merged into every weight instead, the token-type table included
//   (tests/reference/jina_gguf.py, an independent numpy merge), so llama.cpp sees the adapted
//   model. The GGUF stores the BF16 weights as F32 (same values): with BF16 weights llama.cpp would
//   round the activations to BF16 before each product, which neither gavel nor the reference does.
// What remains is llama.cpp's own arithmetic (its GELU looks values up in an f16 table, RoPE
// angles by repeated multiplication, other summation orders).
//
// The test-model writer's weights (std 0.02) keep attention nearly uniform and GELU inputs small,
// where RoPE's layout or the GELU form barely show. So the task case is also run on the same
// checkpoint with its encoder weights scaled up (write_scaled_encoder): attention is sharp and GELU
// works in its curved part.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "backend/cpu/matmul.hpp"
#include "models/xlm_roberta.hpp"
#include "../models/jina_test_model.hpp"

namespace gavel {
namespace {

using namespace gavel::testing;

#ifdef GAVEL_LLAMA_EMBED

constexpr int64_t kLengths[] = {10, 137, 512, 1203, 2000};
constexpr const char* kTask = "text-matching";

class JinaLlamaParity : public ::testing::Test {
protected:
    struct Peer {
        std::vector<std::vector<float>> base, task, scaled_task;  // llama.cpp embeddings per input
        std::filesystem::path scaled_dir;                        // the scaled-up checkpoint
    };

    static const Peer& peer() {
        static const Peer p = run_peer();
        return p;
    }

    static std::vector<std::vector<int32_t>> inputs() {
        std::vector<std::vector<int32_t>> out;
        uint32_t seed = 100;
        for (int64_t n : kLengths) out.push_back(random_token_ids(n, seed++));
        return out;
    }

    static Peer run_peer() {
        const auto& m = tiny_jina_judge();
        const auto dir = m.dir / "llama";
        std::filesystem::create_directories(dir);
        {
            std::ofstream ids(dir / "ids.txt");
            for (const auto& seq : inputs()) {
                for (size_t i = 0; i < seq.size(); ++i) ids << (i ? " " : "") << seq[i];
                ids << "\n";
            }
        }
        const std::string script = std::string(GAVEL_SOURCE_DIR) + "/tests/reference/jina_gguf.py";
        const std::string env = "PYTHONPATH=" + shell_quoted(std::string(GAVEL_LLAMA_SOURCE) + "/gguf-py") + " ";
        auto embeddings = [&](const std::string& name, const std::filesystem::path& checkpoint,
                              const std::string& task_arg) {
            const auto gguf = dir / (name + ".gguf"), out = dir / (name + ".f32");
            EXPECT_EQ(run_command(env + python() + " " + shell_quoted(script) + " " + shell_quoted(checkpoint) + " " +
                                  shell_quoted(m.dir / "encoder/config.json") + " " + shell_quoted(gguf) + task_arg),
                      0);
            // One thread by default: ggml's spinning workers crawl on a machine busy with other jobs.
            const char* threads = std::getenv("GAVEL_PEER_THREADS");
            EXPECT_EQ(run_command(shell_quoted(GAVEL_LLAMA_EMBED) + " " + shell_quoted(gguf) + " " +
                                  shell_quoted(dir / "ids.txt") + " " + shell_quoted(out) + " " +
                                  (threads ? threads : "1") + " >/dev/null"),
                      0);
            auto flat = read_f32(out);
            std::vector<std::vector<float>> per_input;
            const size_t dim = size_t(m.encoder_config.hidden_size);
            for (size_t i = 0; i + dim <= flat.size(); i += dim)
                per_input.emplace_back(flat.begin() + i, flat.begin() + i + dim);
            std::filesystem::remove(gguf);
            return per_input;
        };
        Peer peer;
        const std::string task_arg = std::string(" --task ") + kTask;
        peer.base = embeddings("base", m.dir, "");
        peer.task = embeddings("task", m.dir, task_arg);
        peer.scaled_dir = write_scaled_encoder(m, dir / "scaled");
        peer.scaled_task = embeddings("scaled-task", peer.scaled_dir, task_arg);
        return peer;
    }

    struct Agreement {
        double cosine = 0, max_abs = 0;
    };
    static Agreement compare(const std::vector<float>& a, const std::vector<float>& b) {
        double dot = 0, na = 0, nb = 0, mx = 0;
        for (size_t i = 0; i < a.size(); ++i) {
            dot += double(a[i]) * b[i];
            na += double(a[i]) * a[i];
            nb += double(b[i]) * b[i];
            mx = std::max(mx, std::abs(double(a[i]) - b[i]));
        }
        return {dot / std::sqrt(na * nb), mx};
    }

    // gavel's embedding of every input, each run alone.
    static std::vector<std::vector<float>> gavel_embeddings(const XlmRobertaEncoder& enc) {
        ThreadPool pool(2);
        std::vector<std::vector<float>> out;
        for (auto& seq : inputs()) out.push_back(enc.embed(pool, TokenBatch::pad(std::span(&seq, 1), 1)));
        return out;
    }

    static void expect_parity(const char* label, const std::vector<std::vector<float>>& ours,
                              const std::vector<std::vector<float>>& theirs) {
        ASSERT_EQ(theirs.size(), ours.size()) << "llama.cpp gave " << theirs.size() << " embeddings";
        for (size_t i = 0; i < ours.size(); ++i) {
            auto a = compare(ours[i], theirs[i]);
            std::printf("llama.cpp parity %-14s %5lld tokens: cosine %.8f  max|d| %.3g\n", label,
                        static_cast<long long>(kLengths[i]), a.cosine, a.max_abs);
            EXPECT_GE(a.cosine, 0.9999) << label << " input " << i;
            EXPECT_LE(a.max_abs, 2e-3) << label << " input " << i;
        }
    }
};

TEST_F(JinaLlamaParity, MeanPooledEmbeddingsWithoutTask) {
    const auto& m = tiny_jina_judge();
    auto enc = XlmRobertaEncoder::load(m.checkpoint, m.encoder_config, {std::nullopt, GeluKind::Tanh});
    expect_parity("no task", gavel_embeddings(enc), peer().base);
}

TEST_F(JinaLlamaParity, MeanPooledEmbeddingsWithTaskAdapter) {
    const auto& m = tiny_jina_judge();
    auto enc = XlmRobertaEncoder::load(m.checkpoint, m.encoder_config, {kTask, GeluKind::Tanh});
    expect_parity(kTask, gavel_embeddings(enc), peer().task);
}

TEST_F(JinaLlamaParity, MeanPooledEmbeddingsWithTaskAdapterOnScaledWeights) {
    const auto& m = tiny_jina_judge();
    auto checkpoint = Checkpoint::open(peer().scaled_dir);
    auto enc = XlmRobertaEncoder::load(checkpoint, m.encoder_config, {kTask, GeluKind::Tanh});
    auto ours = gavel_embeddings(enc);
    expect_parity("scaled", ours, peer().scaled_task);
    // Here the GELU form matters: the model's own erf GELU is visibly off llama.cpp's tanh one,
    // which is why the comparison runs gavel with tanh.
    auto erf = XlmRobertaEncoder::load(checkpoint, m.encoder_config, {kTask, GeluKind::Erf});
    auto with_erf = gavel_embeddings(erf);
    double worst = 0;
    for (size_t i = 0; i < with_erf.size(); ++i) worst = std::max(worst, compare(with_erf[i], peer().scaled_task[i]).max_abs);
    std::printf("scaled, with erf GELU instead: max|d| %.3g\n", worst);
}

// The comparison can fail: the adapter's effect is far above the tolerance, so an encoder that
// dropped or misapplied it would not pass.
TEST_F(JinaLlamaParity, TheAdapterIsVisibleAtThisTolerance) {
    const auto& m = tiny_jina_judge();
    auto enc = XlmRobertaEncoder::load(m.checkpoint, m.encoder_config, {std::nullopt, GeluKind::Tanh});
    auto ours = gavel_embeddings(enc);
    ASSERT_EQ(peer().task.size(), ours.size());
    for (size_t i = 0; i < ours.size(); ++i) {
        auto a = compare(ours[i], peer().task[i]);
        std::printf("base encoder vs llama.cpp with %s, %lld tokens: max|d| %.3g\n", kTask,
                    static_cast<long long>(kLengths[i]), a.max_abs);
        EXPECT_GT(a.max_abs, 2e-3);
    }
}

#else

TEST(JinaLlamaParity, NeedsLlamaCpp) {
    GTEST_SKIP() << "llama.cpp test peer not built: run tools/setup.sh (npm node-llama-cpp) and reconfigure";
}

#endif

}  // namespace
}  // namespace gavel
