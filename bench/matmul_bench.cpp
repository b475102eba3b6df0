// Google Benchmark of gavel::cpu::linear on the model shapes: Qwen2-0.5B (k=896 -> 896, 128 (k/v),
// 4864; k=4864 -> 896; lm_head 896 -> 151936 at m=1) and jina-embeddings-v3 (k=1024 -> 3072, 4096;
// k=4096 -> 1024), at m=1 (decode, GEMV) and m=512 (prefill / encoder, GEMM), BF16, F32 and Q8_0 weights,
// 1 and 2 threads. "old" is the kernel linear() had before the GEMM (widened 16-row blocks, dot4
// loops), kept here only to measure against. The machine's limits to compare with (FMA and BF16-dot
// peaks, read bandwidth) are bench/machine_peak's job.
//
//   build/release/bench/matmul_bench [--benchmark_filter=REGEX] [--benchmark_min_time=0.2]
// Counters: GFLOP/s (2*m*n*k per call), GB/s (weight bytes per call; meaningful at m=1), both
// per wall-clock second. CPU is the process's CPU time (all threads): on a loaded machine
// flops / CPU time per thread is the steadier figure (bench/matmul_summary.py prints both).
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>


#include "backend/cpu/matmul.hpp"
#include "backend/cpu/quantize.hpp"
#include "core/cpu_features.hpp"
#include "core/dtype.hpp"
#include "core/thread_pool.hpp"

using namespace gavel;

namespace old_kernel {

#define OLD_CLONES __attribute__((target_clones("avx512f", "arch=haswell", "default")))

OLD_CLONES void widen_bf16(const uint16_t* src, float* dst, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        uint32_t bits = uint32_t(src[i]) << 16;
        std::memcpy(&dst[i], &bits, 4);
    }
}

OLD_CLONES void dot4(const float* x, const float* w0, const float* w1, const float* w2, const float* w3, int64_t k,
                     float* out) {
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
    for (int64_t i = 0; i < k; ++i) {
        s0 += x[i] * w0[i];
        s1 += x[i] * w1[i];
        s2 += x[i] * w2[i];
        s3 += x[i] * w3[i];
    }
    out[0] = s0;
    out[1] = s1;
    out[2] = s2;
    out[3] = s3;
}

OLD_CLONES float dot1(const float* x, const float* w, int64_t k) {
    float s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < k; ++i) s += x[i] * w[i];
    return s;
}

// The pre-GEMM linear() (F32 and BF16 weights; no bias).
void linear(ThreadPool& pool, const float* x, int64_t m, const TensorView& w, float* y) {
    const int64_t n = w.dim(0), k = w.dim(1);
    constexpr int64_t kRowBlock = 16;
    const int64_t blocks = (n + kRowBlock - 1) / kRowBlock;
    pool.parallel_for(size_t(blocks), [&](size_t b0, size_t b1) {
        std::vector<float> scratch;
        for (int64_t blk = int64_t(b0); blk < int64_t(b1); ++blk) {
            int64_t r0 = blk * kRowBlock, r1 = std::min(n, r0 + kRowBlock);
            const float* wr;
            if (w.dtype == DType::F32) {
                wr = w.as<float>() + r0 * k;
            } else {
                scratch.resize(size_t((r1 - r0) * k));
                widen_bf16(w.as<uint16_t>() + r0 * k, scratch.data(), (r1 - r0) * k);
                wr = scratch.data();
            }
            for (int64_t i = 0; i < m; ++i) {
                const float* xi = x + i * k;
                float* yi = y + i * n;
                int64_t r = r0;
                for (; r + 4 <= r1; r += 4) {
                    const float* w0 = wr + (r - r0) * k;
                    dot4(xi, w0, w0 + k, w0 + 2 * k, w0 + 3 * k, k, yi + r);
                }
                for (; r < r1; ++r) yi[r] = dot1(xi, wr + (r - r0) * k, k);
            }
        }
    });
}

}  // namespace old_kernel

namespace {

struct Weights {
    HugePageBytes bytes;
    TensorView view;
};

Weights random_weights(int64_t n, int64_t k, DType dtype) {
    Weights w;
    if (dtype == DType::Q8_0) {  // the F32 weights, quantised as --weights int8 does
        const Weights f = random_weights(n, k, DType::F32);
        ThreadPool pool;
        w.bytes = cpu::quantize_q8_0(pool, f.view, "w");
        w.view = cpu::q8_0_view(w.bytes, n, k);
        return w;
    }
    w.bytes.resize(size_t(n * k) * dtype_size(dtype));
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(-0.05f, 0.05f);
    for (int64_t i = 0; i < n * k; ++i) {
        float v = u(rng);
        if (dtype == DType::F32)
            std::memcpy(&w.bytes[size_t(i) * 4], &v, 4);
        else {
            uint16_t h = f32_to_bf16(v);
            std::memcpy(&w.bytes[size_t(i) * 2], &h, 2);
        }
    }
    w.view = TensorView{dtype, {n, k}, w.bytes.data()};
    return w;
}

enum class Impl { Old, New, NewBf16 };

void run_linear(benchmark::State& state, Impl impl, DType dtype, int64_t m, int64_t n, int64_t k, int threads) {
    Weights w = random_weights(n, k, dtype);
    std::vector<float> x(size_t(m * k)), y(size_t(m * n));
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (auto& v : x) v = u(rng);
    ThreadPool pool{size_t(threads)};
    cpu::set_matmul_precision(impl == Impl::NewBf16 ? cpu::MatmulPrecision::BF16 : cpu::MatmulPrecision::F32);
    for (auto _ : state) {
        if (impl == Impl::Old)
            old_kernel::linear(pool, x.data(), m, w.view, y.data());
        else
            cpu::linear(pool, x.data(), m, w.view, nullptr, y.data());
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    cpu::set_matmul_precision(cpu::MatmulPrecision::F32);
    const double it = double(state.iterations());
    state.counters["GFLOP/s"] = benchmark::Counter(it * 2.0 * double(m * n * k) * 1e-9, benchmark::Counter::kIsRate);
    const double bytes = double(cpu::matrix_bytes(dtype, n, k));
    state.counters["GB/s"] = benchmark::Counter(it * bytes * 1e-9, benchmark::Counter::kIsRate);
}

struct Shape {
    const char* name;
    int64_t n, k;
    bool prefill;  // also run at m=512
};

void register_all() {
    const Shape shapes[] = {
        {"qwen_qo", 896, 896, true},         {"qwen_kv", 128, 896, true},       {"qwen_gate_up", 4864, 896, true},
        {"qwen_down", 896, 4864, true},      {"qwen_lm_head", 151936, 896, false}, {"jina_qkv", 3072, 1024, true},
        {"jina_fc1", 4096, 1024, true},      {"jina_fc2", 1024, 4096, true},
    };
    for (const Shape& s : shapes)
        for (int64_t m : {int64_t(1), int64_t(512)}) {
            if (m > 1 && !s.prefill) continue;
            for (DType dt : {DType::BF16, DType::F32, DType::Q8_0})
                for (Impl impl : {Impl::Old, Impl::New, Impl::NewBf16}) {
                    if (impl == Impl::NewBf16 && (dt != DType::BF16 || m == 1 || !cpu_features().avx512_bf16)) continue;
                    if (impl == Impl::Old && dt == DType::Q8_0) continue;
                    for (int t : {1, 2}) {
                        std::string name = std::string(s.name) + "/m:" + std::to_string(m) + "/" +
                                           std::string(dt == DType::Q8_0 ? "q8_0" : dt == DType::BF16 ? "bf16" : "f32") + "/" +
                                           (impl == Impl::Old ? "old" : impl == Impl::New ? "new" : "new_bf16dot") +
                                           "/threads:" + std::to_string(t);
                        benchmark::RegisterBenchmark(name.c_str(), run_linear, impl, dt, m, s.n, s.k, t)
                            ->UseRealTime()
                            ->MeasureProcessCPUTime()
                            ->Unit(benchmark::kMillisecond);
                    }
                }
        }
}

}  // namespace

int main(int argc, char** argv) {
    register_all();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::AddCustomContext("cpu_features", cpu_features().describe());
    benchmark::AddCustomContext("matmul_isa", cpu::matmul_isa_name(cpu::matmul_isa()));
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
