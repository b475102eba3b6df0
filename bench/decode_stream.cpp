// decode_stream: how close linear()'s decode GEMV comes to the memory's read speed, on the weight
// stream of one decoded token of a Qwen2 model (default: Qwen2-0.5B's shape), without the rest of
// the model. Three readers of the same weights, on the same pool, taking turns token by token:
//   plain-sum   one parallel sum over all the weights at once (what machine_peak measures);
//   sum-calls   the same sum, but one pool call per product as the model makes them (q|k|v,
//               o, gate|up, down per layer, then the LM head), so it pays the barriers and the
//               hand-offs a token pays;
//   linear      linear() on those products with m = 1: the decode GEMV itself.
// The sums add 32-bit integers (no float assists on subnormal bit patterns), read four streams at
// once from cache-line starts, as linear() does. linear / sum-calls is the GEMV's own efficiency;
// sum-calls / plain-sum is what splitting the token into ~100 products costs. Random weights in one
// buffer in read order, on huge pages; GB/s are weight bytes over wall time, median over the tokens
// of a round, best round shown, and beside it the mean (all of a round's bytes over all its time,
// as a decode run's tok/s is): this VM's speed swings within a second (on the Xeon of session 18,
// dips to half for ~0.1 s about every 1.1 s in one hour, one pass in 4-5 a quarter slower in
// another), which the median passes over and the mean does not, for every reader alike.
//   usage: decode_stream [--weights bf16|f16|f32|int8] [--threads 2] [--tokens 20] [--rounds 5]
//                        [--hidden 896] [--intermediate 4864] [--heads 14] [--kv-heads 2]
//                        [--layers 24] [--vocab 151936] [--misalign 0] [--checkpoint DIR]
// --misalign B starts every matrix B bytes past a cache line, as a checkpoint's tensors sit (a
// safetensors data section starts at 8 + header length: the test models' at 32 (BF16) and 8 (F32)).
// --checkpoint DIR (a Qwen2 model folder) adds two readers of its weights: linear-ckpt, linear()
// over the checkpoint's own matrices in place in its map, in the model's pool calls (they must fit
// --hidden/--intermediate); and model, Qwen2Model::forward decoding one token after a 16-token
// prompt (the whole step, its GB/s counted on the same matrix bytes). model / linear-ckpt is what
// the rest of a decode step costs.
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "backend/cpu/matmul.hpp"
#include "backend/cpu/quantize.hpp"
#include "core/dtype.hpp"
#include "core/huge_page_allocator.hpp"
#include "core/thread_pool.hpp"
#include "io/checkpoint.hpp"
#include "models/qwen2_model.hpp"

// GCC 12's AVX-512 headers build _mm512_reduce_add_epi32 from _mm256_undefined_si256(), which
// -Wuninitialized flags in every caller (a known false positive).
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace {

using Clock = std::chrono::steady_clock;
using namespace gavel;

std::atomic<uint32_t> g_sink;  // keeps the sums alive; written by every thread

constexpr const char* kUsage =
    "usage: decode_stream [--weights bf16|f16|f32|int8] [--threads 2] [--tokens 20] [--rounds 5] [--hidden 896]\n"
    "                     [--intermediate 4864] [--heads 14] [--kv-heads 2] [--layers 24] [--vocab 151936]\n"
    "                     [--misalign BYTES] [--checkpoint DIR]\n"
    "The decode weight stream of one token of a Qwen2 shape (default Qwen2-0.5B), read by a plain sum,\n"
    "by the same sum in one pool call per product, and by linear(): GB/s of each. --checkpoint adds\n"
    "linear() over a Qwen2 model folder's own matrices, and that model's whole decode step.\n";

[[noreturn]] void usage_error(const std::string& what) {
    std::fprintf(stderr, "decode_stream: %s\n%s", what.c_str(), kUsage);
    std::exit(2);
}

// The sums add the weights' bytes as 32-bit integers: bf16, f16 and Q8_0 bit patterns read as floats
// include subnormals, and every add of one takes a microcode assist on this CPU (a float sum over
// the BF16 stream read at 2/3 of the integer sum's speed, below linear() itself).
// Four equal parts of [p, p + bytes) are read at once, 128 bytes of each in turn, as machine_peak's
// best reader and linear()'s GEMV read (a core's prefetchers keep only so many lines in flight
// per stream).
__attribute__((target("avx512f"))) uint32_t sum_avx512(const uint8_t* p, size_t bytes) {
    const size_t part = (bytes / 4) & ~size_t(127);
    const uint8_t* s0 = p;
    const uint8_t* s1 = p + part;
    const uint8_t* s2 = p + 2 * part;
    const uint8_t* s3 = p + 3 * part;
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    for (size_t i = 0; i < part; i += 128) {
        a0 = _mm512_add_epi32(a0, _mm512_loadu_si512(s0 + i));
        b0 = _mm512_add_epi32(b0, _mm512_loadu_si512(s0 + i + 64));
        a1 = _mm512_add_epi32(a1, _mm512_loadu_si512(s1 + i));
        b1 = _mm512_add_epi32(b1, _mm512_loadu_si512(s1 + i + 64));
        a2 = _mm512_add_epi32(a2, _mm512_loadu_si512(s2 + i));
        b2 = _mm512_add_epi32(b2, _mm512_loadu_si512(s2 + i + 64));
        a3 = _mm512_add_epi32(a3, _mm512_loadu_si512(s3 + i));
        b3 = _mm512_add_epi32(b3, _mm512_loadu_si512(s3 + i + 64));
    }
    const __m512i a = _mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3));
    const __m512i b = _mm512_add_epi32(_mm512_add_epi32(b0, b1), _mm512_add_epi32(b2, b3));
    uint32_t s = uint32_t(_mm512_reduce_add_epi32(_mm512_add_epi32(a, b)));
    for (size_t i = 4 * part; i < bytes; ++i) s += p[i];
    return s;
}

uint32_t sum_scalar(const uint8_t* p, size_t bytes) {
    uint32_t s = 0;
    for (size_t i = 0; i < bytes; ++i) s += p[i];
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
    std::string checkpoint;
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
            else if (a == "--checkpoint") checkpoint = next();
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
    // The sum reads in pieces like linear()'s GEMV: each call's bytes split over the pool with
    // stealing, in pieces of 1 MiB (kStealPieceBytes in matmul.cpp).
    constexpr size_t kPiece = size_t(1) << 20;
    // The sums read the cache lines that hold the weights, from line starts: a 64-byte load across
    // two lines (every one of them at --misalign 32) costs a sum about a fifth of its speed when the
    // memory is fast, and linear()'s loads never cross a line.
    const uint8_t* lines = allocation.data();
    auto run_sum_calls = [&] {
        for (const Product& p : products) {
            const size_t pieces = (p.bytes + kPiece - 1) / kPiece;
            pool.parallel_for_stealing(pieces, 1, [&](size_t b, size_t e) {
                const size_t from = b * kPiece, to = std::min(p.bytes, e * kPiece);
                g_sink.store(sum(lines + p.offset + from, to - from), std::memory_order_relaxed);
            });
        }
    };
    auto run_plain_sum = [&] {
        const size_t per = (total / size_t(threads)) & ~size_t(255);
        pool.parallel_for(size_t(threads), [&](size_t b, size_t) {
            const size_t from = b * per, to = b + 1 == size_t(threads) ? total : from + per;
            g_sink.store(sum(lines + from, to - from), std::memory_order_relaxed);
        });
    };
    struct Reader {
        const char* name;
        std::function<void()> run;
        size_t bytes;
        double best = 0;       // the best round's median GB/s over its tokens
        double best_mean = 0;  // the best round's mean GB/s: its bytes over its time
    };
    std::vector<Reader> readers = {
        {"plain-sum", run_plain_sum, total}, {"sum-calls", run_sum_calls, total}, {"linear", run_linear, total}};
    // With --checkpoint, linear() also reads a Qwen2 checkpoint's own matrices, in place in its map,
    // in the model's pool calls; and the model itself decodes a token (Qwen2Model::forward, all
    // of it: norms, RoPE, attention over a KV cache, the logits) over the same weights.
    std::optional<Qwen2Model> model;
    std::optional<cpu::KvCache> cache;
    constexpr int32_t kPromptTokens = 16;  // the decode continues a prompt, as gavel bench's does
    const std::vector<int32_t> prompt(size_t(kPromptTokens), 1);
    const int32_t next_token = 2;
    const Checkpoint* ckpt = nullptr;
    std::vector<std::vector<TensorView>> ckpt_calls;
    size_t ckpt_bytes = 0;
    if (!checkpoint.empty()) {
        auto t = [&](const std::string& name) { return ckpt->tensor(name); };
        try {
            model.emplace(Qwen2Model::open(checkpoint));
            cache.emplace(model->new_cache(kPromptTokens + tokens + 1));
            ckpt = &model->checkpoint();
            for (int64_t l = 0;; ++l) {
                const std::string at = "model.layers." + std::to_string(l) + ".";
                if (!ckpt->has(at + "self_attn.q_proj.weight")) break;
                ckpt_calls.push_back({t(at + "self_attn.q_proj.weight"), t(at + "self_attn.k_proj.weight"), t(at + "self_attn.v_proj.weight")});
                ckpt_calls.push_back({t(at + "self_attn.o_proj.weight")});
                ckpt_calls.push_back({t(at + "mlp.gate_proj.weight"), t(at + "mlp.up_proj.weight")});
                ckpt_calls.push_back({t(at + "mlp.down_proj.weight")});
            }
            ckpt_calls.push_back({t(ckpt->has("lm_head.weight") ? "lm_head.weight" : "model.embed_tokens.weight")});
        } catch (const std::exception& e) {
            std::fprintf(stderr, "decode_stream: %s\n", e.what());
            return 1;
        }
        for (const auto& call : ckpt_calls) {
            int64_t rows = 0;
            for (const TensorView& w : call) {
                if (w.rank() != 2 || w.dim(1) > int64_t(x.size()))
                    usage_error(checkpoint + ": a matrix is wider than --hidden/--intermediate allow");
                ckpt_bytes += w.nbytes();
                rows += w.dim(0);
            }
            if (size_t(rows) > y.size()) y.resize(size_t(rows));
        }
    }
    auto run_linear_ckpt = [&] {
        for (const auto& call : ckpt_calls) {
            std::vector<cpu::LinearOutput> outs;
            float* at = y.data();
            for (const TensorView& w : call) {
                outs.push_back({&w, nullptr, at});
                at += w.dim(0);
            }
            cpu::linear(pool, x.data(), 1, outs);
        }
    };
    auto restart_sequence = [&] {  // an empty cache, then the prompt (not timed)
        cache->clear();
        const Qwen2Chunk chunk{&*cache, prompt, false};
        model->forward(pool, std::span(&chunk, 1));
    };
    auto run_model = [&] {
        const Qwen2Chunk step{&*cache, std::span(&next_token, 1), false};
        model->forward(pool, std::span(&step, 1));
    };
    if (model) {
        readers.push_back({"linear-ckpt", run_linear_ckpt, ckpt_bytes});
        readers.push_back({"model", run_model, ckpt_bytes});
        restart_sequence();
    }
    for (Reader& r : readers) r.run();  // warm: pages resident, scratch sized
    // The readers take turns token by token: this machine's read speed drifts within seconds.
    for (int round = 0; round < rounds; ++round) {
        if (model) restart_sequence();
        std::vector<std::vector<double>> gbs(readers.size());
        std::vector<double> seconds(readers.size(), 0.0);
        for (int t = 0; t < tokens; ++t)
            for (size_t i = 0; i < readers.size(); ++i) {
                const auto start = Clock::now();
                readers[i].run();
                const double s = std::chrono::duration<double>(Clock::now() - start).count();
                seconds[i] += s;
                gbs[i].push_back(double(readers[i].bytes) / s / 1e9);
            }
        for (size_t i = 0; i < readers.size(); ++i) {
            readers[i].best = std::max(readers[i].best, median(gbs[i]));
            readers[i].best_mean = std::max(readers[i].best_mean, double(readers[i].bytes) * tokens / seconds[i] / 1e9);
        }
    }
    const double plain = readers[0].best, calls_gbs = readers[1].best, lin = readers[2].best;
    std::printf("%-12s %8s %12s %8s %12s\n", "reader", "median", "of plain-sum", "mean", "of plain-sum");
    for (const Reader& r : readers)
        std::printf("%-12s %8.1f %11.0f%% %8.1f %11.0f%%\n", r.name, r.best, 100 * r.best / plain, r.best_mean,
                    100 * r.best_mean / readers[0].best_mean);
    std::printf("{\"weights\": \"%s\", \"threads\": %d, \"weight_bytes\": %zu, \"plain_sum_gbs\": %.2f, "
                "\"sum_calls_gbs\": %.2f, \"linear_gbs\": %.2f, \"linear_of_sum_calls\": %.3f",
                weights.c_str(), threads, total, plain, calls_gbs, lin, lin / calls_gbs);
    if (model)
        std::printf(", \"checkpoint_bytes\": %zu, \"linear_checkpoint_gbs\": %.2f, \"model_gbs\": %.2f", ckpt_bytes,
                    readers[3].best, readers[4].best);
    std::printf(", \"mean_gbs\": {");
    for (size_t i = 0; i < readers.size(); ++i)
        std::printf("%s\"%s\": %.2f", i ? ", " : "", readers[i].name, readers[i].best_mean);
    std::printf("}}\n");
    return 0;
}
