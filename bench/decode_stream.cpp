// decode_stream: how close linear()'s decode GEMV comes to the memory's read speed, on the weight
// stream of one decoded token of a Qwen2 model (default: Qwen2-0.5B's shape), without the rest of
// the model. Three readers of the same weights, on the same pool, interleaved round by round:
//   plain-sum   one parallel sum over all the weights at once (what machine_peak measures);
//   sum-calls   the same sum, but one pool call per product as the model makes them (q|k|v,
//               o, gate|up, down per layer, then the LM head), so it pays the barriers and the
//               hand-offs a token pays;
//   linear      linear() on those products with m = 1: the decode GEMV itself.
// linear / sum-calls is the GEMV's own efficiency; sum-calls / plain-sum is what splitting the
// token into ~100 products costs. Random weights in one buffer in read order, on huge pages (since
// 2026-12-05; before, 4 KiB pages); GB/s are weight bytes over wall time, median over the tokens of
// a round, best round shown.
//   usage: decode_stream [--weights bf16|f16|f32|int8] [--threads 2] [--tokens 20] [--rounds 5]
//                        [--hidden 896] [--intermediate 4864] [--heads 14] [--kv-heads 2]
//                        [--layers 24] [--vocab 151936] [--misalign 0]
// --misalign B starts every matrix B bytes past a cache line, as a checkpoint's tensors sit (a
// safetensors data section starts at 8 + header length: the test models' at 32 (BF16) and 8 (F32)).
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "backend/cpu/matmul.hpp"
#include "backend/cpu/quantize.hpp"
#include "core/dtype.hpp"
#include "core/huge_page_allocator.hpp"
#include "core/thread_pool.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace gavel;

std::atomic<float> g_sink;  // keeps the sums alive; written by every thread

constexpr const char* kUsage =
    "usage: decode_stream [--weights bf16|f16|f32|int8] [--threads 2] [--tokens 20] [--rounds 5] [--hidden 896]\n"
    "                     [--intermediate 4864] [--heads 14] [--kv-heads 2] [--layers 24] [--vocab 151936]\n"
    "                     [--misalign BYTES]\n"
    "The decode weight stream of one token of a Qwen2 shape (default Qwen2-0.5B), read by a plain sum,\n"
    "by the same sum in one pool call per product, and by linear(): GB/s of each.\n";

[[noreturn]] void usage_error(const std::string& what) {
    std::fprintf(stderr, "decode_stream: %s\n%s", what.c_str(), kUsage);
    std::exit(2);
}

__attribute__((target("avx512f"))) float sum_avx512(const uint8_t* p, size_t bytes) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    size_t i = 0;
    for (; i + 256 <= bytes; i += 256) {
        a0 = _mm512_add_ps(a0, _mm512_castsi512_ps(_mm512_loadu_si512(p + i)));
        a1 = _mm512_add_ps(a1, _mm512_castsi512_ps(_mm512_loadu_si512(p + i + 64)));
        a2 = _mm512_add_ps(a2, _mm512_castsi512_ps(_mm512_loadu_si512(p + i + 128)));
        a3 = _mm512_add_ps(a3, _mm512_castsi512_ps(_mm512_loadu_si512(p + i + 192)));
    }
    alignas(64) float out[16];
    _mm512_store_ps(out, _mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
    float s = 0;
    for (float v : out) s += v;
    for (; i < bytes; ++i) s += float(p[i]);
    return s;
}

float sum_scalar(const uint8_t* p, size_t bytes) {
    float s = 0;
    for (size_t i = 0; i < bytes; ++i) s += float(p[i]);
    return s;
}

struct Product {
    std::vector<TensorView> w;  // one pool call: products sharing their input
    size_t bytes = 0;
    size_t offset = 0;  // where its weights start in the buffer
};

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    std::string weights = "bf16";
    int threads = 2, tokens = 20, rounds = 5;
    int64_t hidden = 896, inter = 4864, heads = 14, kv_heads = 2, layers = 24, vocab = 151936;
    int64_t misalign = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) usage_error("option '" + a + "' needs a value");
            return argv[++i];
        };
        try {
            if (a == "--weights") weights = next();
            else if (a == "--threads") threads = std::stoi(next());
            else if (a == "--tokens") tokens = std::stoi(next());
            else if (a == "--rounds") rounds = std::stoi(next());
            else if (a == "--hidden") hidden = std::stoll(next());
            else if (a == "--intermediate") inter = std::stoll(next());
            else if (a == "--heads") heads = std::stoll(next());
            else if (a == "--kv-heads") kv_heads = std::stoll(next());
            else if (a == "--layers") layers = std::stoll(next());
            else if (a == "--vocab") vocab = std::stoll(next());
            else if (a == "--misalign") misalign = std::stoll(next());
            else if (a == "--help" || a == "-h") {
                std::fputs(kUsage, stdout);
                return 0;
            }
            else usage_error("unknown option '" + a + "'");
        } catch (const std::logic_error&) {
            usage_error("option '" + a + "' needs a number");
        }
    }
    if (weights != "bf16" && weights != "f16" && weights != "f32" && weights != "int8")
        usage_error("--weights is bf16, f16, f32 or int8");
    if (threads < 1 || tokens < 1 || rounds < 1) usage_error("--threads, --tokens and --rounds must be at least 1");
    if (hidden < 1 || inter < 1 || heads < 1 || kv_heads < 1 || layers < 1 || vocab < 1 || hidden % heads)
        usage_error("the shape must be positive, with --hidden a multiple of --heads");
    if (misalign < 0 || misalign >= 64 || misalign % (weights == "f32" ? 4 : 2))
        usage_error("--misalign is 0 to 63 bytes, a whole number of weights");

    ThreadPool pool{size_t(threads)};
    const int64_t kv = hidden / heads * kv_heads;
    // [n, k] of each product, grouped into pool calls as Qwen2Model::forward makes them.
    std::vector<std::vector<std::pair<int64_t, int64_t>>> calls;
    for (int64_t l = 0; l < layers; ++l) {
        calls.push_back({{hidden, hidden}, {kv, hidden}, {kv, hidden}});
        calls.push_back({{hidden, hidden}});
        calls.push_back({{inter, hidden}, {inter, hidden}});
        calls.push_back({{hidden, inter}});
    }
    calls.push_back({{vocab, hidden}});

    const DType stored = weights == "f32" ? DType::F32 : weights == "f16" ? DType::F16 : DType::BF16;
    const DType read = weights == "int8" ? DType::Q8_0 : stored;  // what linear() reads
    auto matrix_bytes = [read](int64_t n, int64_t k) { return cpu::matrix_bytes(read, n, k); };
    size_t total = 0, matrices = 0;
    for (const auto& call : calls)
        for (auto [n, k] : call) {
            total += (matrix_bytes(n, k) + 63) & ~size_t(63);
            ++matrices;
        }
    // On huge pages, as a model's weights are (a checkpoint's map, or HugePageBytes for Q8_0 copies).
    HugePageBytes allocation(total + 64);
    uint8_t* buffer = allocation.data() + misalign;
    std::fprintf(stderr, "decode_stream: %zu products in %zu pool calls, %.1f MiB of %s weights\n",
                 matrices, calls.size(),
                 double(total) / (1 << 20), weights.c_str());

    // Small values of either sign; int8 matrices are quantised from such an f32 matrix.
    std::vector<Product> products;
    std::vector<float> f32;
    size_t offset = 0;
    uint32_t state = 12345;
    auto next_value = [&state] {
        state = state * 1664525u + 1013904223u;
        return float(int32_t(state >> 8) % 2001 - 1000) * 1e-5f;
    };
    for (const auto& call : calls) {
        Product p;
        p.offset = offset;
        for (auto [n, k] : call) {
            const size_t bytes = matrix_bytes(n, k);
            uint8_t* at = buffer + offset;
            if (weights == "f32") {
                auto* w = reinterpret_cast<float*>(at);
                for (int64_t i = 0; i < n * k; ++i) w[i] = next_value();
            } else if (weights == "bf16") {
                auto* w = reinterpret_cast<uint16_t*>(at);
                for (int64_t i = 0; i < n * k; ++i) w[i] = f32_to_bf16(next_value());
            } else if (weights == "f16") {
                auto* w = reinterpret_cast<uint16_t*>(at);
                for (int64_t i = 0; i < n * k; ++i) w[i] = f32_to_f16(next_value());
            } else {
                f32.resize(size_t(n * k));
                for (float& v : f32) v = next_value();
                const auto q = cpu::quantize_q8_0(pool, TensorView{DType::F32, {n, k}, f32.data()}, "decode_stream");
                std::memcpy(at, q.data(), bytes);
            }
            p.w.push_back(TensorView{read, {n, k}, at});
            p.bytes += bytes;
            offset += (bytes + 63) & ~size_t(63);
        }
        products.push_back(std::move(p));
    }
    f32 = {};

    __builtin_cpu_init();
    auto sum = __builtin_cpu_supports("avx512f") ? sum_avx512 : sum_scalar;
    const int64_t widest = std::max(hidden, inter);
    std::vector<float> x(size_t(widest), 0.01f), y(size_t(std::max(vocab, 2 * inter + kv)));
    auto run_linear = [&] {
        for (const Product& p : products) {
            std::vector<cpu::LinearOutput> outs;
            float* at = y.data();
            for (const TensorView& w : p.w) {
                outs.push_back({&w, nullptr, at});
                at += w.dim(0);
            }
            cpu::linear(pool, x.data(), 1, outs);
        }
    };
    // The sum reads 256-byte steps in pieces like linear()'s GEMV: each call's bytes split over
    // the pool with stealing, in pieces of 256 KiB.
    constexpr size_t kPiece = size_t(256) << 10;
    auto run_sum_calls = [&] {
        for (const Product& p : products) {
            const size_t pieces = (p.bytes + kPiece - 1) / kPiece;
            pool.parallel_for_stealing(pieces, 1, [&](size_t b, size_t e) {
                const size_t from = b * kPiece, to = std::min(p.bytes, e * kPiece);
                g_sink.store(sum(buffer + p.offset + from, to - from), std::memory_order_relaxed);
            });
        }
    };
    auto run_plain_sum = [&] {
        const size_t per = (total / size_t(threads)) & ~size_t(255);
        pool.parallel_for(size_t(threads), [&](size_t b, size_t) {
            const size_t from = b * per, to = b + 1 == size_t(threads) ? total : from + per;
            g_sink.store(sum(buffer + from, to - from), std::memory_order_relaxed);
        });
    };
    struct Reader {
        const char* name;
        std::function<void()> run;
        double best = 0;
    };
    std::vector<Reader> readers = {{"plain-sum", run_plain_sum}, {"sum-calls", run_sum_calls}, {"linear", run_linear}};
    for (Reader& r : readers) r.run();  // warm: pages resident, scratch sized
    for (int round = 0; round < rounds; ++round)
        for (Reader& r : readers) {
            std::vector<double> gbs;
            for (int t = 0; t < tokens; ++t) {
                const auto start = Clock::now();
                r.run();
                gbs.push_back(double(total) / std::chrono::duration<double>(Clock::now() - start).count() / 1e9);
            }
            r.best = std::max(r.best, median(gbs));
        }
    const double plain = readers[0].best, calls_gbs = readers[1].best, lin = readers[2].best;
    std::printf("%-10s %8s %s\n", "reader", "GB/s", "of plain-sum");
    for (const Reader& r : readers) std::printf("%-10s %8.1f %5.0f%%\n", r.name, r.best, 100 * r.best / plain);
    std::printf("{\"weights\": \"%s\", \"threads\": %d, \"weight_bytes\": %zu, \"plain_sum_gbs\": %.2f, "
                "\"sum_calls_gbs\": %.2f, \"linear_gbs\": %.2f, \"linear_of_sum_calls\": %.3f}\n",
                weights.c_str(), threads, total, plain, calls_gbs, lin, lin / calls_gbs);
    return 0;
}
