// A small random-weight Qwen2 checkpoint (config.json + model.safetensors) for the model and engine
// tests, plus a double-precision reference forward written straight from models.md §1.4.
// Stand-in until io's test-model writer (gavel make-model) lands; then only the reference stays.
#pragma once

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "io/safetensors_writer.hpp"

namespace gavel::testing {

struct TinyQwen2 {
    int64_t hidden = 32, intermediate = 48, layers = 2, heads = 4, kv_heads = 2, vocab = 96, max_positions = 256;
    double theta = 10000.0, eps = 1e-6;
    bool tied = false;
    DType dtype = DType::F32;
    uint32_t seed = 7;

    int64_t head_dim() const { return hidden / heads; }

    // name -> values (as stored, i.e. already rounded to dtype)
    std::map<std::string, std::vector<float>> weights() const {
        std::mt19937 rng(seed);
        std::normal_distribution<float> normal(0.0f, 1.0f);
        std::map<std::string, std::vector<float>> w;
        auto random = [&](const std::string& name, int64_t n, float scale, float offset = 0) {
            std::vector<float> v(static_cast<size_t>(n));
            for (auto& x : v) x = offset + scale * normal(rng);
            std::vector<uint8_t> bytes(v.size() * dtype_size(dtype));
            encode_floats(v, dtype, bytes.data());
            if (dtype == DType::BF16)
                for (size_t i = 0; i < v.size(); ++i) v[i] = bf16_to_f32(uint16_t(bytes[2 * i] | bytes[2 * i + 1] << 8));
            w[name] = v;
        };
        const int64_t D = hidden, F = intermediate, q = heads * head_dim(), kv = kv_heads * head_dim();
        random("model.embed_tokens.weight", vocab * D, 1.0f);
        for (int64_t l = 0; l < layers; ++l) {
            std::string p = "model.layers." + std::to_string(l) + ".";
            random(p + "input_layernorm.weight", D, 0.1f, 1.0f);
            random(p + "self_attn.q_proj.weight", q * D, 0.3f);
            random(p + "self_attn.q_proj.bias", q, 0.1f);
            random(p + "self_attn.k_proj.weight", kv * D, 0.3f);
            random(p + "self_attn.k_proj.bias", kv, 0.1f);
            random(p + "self_attn.v_proj.weight", kv * D, 0.3f);
            random(p + "self_attn.v_proj.bias", kv, 0.1f);
            random(p + "self_attn.o_proj.weight", D * q, 0.2f);
            random(p + "post_attention_layernorm.weight", D, 0.1f, 1.0f);
            random(p + "mlp.gate_proj.weight", F * D, 0.2f);
            random(p + "mlp.up_proj.weight", F * D, 0.2f);
            random(p + "mlp.down_proj.weight", D * F, 0.2f);
        }
        random("model.norm.weight", D, 0.1f, 1.0f);
        if (!tied) random("lm_head.weight", vocab * D, 0.2f);
        return w;
    }

    std::vector<int64_t> shape_of(const std::string& name) const {
        const int64_t D = hidden, F = intermediate, q = heads * head_dim(), kv = kv_heads * head_dim();
        auto ends = [&](const char* s) { return name.size() >= std::strlen(s) && name.compare(name.size() - std::strlen(s), std::string::npos, s) == 0; };
        if (ends("embed_tokens.weight") || ends("lm_head.weight")) return {vocab, D};
        if (ends("norm.weight")) return {D};
        if (ends("q_proj.weight")) return {q, D};
        if (ends("q_proj.bias")) return {q};
        if (ends("k_proj.weight") || ends("v_proj.weight")) return {kv, D};
        if (ends("k_proj.bias") || ends("v_proj.bias")) return {kv};
        if (ends("o_proj.weight")) return {D, q};
        if (ends("gate_proj.weight") || ends("up_proj.weight")) return {F, D};
        if (ends("down_proj.weight")) return {D, F};
        return {};
    }

    Json config() const {
        return Json{{"architectures", {"Qwen2ForCausalLM"}}, {"model_type", "qwen2"}, {"hidden_size", hidden},
                    {"intermediate_size", intermediate}, {"num_hidden_layers", layers}, {"num_attention_heads", heads},
                    {"num_key_value_heads", kv_heads}, {"vocab_size", vocab}, {"max_position_embeddings", max_positions},
                    {"rope_theta", theta}, {"rms_norm_eps", eps}, {"tie_word_embeddings", tied}, {"hidden_act", "silu"},
                    {"use_sliding_window", false}, {"bos_token_id", 0}, {"eos_token_id", 1},
                    {"torch_dtype", dtype == DType::BF16 ? "bfloat16" : "float32"}};
    }

    void write(const std::filesystem::path& dir) const {
        std::filesystem::create_directories(dir);
        std::ofstream(dir / "config.json") << config().dump(2);
        SafetensorsWriter writer;
        for (const auto& [name, values] : weights()) writer.add_floats(name, dtype, shape_of(name), values);
        writer.set_metadata("format", "pt");
        writer.write(dir / "model.safetensors");
    }

    // Logits [tokens, vocab] of one sequence, in double, straight from the equations.
    std::vector<double> reference_logits(const std::vector<int32_t>& ids) const {
        auto w = weights();
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
