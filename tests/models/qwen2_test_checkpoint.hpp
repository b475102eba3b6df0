// A small random-weight Qwen2 checkpoint for the model and engine tests (written by io's test-model
// writer), plus a double-precision reference forward written straight from models.md §1.4, reading
// the very weights the checkpoint holds.
#pragma once

#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "backend/cpu/matmul.hpp"
#include "io/checkpoint.hpp"
#include "io/test_model_writer.hpp"

namespace gavel::testing {

struct TinyQwen2 {
    int64_t hidden = 32, intermediate = 48, layers = 2, heads = 4, kv_heads = 2, vocab = 96, max_positions = 256;
    double theta = 10000.0, eps = 1e-6;
    bool tied = false;
    DType dtype = DType::F32;
    uint64_t seed = 7;

    int64_t head_dim() const { return hidden / heads; }

    Qwen2Config config() const {
        Qwen2Config c;
        c.hidden_size = hidden;
        c.intermediate_size = intermediate;
        c.num_hidden_layers = layers;
        c.num_attention_heads = heads;
        c.num_key_value_heads = kv_heads;
        c.head_dim = head_dim();
        c.vocab_size = vocab;
        c.max_position_embeddings = max_positions;
        c.rope_theta = theta;
        c.rms_norm_eps = eps;
        c.tie_word_embeddings = tied;
        c.eos_token_ids = {1};
        c.bos_token_ids = {0};
        c.torch_dtype = dtype;
        return c;
    }

    void write(const std::filesystem::path& dir) const {
        TestModelSpec spec;
        spec.shape = config();
        spec.seed = seed;
        spec.dtype = dtype;
        write_test_model(spec, dir);
    }

    // Every tensor of the checkpoint in `dir`, as stored, widened to double.
    static std::map<std::string, std::vector<double>> weights(const std::filesystem::path& dir) {
        auto ckpt = Checkpoint::open(dir);
        std::map<std::string, std::vector<double>> w;
        for (const auto& name : ckpt.names()) {
            const TensorView& t = ckpt.tensor(name);
            std::vector<float> f(static_cast<size_t>(t.numel()));
            cpu::to_f32(t, f.data());
            w[name].assign(f.begin(), f.end());
        }
        return w;
    }

    // Logits [tokens, vocab] of one sequence, in double, straight from the equations.
    std::vector<double> reference_logits(const std::filesystem::path& dir, const std::vector<int32_t>& ids) const {
        auto w = weights(dir);
        const int64_t T = int64_t(ids.size()), D = hidden, F = intermediate, d = head_dim();
        const int64_t Hq = heads, Hkv = kv_heads, G = Hq / Hkv;
        using Mat = std::vector<double>;
        auto linear = [&](const Mat& x, const std::string& name, int64_t out, int64_t in, const std::string& bias) {
            const auto& W = w.at(name);
            Mat y(size_t(T * out));
            for (int64_t t = 0; t < T; ++t)
                for (int64_t o = 0; o < out; ++o) {
                    double s = bias.empty() ? 0.0 : w.at(bias)[size_t(o)];
                    for (int64_t i = 0; i < in; ++i) s += x[size_t(t * in + i)] * W[size_t(o * in + i)];
                    y[size_t(t * out + o)] = s;
                }
            return y;
        };
        auto rms = [&](const Mat& x, const std::string& name) {
            const auto& g = w.at(name);
            Mat y(x.size());
            for (int64_t t = 0; t < T; ++t) {
                double ss = 0;
                for (int64_t i = 0; i < D; ++i) ss += x[size_t(t * D + i)] * x[size_t(t * D + i)];
                double r = 1.0 / std::sqrt(ss / double(D) + eps);
                for (int64_t i = 0; i < D; ++i) y[size_t(t * D + i)] = x[size_t(t * D + i)] * r * g[size_t(i)];
            }
            return y;
        };
        auto rope = [&](Mat& x, int64_t nheads) {
            for (int64_t t = 0; t < T; ++t)
                for (int64_t h = 0; h < nheads; ++h) {
                    double* v = &x[size_t((t * nheads + h) * d)];
                    for (int64_t i = 0; i < d / 2; ++i) {
                        double inv = 1.0 / std::pow(theta, double(2 * i) / double(d));
                        double c = std::cos(double(t) * inv), s = std::sin(double(t) * inv);
                        double a = v[i], b = v[i + d / 2];
                        v[i] = a * c - b * s;
                        v[i + d / 2] = b * c + a * s;
                    }
                }
        };
        Mat h(size_t(T * D));
        for (int64_t t = 0; t < T; ++t)
            for (int64_t i = 0; i < D; ++i) h[size_t(t * D + i)] = w.at("model.embed_tokens.weight")[size_t(ids[size_t(t)] * D + i)];
        for (int64_t l = 0; l < layers; ++l) {
            std::string p = "model.layers." + std::to_string(l) + ".";
            Mat a = rms(h, p + "input_layernorm.weight");
            Mat q = linear(a, p + "self_attn.q_proj.weight", Hq * d, D, p + "self_attn.q_proj.bias");
            Mat k = linear(a, p + "self_attn.k_proj.weight", Hkv * d, D, p + "self_attn.k_proj.bias");
            Mat v = linear(a, p + "self_attn.v_proj.weight", Hkv * d, D, p + "self_attn.v_proj.bias");
            rope(q, Hq);
            rope(k, Hkv);
            Mat att(size_t(T * Hq * d), 0.0);
            for (int64_t t = 0; t < T; ++t)
                for (int64_t hh = 0; hh < Hq; ++hh) {
                    int64_t g = hh / G;
                    std::vector<double> s(size_t(t + 1));
                    double mx = -1e300;
                    for (int64_t j = 0; j <= t; ++j) {
                        double dot = 0;
                        for (int64_t i = 0; i < d; ++i) dot += q[size_t((t * Hq + hh) * d + i)] * k[size_t((j * Hkv + g) * d + i)];
                        s[size_t(j)] = dot / std::sqrt(double(d));
                        mx = std::max(mx, s[size_t(j)]);
                    }
                    double sum = 0;
                    for (auto& x : s) sum += x = std::exp(x - mx);
                    for (int64_t j = 0; j <= t; ++j)
                        for (int64_t i = 0; i < d; ++i)
                            att[size_t((t * Hq + hh) * d + i)] += s[size_t(j)] / sum * v[size_t((j * Hkv + g) * d + i)];
                }
            Mat o = linear(att, p + "self_attn.o_proj.weight", D, Hq * d, "");
            for (size_t i = 0; i < h.size(); ++i) h[i] += o[i];
            Mat m = rms(h, p + "post_attention_layernorm.weight");
            Mat gate = linear(m, p + "mlp.gate_proj.weight", F, D, "");
            Mat up = linear(m, p + "mlp.up_proj.weight", F, D, "");
            for (size_t i = 0; i < gate.size(); ++i) gate[i] = gate[i] / (1.0 + std::exp(-gate[i])) * up[i];
            Mat down = linear(gate, p + "mlp.down_proj.weight", D, F, "");
            for (size_t i = 0; i < h.size(); ++i) h[i] += down[i];
        }
        Mat n = rms(h, "model.norm.weight");
        return linear(n, tied ? "model.embed_tokens.weight" : "lm_head.weight", vocab, D, "");
    }
};

}  // namespace gavel::testing
