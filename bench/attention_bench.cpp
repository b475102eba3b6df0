// Attention kernels, old (per-query score rows, scalar-ish dots) against the fused tiled kernel,
// at the model shapes that matter: jina-v3 encoder (16 heads x 64, one bidirectional sequence of
// 1024 / 4096 tokens) and Qwen2-0.5B (14 query / 2 key-value heads x 64: prefill of 512 tokens,
// decode of one token over a 128 / 1024 / 4096-position cache). GFLOP/s counts 4 * d flops per
// (query head, visible key) pair: q.k and p.v, a multiply and an add each.
//
// kernel 2 of the jina shapes is the bf16 products (--attention bf16).
//
//   build/release/bench/attention_bench [--benchmark_filter=jina] [--benchmark_min_time=1]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "backend/cpu/attention_causal.hpp"
#include "backend/cpu/attention_encoder.hpp"
#include "core/thread_pool.hpp"

namespace {

using namespace gavel;
using namespace gavel::cpu;

// ---- the kernels before the tiled one (commit dfdbd28), kept here as the baseline ----------
namespace old {

float dot(const float* a, const float* b, int64_t n) {
    float s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
    return s;
}

void encoder(ThreadPool& pool, const AttentionShape& s, const AttentionInput& in, float scale, const uint8_t* mask,
             float* out) {
    const int64_t width = s.heads * s.head_dim;
    std::vector<std::vector<int32_t>> keys(size_t(s.batch));
    for (int64_t b = 0; b < s.batch; ++b)
        for (int64_t t = 0; t < s.kv_len; ++t)
            if (!mask || mask[b * s.kv_len + t]) keys[size_t(b)].push_back(int32_t(t));
    constexpr int64_t kQueryBlock = 16;
    const int64_t blocks = (s.q_len + kQueryBlock - 1) / kQueryBlock;
    pool.parallel_for(size_t(s.batch * s.heads * blocks), [&](size_t i0, size_t i1) {
        std::vector<float> scores;
        for (int64_t item = int64_t(i0); item < int64_t(i1); ++item) {
            const int64_t b = item / (s.heads * blocks), h = (item / blocks) % s.heads;
            const int64_t t0 = (item % blocks) * kQueryBlock, t1 = std::min(s.q_len, t0 + kQueryBlock);
            const auto& allowed = keys[size_t(b)];
            const int64_t n = int64_t(allowed.size());
            const float* kb = in.k + b * s.kv_len * in.k_stride + h * s.head_dim;
            const float* vb = in.v + b * s.kv_len * in.v_stride + h * s.head_dim;
            scores.resize(size_t(n));
            for (int64_t t = t0; t < t1; ++t) {
                const float* q = in.q + (b * s.q_len + t) * in.q_stride + h * s.head_dim;
                float* o = out + (b * s.q_len + t) * width + h * s.head_dim;
                std::fill(o, o + s.head_dim, 0.0f);
                float mx = -INFINITY, sum = 0;
                for (int64_t j = 0; j < n; ++j) {
                    scores[size_t(j)] = dot(q, kb + allowed[size_t(j)] * in.k_stride, s.head_dim) * scale;
                    mx = std::max(mx, scores[size_t(j)]);
                }
                for (int64_t j = 0; j < n; ++j) sum += scores[size_t(j)] = std::exp(scores[size_t(j)] - mx);
                for (int64_t j = 0; j < n; ++j) {
                    const float p = scores[size_t(j)] / sum;
                    const float* v = vb + allowed[size_t(j)] * in.v_stride;
#pragma omp simd
                    for (int64_t i = 0; i < s.head_dim; ++i) o[i] += p * v[i];
                }
            }
        }
    });
}

void causal(ThreadPool& pool, const CausalAttentionSequence& seq, int64_t q_heads, int64_t kv_heads, int64_t d,
            float scale) {
    const int64_t group = q_heads / kv_heads, q_row = q_heads * d, kv_row = kv_heads * d;
    pool.parallel_for(size_t(seq.tokens * q_heads), [&](size_t begin, size_t end) {
        std::vector<float> scores;
        for (size_t item = begin; item < end; ++item) {
            const int64_t t = int64_t(item) / q_heads, h = int64_t(item) % q_heads, g = h / group;
            const float* q = seq.q + t * q_row + h * d;
            const float* keys = seq.keys + g * d;
            const float* values = seq.values + g * d;
            float* out = seq.out + t * q_row + h * d;
            const int64_t visible = seq.first_position + t + 1;
            scores.resize(size_t(visible));
            float mx = -INFINITY, sum = 0;
            for (int64_t j = 0; j < visible; ++j) {
                scores[size_t(j)] = dot(q, keys + j * kv_row, d) * scale;
                mx = std::max(mx, scores[size_t(j)]);
            }
            for (int64_t j = 0; j < visible; ++j) sum += scores[size_t(j)] = std::exp(scores[size_t(j)] - mx);
            std::fill(out, out + d, 0.0f);
            for (int64_t j = 0; j < visible; ++j) {
                const float p = scores[size_t(j)] / sum;
                const float* v = values + j * kv_row;
#pragma omp simd
                for (int64_t i = 0; i < d; ++i) out[i] += p * v[i];
            }
        }
    });
}

}  // namespace old

std::vector<float> random_values(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::vector<float> v(n);
    for (auto& x : v) x = dist(rng);
    return v;
}

// Args: {tokens, threads, kernel: 0 old, 1 tiled f32, 2 tiled bf16 (AMX or AVX512-BF16 where the
// CPU has them, else f32)}.
void jina_encoder(benchmark::State& state) {
    const int64_t n = state.range(0), heads = 16, d = 64, width = heads * d;
    ThreadPool pool(size_t(state.range(1)));
    const bool tiled = state.range(2) != 0;
    const AttentionPrecision precision = state.range(2) == 2 ? AttentionPrecision::BF16 : AttentionPrecision::F32;
    auto qkv = random_values(size_t(n * 3 * width), 1);
    std::vector<uint8_t> mask(size_t(n), 1);
    std::vector<float> out(size_t(n * width));
    const AttentionShape shape{1, n, n, heads, d};
    const AttentionInput in{qkv.data(), 3 * width, qkv.data() + width, 3 * width, qkv.data() + 2 * width, 3 * width};
    for (auto _ : state) {
        if (tiled)
            encoder_attention(pool, shape, in, 0.125f, mask.data(), out.data(), precision);
        else
            old::encoder(pool, shape, in, 0.125f, mask.data(), out.data());
        benchmark::DoNotOptimize(out.data());
    }
    const double flops = 4.0 * double(n) * double(n) * double(d) * double(heads);
    state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// Args: {cached positions, new tokens, threads, tiled (1) or old (0)}.
void qwen2_causal(benchmark::State& state) {
    const int64_t cached = state.range(0), tokens = state.range(1), q_heads = 14, kv_heads = 2, d = 64;
    ThreadPool pool(size_t(state.range(2)));
    const bool tiled = state.range(3) != 0;
    auto q = random_values(size_t(tokens * q_heads * d), 2);
    auto keys = random_values(size_t((cached + tokens) * kv_heads * d), 3);
    auto values = random_values(size_t((cached + tokens) * kv_heads * d), 4);
    std::vector<float> out(size_t(tokens * q_heads * d));
    const CausalAttentionSequence seq{.q = q.data(), .out = out.data(), .tokens = tokens, .keys = keys.data(),
                                      .values = values.data(), .first_position = cached};
    for (auto _ : state) {
        if (tiled)
            attention_causal(pool, {&seq, 1}, q_heads, kv_heads, d, 0.125f);
        else
            old::causal(pool, seq, q_heads, kv_heads, d, 0.125f);
        benchmark::DoNotOptimize(out.data());
    }
    double pairs = 0;
    for (int64_t t = 0; t < tokens; ++t) pairs += double(cached + t + 1);
    const double flops = 4.0 * pairs * double(d) * double(q_heads);
    state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void jina_args(benchmark::internal::Benchmark* b) {
    b->ArgNames({"tokens", "threads", "kernel"});
    for (int64_t tokens : {1024, 4096})
        for (int64_t threads : {1, 2})
            for (int64_t kernel : {0, 1, 2}) b->Args({tokens, threads, kernel});
    b->Unit(benchmark::kMillisecond)->UseRealTime();
}

void qwen2_args(benchmark::internal::Benchmark* b) {
    b->ArgNames({"cached", "tokens", "threads", "tiled"});
    const int64_t shapes[][2] = {{0, 512}, {128, 1}, {1024, 1}, {4096, 1}};
    for (const auto& s : shapes)
        for (int64_t threads : {1, 2})
            for (int64_t tiled : {0, 1}) b->Args({s[0], s[1], threads, tiled});
    b->Unit(benchmark::kMicrosecond)->UseRealTime();
}

BENCHMARK(jina_encoder)->Apply(jina_args);
BENCHMARK(qwen2_causal)->Apply(qwen2_args);

}  // namespace

BENCHMARK_MAIN();
