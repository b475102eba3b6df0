// machine_peak: this machine's limits, the yardsticks bench/cpu_vs_llama.sh divides by.
//   - f32 FMA GFLOP/s: independent chains of fused multiply-adds held in registers (no memory
//     traffic), AVX-512 or AVX2+FMA chosen at run time;
//   - AVX512-BF16 dot GFLOP/s (vdpbf16ps, 2 FLOPs per bf16 pair) where the CPU has it;
//   - AMX BF16 GFLOP/s (TDPBF16PS on tiles held in the tile registers) where the CPU has AMX-BF16
//     and Linux grants the tile state;
//   - AVX512-VNNI int8 dot GOP/s (vpdpbusd, 2 operations per u8 x s8 pair) where the CPU has it;
//   - memory read bandwidth GB/s: a vectorised sum streaming over a buffer much larger than L3,
//     each thread reading its share as 1, 2 or 4 streams at once (AVX-512; the best is the figure,
//     and mem_read_gbs_one_stream the 1-stream one: 4 streams read 10-25% faster on the Zen 5
//     development VM, as the decode GEMV now reads its weights).
// Each for every thread count asked for (all threads run the same kernel; the figure is the total
// over the wall time from a common start to the last thread's end), best of --trials trials.
// --sustain-seconds S adds mem_read_gbs_sustained: the best of those readers reading without a
// break for S seconds, all the bytes over all the time. A best-of-trials burst is the top of what
// the memory gives; a VM's speed can swing under a steady reader (the development Xeon's dips to
// half for ~0.1 s about every 1.1 s, and the cores and caches swing with it), so a rate taken over
// seconds of work (a decode run's tokens/s) is compared with the sustained figure. --trace prints
// to stderr, for each pass of thread 0 in the sustained read, when it started and its GB/s (that
// thread's share over that pass's time: the swings show there).
// Prints one JSON object. The machine is whatever else is running on it too: run it beside the
// benchmarks it is compared with (--memory-only: the read bandwidth alone, about a second at the
// defaults, for measuring it again beside each run; the compute peaks print as null).
//   usage: machine_peak [--threads 1,2] [--mem-mib 1024] [--trials 5] [--seconds 0.3] [--memory-only]
//                       [--sustain-seconds 0] [--trace]
#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "backend/cpu/amx_tiles.hpp"  // the tile config only (header-only: nothing of gavel is linked)

namespace {

using Clock = std::chrono::steady_clock;

volatile float g_sink;  // keeps the results of the kernels alive

// Sum of the 16 lanes (GCC 12's _mm512_reduce_add_ps trips -Wuninitialized).
__attribute__((target("avx512f"))) float lanes_sum(__m512 v) {
    alignas(64) float out[16];
    _mm512_store_ps(out, v);
    float s = 0;
    for (float x : out) s += x;
    return s;
}

// ---- f32 FMA chains ---------------------------------------------------------------------------

// 16 chains of 16-lane FMAs: 512 FLOPs per iteration.
__attribute__((target("avx512f"))) void fma_avx512(int64_t iterations) {
    __m512 acc[16];
    for (int c = 0; c < 16; ++c) acc[c] = _mm512_set1_ps(float(c) * 1e-3f);
    const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    for (int64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 16
        for (int c = 0; c < 16; ++c) acc[c] = _mm512_fmadd_ps(acc[c], a, b);
    }
    __m512 s = acc[0];
    for (int c = 1; c < 16; ++c) s = _mm512_add_ps(s, acc[c]);
    g_sink = lanes_sum(s);
}
constexpr double kFmaAvx512Flops = 16 * 16 * 2;

// 12 chains of 8-lane FMAs (16 ymm registers): 192 FLOPs per iteration.
__attribute__((target("avx2,fma"))) void fma_avx2(int64_t iterations) {
    __m256 acc[12];
    for (int c = 0; c < 12; ++c) acc[c] = _mm256_set1_ps(float(c) * 1e-3f);
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    for (int64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 12
        for (int c = 0; c < 12; ++c) acc[c] = _mm256_fmadd_ps(acc[c], a, b);
    }
    __m256 s = acc[0];
    for (int c = 1; c < 12; ++c) s = _mm256_add_ps(s, acc[c]);
    alignas(32) float out[8];
    _mm256_store_ps(out, s);
    g_sink = out[0] + out[7];
}
constexpr double kFmaAvx2Flops = 12 * 8 * 2;

// ---- AVX512-BF16 dot chains -------------------------------------------------------------------

// 16 chains of vdpbf16ps: each does 16 lanes x 2 bf16 pairs x (multiply + add) = 64 FLOPs.
__attribute__((target("avx512f,avx512bf16"))) void bf16_dot(int64_t iterations) {
    __m512 acc[16];
    for (int c = 0; c < 16; ++c) acc[c] = _mm512_set1_ps(float(c) * 1e-3f);
    const __m512bh a = (__m512bh)_mm512_set1_epi16(0x3f80);  // bf16 1.0
    const __m512bh b = (__m512bh)_mm512_set1_epi16(0x3380);  // bf16 ~6e-8
    for (int64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 16
        for (int c = 0; c < 16; ++c) acc[c] = _mm512_dpbf16_ps(acc[c], a, b);
    }
    __m512 s = acc[0];
    for (int c = 1; c < 16; ++c) s = _mm512_add_ps(s, acc[c]);
    g_sink = lanes_sum(s);
}
constexpr double kBf16DotFlops = 16 * 64;

// ---- AMX BF16 tile products -------------------------------------------------------------------

bool amx_bf16_granted() {
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(d & (1u << 22)) || !(d & (1u << 24))) return false;
    return syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* XFEATURE_XTILEDATA */) == 0;
}

// Four accumulator tiles, each getting TDPBF16PS of the same two operand tiles: 16 x 16 outputs x
// 32 bf16 products x (multiply + add) = 16384 FLOPs per instruction.
__attribute__((target("amx-tile,amx-bf16"))) void amx_bf16_dot(int64_t iterations) {
    alignas(64) static const uint16_t ones[16 * 32] = {};
    _tile_loadconfig(&gavel::cpu::detail::kEightFullTiles);  // gavel's kernels' config
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
    _tile_loadd(4, ones, 64);
    _tile_loadd(5, ones, 64);
    for (int64_t i = 0; i < iterations; ++i) {
        _tile_dpbf16ps(0, 4, 5);
        _tile_dpbf16ps(1, 4, 5);
        _tile_dpbf16ps(2, 4, 5);
        _tile_dpbf16ps(3, 4, 5);
    }
    alignas(64) float out[16 * 16];
    _tile_stored(0, out, 64);
    _tile_release();
    g_sink = out[0];
}
constexpr double kAmxBf16Flops = 4 * 16384;

// ---- AVX512-VNNI int8 dot chains --------------------------------------------------------------

// 16 chains of vpdpbusd: each does 16 lanes x 4 u8 x s8 pairs x (multiply + add) = 128 operations.
// The four products of a lane sum to zero (1 x 1, 1 x -1, ...), so the accumulators stay put. They
// are held as __v16si, the element type vpdpbusd works on: as __m512i (64-bit lanes) GCC 12 copies
// every accumulator twice per iteration around the instruction.
__attribute__((target("avx512f,avx512vnni"))) void int8_dot(int64_t iterations) {
    __v16si acc[16];
    for (int c = 0; c < 16; ++c) acc[c] = (__v16si)_mm512_set1_epi32(c);
    const __m512i a = _mm512_set1_epi8(1);                // unsigned bytes 1
    const __m512i b = _mm512_set1_epi32(int(0xff01ff01));  // signed bytes 1, -1, 1, -1
    for (int64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 16
        for (int c = 0; c < 16; ++c) acc[c] = (__v16si)_mm512_dpbusd_epi32((__m512i)acc[c], a, b);
    }
    __m512i s = (__m512i)acc[0];
    for (int c = 1; c < 16; ++c) s = _mm512_add_epi32(s, (__m512i)acc[c]);
    alignas(64) int32_t out[16];  // (_mm512_cvtepi32_ps trips GCC 12's -Wuninitialized as the reduce does)
    _mm512_store_si512(out, s);
    int32_t sum = 0;
    for (int32_t x : out) sum += x;
    g_sink = float(sum);
}
constexpr double kInt8DotOps = 16 * 128;

// ---- memory read ------------------------------------------------------------------------------

__attribute__((target("avx512f"))) float sum_avx512(const float* p, size_t n) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        a0 = _mm512_add_ps(a0, _mm512_load_ps(p + i));
        a1 = _mm512_add_ps(a1, _mm512_load_ps(p + i + 16));
        a2 = _mm512_add_ps(a2, _mm512_load_ps(p + i + 32));
        a3 = _mm512_add_ps(a3, _mm512_load_ps(p + i + 48));
    }
    float s = lanes_sum(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
    for (; i < n; ++i) s += p[i];
    return s;
}

// The same sum over S equal parts of [p, p + n) at once, 256 bytes of each in turn: a core's
// prefetchers keep only so many lines in flight per stream, so S streams can read faster than one.
template <int S>
__attribute__((target("avx512f"))) float sum_streams_avx512(const float* p, size_t n) {
    const size_t part = (n / S) & ~size_t(63);
    __m512 acc[S][2];
    for (int s = 0; s < S; ++s) acc[s][0] = acc[s][1] = _mm512_setzero_ps();
    for (size_t i = 0; i < part; i += 64)
        for (int s = 0; s < S; ++s) {
            const float* q = p + size_t(s) * part + i;
            acc[s][0] = _mm512_add_ps(acc[s][0], _mm512_add_ps(_mm512_load_ps(q), _mm512_load_ps(q + 16)));
            acc[s][1] = _mm512_add_ps(acc[s][1], _mm512_add_ps(_mm512_load_ps(q + 32), _mm512_load_ps(q + 48)));
        }
    __m512 total = _mm512_setzero_ps();
    for (int s = 0; s < S; ++s) total = _mm512_add_ps(total, _mm512_add_ps(acc[s][0], acc[s][1]));
    float sum = lanes_sum(total);
    for (size_t i = S * part; i < n; ++i) sum += p[i];
    return sum;
}

__attribute__((target("avx2"))) float sum_avx2(const float* p, size_t n) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = _mm256_add_ps(a0, _mm256_load_ps(p + i));
        a1 = _mm256_add_ps(a1, _mm256_load_ps(p + i + 8));
        a2 = _mm256_add_ps(a2, _mm256_load_ps(p + i + 16));
        a3 = _mm256_add_ps(a3, _mm256_load_ps(p + i + 24));
    }
    alignas(32) float out[8];
    _mm256_store_ps(out, _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    float s = 0;
    for (float v : out) s += v;
    for (; i < n; ++i) s += p[i];
    return s;
}

float sum_scalar(const float* p, size_t n) {
    float s = 0;
    for (size_t i = 0; i < n; ++i) s += p[i];
    return s;
}

// ---- driver -----------------------------------------------------------------------------------

// Seconds from a common start until every one of `threads` threads has run work(thread index).
double run_threads(int threads, const std::function<void(int)>& work) {
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t)
        pool.emplace_back([&, t] {
            ready.fetch_add(1);
            while (!go.load(std::memory_order_acquire)) {}
            work(t);
        });
    while (ready.load() != threads - 1) {}
    auto start = Clock::now();
    go.store(true, std::memory_order_release);
    work(0);
    for (auto& th : pool) th.join();
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// Best GFLOP/s over `trials` for a kernel doing `flops_per_iteration` per iteration (for int8_dot:
// integer operations, GOP/s), with the iteration count calibrated on one thread to take about `seconds`.
double peak_gflops(void (*kernel)(int64_t), double flops_per_iteration, int threads, int trials, double seconds) {
    int64_t iterations = 1 << 16;
    for (;;) {
        auto start = Clock::now();
        kernel(iterations);
        double s = std::chrono::duration<double>(Clock::now() - start).count();
        if (s > 0.02) {
            iterations = std::max<int64_t>(1, int64_t(double(iterations) * seconds / s));
            break;
        }
        iterations *= 4;
    }
    double best = 0;
    for (int t = 0; t < trials; ++t) {
        double s = run_threads(threads, [&](int) { kernel(iterations); });
        best = std::max(best, flops_per_iteration * double(iterations) * threads / s / 1e9);
    }
    return best;
}

// Best GB/s over `trials` of summing the whole buffer, split evenly across `threads`; each trial
// makes enough passes to take about `seconds`.
double peak_read_gbs(const float* buffer, size_t n, float (*sum)(const float*, size_t), int threads, int trials,
                     double seconds) {
    const size_t per = (n / size_t(threads)) & ~size_t(63);
    auto start = Clock::now();
    g_sink = sum(buffer, n);  // warm: pages resident, caches cold again after
    const double one_pass = std::chrono::duration<double>(Clock::now() - start).count();
    const int passes = std::max(1, int(seconds / std::max(one_pass, 1e-6)));
    double best = 0;
    for (int t = 0; t < trials; ++t) {
        double s = run_threads(threads, [&](int index) {
            float acc = 0;
            for (int p = 0; p < passes; ++p) acc += sum(buffer + size_t(index) * per, per);
            g_sink = acc;
        });
        best = std::max(best, double(per) * threads * sizeof(float) * passes / s / 1e9);
    }
    return best;
}

// GB/s of `threads` threads each summing its share of the buffer pass after pass, without a break,
// until `seconds` have gone by: the bytes of every pass over the wall time to the last thread's end.
// With `trace`, thread 0's passes go to stderr: start (seconds from the first) and GB/s.
double sustained_read_gbs(const float* buffer, size_t n, float (*sum)(const float*, size_t), int threads,
                          double seconds, bool trace) {
    const size_t per = (n / size_t(threads)) & ~size_t(63);
    std::vector<int64_t> passes(size_t(threads), 0);
    std::vector<std::pair<Clock::time_point, Clock::time_point>> spans;  // thread 0's passes
    const auto deadline =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    const double s = run_threads(threads, [&](int index) {
        float acc = 0;
        do {
            const auto start = Clock::now();
            acc += sum(buffer + size_t(index) * per, per);
            ++passes[size_t(index)];
            if (trace && index == 0) spans.emplace_back(start, Clock::now());
        } while (Clock::now() < deadline);
        g_sink = acc;
    });
    for (const auto& [start, end] : spans)
        std::fprintf(stderr, "sustained read, %d threads: thread 0 pass at %.3f s: %.2f GB/s\n", threads,
                     std::chrono::duration<double>(start - spans.front().first).count(),
                     double(per) * sizeof(float) / std::chrono::duration<double>(end - start).count() / 1e9);
    int64_t total = 0;
    for (int64_t p : passes) total += p;
    return double(per) * sizeof(float) * double(total) / s / 1e9;
}

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("model name", 0) == 0) {
            auto colon = line.find(':');
            if (colon != std::string::npos) {
                auto v = line.substr(colon + 1);
                v.erase(0, v.find_first_not_of(' '));
                std::string escaped;
                for (char c : v)
                    if (c != '"' && c != '\\') escaped += c;
                return escaped;
            }
        }
    return "unknown";
}

[[noreturn]] void usage_error(const std::string& message) {
    std::fprintf(stderr, "machine_peak: %s (usage: machine_peak [--threads 1,2] [--mem-mib N] [--trials N] [--seconds S] "
                 "[--memory-only] [--sustain-seconds S] [--trace])\n",
                 message.c_str());
    std::exit(2);
}

std::string json_series(const std::vector<int>& threads, const std::vector<double>& values) {
    std::string s = "{";
    for (size_t i = 0; i < threads.size(); ++i) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%s\"%d\": %.2f", i ? ", " : "", threads[i], values[i]);
        s += buf;
    }
    return s + "}";
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<int> threads;
    size_t mem_mib = 1024;
    int trials = 5;
    double seconds = 0.3;
    bool memory_only = false;
    double sustain_seconds = 0;
    bool trace = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) usage_error("option '" + a + "' needs a value");
            return argv[++i];
        };
        try {
            if (a == "--threads") {
                std::string v = next();
                size_t pos = 0;
                while (pos <= v.size()) {
                    size_t comma = v.find(',', pos);
                    if (comma == std::string::npos) comma = v.size();
                    int t = std::stoi(v.substr(pos, comma - pos));
                    if (t < 1) usage_error("--threads values must be at least 1");
                    threads.push_back(t);
                    pos = comma + 1;
                }
            } else if (a == "--mem-mib") {
                long long v = std::stoll(next());
                if (v < 64) usage_error("--mem-mib must be at least 64");
                mem_mib = size_t(v);
            } else if (a == "--trials") {
                trials = std::stoi(next());
                if (trials < 1) usage_error("--trials must be at least 1");
            } else if (a == "--memory-only") {
                memory_only = true;
            } else if (a == "--trace") {
                trace = true;
            } else if (a == "--sustain-seconds") {
                sustain_seconds = std::stod(next());
                if (!(sustain_seconds >= 0)) usage_error("--sustain-seconds must not be negative");
            } else if (a == "--seconds") {
                seconds = std::stod(next());
                if (!(seconds > 0)) usage_error("--seconds must be positive");
            } else {
                usage_error("unknown option '" + a + "'");
            }
        } catch (const std::logic_error&) {
            usage_error("option '" + a + "' needs a number");
        }
    }
    if (threads.empty())
        for (int t = 1; t <= int(std::max(1u, std::thread::hardware_concurrency())); ++t) threads.push_back(t);

    __builtin_cpu_init();
    const bool avx512 = __builtin_cpu_supports("avx512f");
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    const bool bf16 = avx512 && __builtin_cpu_supports("avx512bf16");
    const bool vnni = avx512 && __builtin_cpu_supports("avx512vnni");
    const bool amx = bf16 && amx_bf16_granted();

    std::vector<double> fma, dot, amx_dot, int8, mem, one_stream, sustained;
    for (int t : threads) {
        if (memory_only) break;
        if (avx512) fma.push_back(peak_gflops(fma_avx512, kFmaAvx512Flops, t, trials, seconds));
        else if (avx2) fma.push_back(peak_gflops(fma_avx2, kFmaAvx2Flops, t, trials, seconds));
        if (bf16) dot.push_back(peak_gflops(bf16_dot, kBf16DotFlops, t, trials, seconds));
        if (amx) amx_dot.push_back(peak_gflops(amx_bf16_dot, kAmxBf16Flops, t, trials, seconds));
        if (vnni) int8.push_back(peak_gflops(int8_dot, kInt8DotOps, t, trials, seconds));
    }
    const size_t n = mem_mib * (size_t(1) << 20) / sizeof(float);
    auto* buffer = static_cast<float*>(std::aligned_alloc(64, n * sizeof(float)));
    if (!buffer) {
        std::fprintf(stderr, "machine_peak: cannot allocate %zu MiB\n", mem_mib);
        return 1;
    }
    for (size_t i = 0; i < n; ++i) buffer[i] = float(i & 1023) * 1e-3f;
    auto sum = avx512 ? sum_avx512 : avx2 ? sum_avx2 : sum_scalar;
    for (int t : threads) {
        one_stream.push_back(peak_read_gbs(buffer, n, sum, t, trials, seconds));
        mem.push_back(one_stream.back());
        auto best = sum;
        if (avx512)  // the read bandwidth is the best of 1, 2 and 4 streams per thread
            for (auto streams : {sum_streams_avx512<2>, sum_streams_avx512<4>}) {
                const double gbs = peak_read_gbs(buffer, n, streams, t, trials, seconds);
                if (gbs > mem.back()) {
                    mem.back() = gbs;
                    best = streams;
                }
            }
        if (sustain_seconds > 0) sustained.push_back(sustained_read_gbs(buffer, n, best, t, sustain_seconds, trace));
    }
    std::free(buffer);

    std::printf("{\"cpu\": \"%s\", \"isa\": \"%s\", \"avx512_bf16\": %s, \"avx512_vnni\": %s, \"trials\": %d, "
                "\"buffer_mib\": %zu,\n",
                cpu_model().c_str(), avx512 ? "avx512" : avx2 ? "avx2" : "scalar", bf16 ? "true" : "false",
                vnni ? "true" : "false", trials, mem_mib);
    std::printf(" \"fma_f32_gflops\": %s,\n", fma.empty() ? "null" : json_series(threads, fma).c_str());
    std::printf(" \"bf16_dot_gflops\": %s,\n", dot.empty() ? "null" : json_series(threads, dot).c_str());
    std::printf(" \"amx_bf16_gflops\": %s,\n", amx_dot.empty() ? "null" : json_series(threads, amx_dot).c_str());
    std::printf(" \"int8_dot_gops\": %s,\n", int8.empty() ? "null" : json_series(threads, int8).c_str());
    std::printf(" \"mem_read_gbs\": %s,\n", json_series(threads, mem).c_str());
    std::printf(" \"mem_read_gbs_one_stream\": %s,\n", json_series(threads, one_stream).c_str());
    std::printf(" \"sustain_seconds\": %g, \"mem_read_gbs_sustained\": %s}\n", sustain_seconds,
                sustained.empty() ? "null" : json_series(threads, sustained).c_str());
    return 0;
}
