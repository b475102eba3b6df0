// The matrix-multiply kernels, written once over a vector-ops type and included by each ISA's file
// (matmul_sse2.cpp, matmul_avx2.cpp, matmul_avx512.cpp) inside its own namespace and
// `#pragma GCC target` region, so every instantiation is compiled for exactly one ISA.
//
// The including file defines, before including this:
//   struct Ops   vector type V of L floats: zero, load, store, bcast, fma(a, b, c) = a*b + c, add,
//                hsum, load_bf16 / load_f16 (L stored weights widened to f32), transpose (L x L)
//   kMR, kNV     GEMM micro-tile: kMR activation rows x kNV vectors of L output columns
// No includes here: the file sits inside a namespace.

// Readers of one stored weight element / one vector of L of them, as f32.
struct WeightF32 {
    using T = float;
    static float scalar(const T* p) { return *p; }
    static Ops::V vec(const T* p) { return Ops::load(p); }
};
struct WeightBF16 {
    using T = uint16_t;
    static float scalar(const T* p) { return bf16_to_f32(*p); }
    static Ops::V vec(const T* p) { return Ops::load_bf16(p); }
};
// BF16 rows in the decode GEMV where Ops::kBf16Pairs (AVX-512): 32 weights per 64-byte load, the
// even ones widened by one shift and the odd ones by one mask (two operations per 32 weights where
// widening 16 at a time takes four), against an x whose runs of 32 are de-interleaved the same way
// once per call. On the Xeon of session 14 (bench/RESULTS.md): bench/decode_stream's linear() at
// 0.91-0.94 of a plain sum of the same bytes, against 0.90-0.91 widening 16 at a time; Qwen2-0.5B
// BF16 decode +1.3 to +2.9% in 4 alternating pairs.
template <class O>
struct Bf16Pairs {
    static void split(const uint16_t* p, typename O::V& even, typename O::V& odd) { O::split_bf16(p, even, odd); }
    static void deinterleave(const float* x, float* out) { O::deinterleave32(x, out); }
};
template <class W>
constexpr bool kPairedBf16 = std::is_same_v<W, WeightBF16> && Ops::kBf16Pairs;

struct WeightF16 {
    using T = uint16_t;
    static float scalar(const T* p) { return f16_to_f32(*p); }
    static Ops::V vec(const T* p) { return Ops::load_f16(p); }
};

constexpr int64_t kNR = int64_t(kNV) * Ops::L;  // GEMM tile columns
constexpr int64_t kKC = 256;                     // GEMM k block: a packed panel is kKC x kNR f32
constexpr int64_t kPanels = 4;                   // panels packed per k block (kPanels * kNR columns)

// ---- GEMV: M activation rows against R weight rows, dot-product form, full k in registers ----
template <class W, int M, int R>
inline void dot_tile(const float* x, int64_t k, const typename W::T* w, float* y, int64_t ldy, const float* bias) {
    typename Ops::V acc[M][R];
#pragma GCC unroll 16
    for (int i = 0; i < M; ++i)
#pragma GCC unroll 16
        for (int r = 0; r < R; ++r) acc[i][r] = Ops::zero();
    // The R rows are one contiguous block, and the next block is what this thread reads next:
    // fetch it ahead, a share per step, so each new matrix does not wait for the hardware
    // prefetcher to ramp up again (about +10% on BF16 decode, when decode ran on this tile; it now
    // serves 2 and 3 activation rows). Into L2 (T1): into L1 it evicted the rows being read.
    const char* next = reinterpret_cast<const char*>(w + R * k);
    const int64_t next_bytes = R * k * int64_t(sizeof(typename W::T));
    const int64_t steps = std::max<int64_t>(1, k / Ops::L);
    const int64_t lines_per_step = (next_bytes / 64 + steps - 1) / steps;
    int64_t p = 0;
    for (int64_t step = 0; p + Ops::L <= k; p += Ops::L, ++step) {
        for (int64_t l = 0; l < lines_per_step; ++l)
            _mm_prefetch(next + (step * lines_per_step + l) * 64, _MM_HINT_T1);
        typename Ops::V wv[R];
#pragma GCC unroll 16
        for (int r = 0; r < R; ++r) wv[r] = W::vec(w + r * k + p);
#pragma GCC unroll 16
        for (int i = 0; i < M; ++i) {
            typename Ops::V xv = Ops::load(x + i * k + p);
#pragma GCC unroll 16
            for (int r = 0; r < R; ++r) acc[i][r] = Ops::fma(xv, wv[r], acc[i][r]);
        }
    }
    for (int i = 0; i < M; ++i)
        for (int r = 0; r < R; ++r) {
            float s = Ops::hsum(acc[i][r]);
            for (int64_t q = p; q < k; ++q) s += x[i * k + q] * W::scalar(w + r * k + q);
            y[i * ldy + r] = bias ? s + bias[r] : s;
        }
}

template <class W, int R>
inline void dot_rows(const float* x, int64_t m, int64_t k, const typename W::T* w, float* y, int64_t ldy,
                     const float* bias) {
    for (int64_t i = 0; i < m; i += 4) {
        const float* xi = x + i * k;
        float* yi = y + i * ldy;
        switch (m - i) {
            case 1: dot_tile<W, 1, R>(xi, k, w, yi, ldy, bias); break;
            case 2: dot_tile<W, 2, R>(xi, k, w, yi, ldy, bias); break;
            case 3: dot_tile<W, 3, R>(xi, k, w, yi, ldy, bias); break;
            default: dot_tile<W, 4, R>(xi, k, w, yi, ldy, bias); break;
        }
    }
}

// One activation row (decode): each thread reads its rows [n0, n1) as S sequential streams at once
// (kGemvStreams, or kGemvStreamsIntel: matmul_kernels.hpp), row j of each of S equal runs of rows,
// the streams sharing the loads of x. The core's prefetchers keep a limited depth of lines in flight per stream, so a single
// stream per thread left memory bandwidth unused: bench/machine_peak's plain sum reads 10-25% faster as 4
// streams per thread than as 1 on the 2-core development VM.
// bench/decode_stream (Qwen2-0.5B's decode products, BF16, 2 threads): linear() 45 -> 52-60 GB/s.
// Whole-model decode, interleaved A/B against one row at a time with a 4 KiB software prefetch:
// F32 +21%, BF16 +0% to +8% over three A/Bs. The rows that do not fill the streams run alone,
// through the same code, so a row's bits never depend on how the rows were split. Adjacent rows
// (one stream read at two points k weights apart) had been 25% slower: keep the streams apart.
// x should start on a cache line (linear() copies it there when not): split x loads cost the
// stream about a third.
// Each stream's lines are also prefetched into L1 kGemvAhead bytes ahead (prefetch_gemv_ahead), where a step
// covers whole lines (AVX-512; F32 on AVX2). Interleaved A/Bs against earlier choices (bench/RESULTS.md,
// session 9): BF16 +8-10% over no prefetch (prefetchnta 4 KiB ahead had been 5% slower than none,
// prefetcht1 and 512 bytes ahead were in between); F32 even with prefetchnta 4 KiB ahead, which had
// been 7% faster than none.
constexpr int kStreamAcc = Ops::L >= 16 ? 4 : 2;  // accumulators per stream (AVX2/SSE2 have 16 registers)
template <class W, int S>
inline void dot_streams(const float* x, int64_t k, const typename W::T* const* w, float* out) {
    typename Ops::V acc[S][kStreamAcc];
#pragma GCC unroll 16
    for (int s = 0; s < S; ++s)
#pragma GCC unroll 16
        for (int v = 0; v < kStreamAcc; ++v) acc[s][v] = Ops::zero();
    constexpr int64_t kStep = int64_t(kStreamAcc) * Ops::L;
    constexpr int64_t kStepLines = kStep * int64_t(sizeof(typename W::T)) / 64;
    int64_t p = 0;
    for (; p + kStep <= k; p += kStep) {
        if constexpr (kStepLines > 0)
#pragma GCC unroll 16
            for (int s = 0; s < S; ++s)
#pragma GCC unroll 16
                for (int64_t l = 0; l < kStepLines; ++l)
                    prefetch_gemv_ahead(reinterpret_cast<const char*>(w[s] + p) + l * 64);
        if constexpr (kPairedBf16<W>) {
#pragma GCC unroll 16
            for (int v = 0; v < kStreamAcc; v += 2) {
                const typename Ops::V xe = Ops::load(x + p + v * Ops::L), xo = Ops::load(x + p + (v + 1) * Ops::L);
#pragma GCC unroll 16
                for (int s = 0; s < S; ++s) {
                    typename Ops::V even, odd;
                    Bf16Pairs<Ops>::split(w[s] + p + v * Ops::L, even, odd);
                    acc[s][v] = Ops::fma(xe, even, acc[s][v]);
                    acc[s][v + 1] = Ops::fma(xo, odd, acc[s][v + 1]);
                }
            }
        } else {
#pragma GCC unroll 16
            for (int v = 0; v < kStreamAcc; ++v) {
                const typename Ops::V xv = Ops::load(x + p + v * Ops::L);
#pragma GCC unroll 16
                for (int s = 0; s < S; ++s) acc[s][v] = Ops::fma(xv, W::vec(w[s] + p + v * Ops::L), acc[s][v]);
            }
        }
    }
    if constexpr (kPairedBf16<W>) {
        for (; p + 2 * Ops::L <= k; p += 2 * Ops::L) {
            const typename Ops::V xe = Ops::load(x + p), xo = Ops::load(x + p + Ops::L);
#pragma GCC unroll 16
            for (int s = 0; s < S; ++s) {
                typename Ops::V even, odd;
                Bf16Pairs<Ops>::split(w[s] + p, even, odd);
                acc[s][0] = Ops::fma(xe, even, acc[s][0]);
                acc[s][1] = Ops::fma(xo, odd, acc[s][1]);
            }
        }
    } else {
        for (; p + Ops::L <= k; p += Ops::L) {
            const typename Ops::V xv = Ops::load(x + p);
#pragma GCC unroll 16
            for (int s = 0; s < S; ++s) acc[s][0] = Ops::fma(xv, W::vec(w[s] + p), acc[s][0]);
        }
    }
#pragma GCC unroll 16
    for (int s = 0; s < S; ++s) {
#pragma GCC unroll 16
        for (int v = 1; v < kStreamAcc; ++v) acc[s][0] = Ops::add(acc[s][0], acc[s][v]);
        float sum = Ops::hsum(acc[s][0]);
        for (int64_t q = p; q < k; ++q) sum += x[q] * W::scalar(w[s] + q);
        out[s] = sum;
    }
}

template <class W, int S>
void gemv_streams(const LinearArgs& a, int64_t n0, int64_t n1) {
    using T = typename W::T;
    const T* w = static_cast<const T*>(a.w);
    const float* x = a.x;
    if constexpr (kPairedBf16<W>) {  // x with its runs of 32 de-interleaved (the tail as it is)
        float* xp = cache_line_aligned(thread_scratch(size_t(a.k) + kCacheLineFloats));
        int64_t c = 0;
        for (; c + 2 * Ops::L <= a.k; c += 2 * Ops::L) Bf16Pairs<Ops>::deinterleave(a.x + c, xp + c);
        for (; c < a.k; ++c) xp[c] = a.x[c];
        x = xp;
    }
    auto finish = [&a](int64_t row, float sum) { a.y[row] = a.bias ? sum + a.bias[row] : sum; };
    const int64_t run = (n1 - n0) / S;  // rows per stream
    for (int64_t j = n0; j < n0 + run; ++j) {
        const T* rows[S];
        float out[S];
        for (int s = 0; s < S; ++s) rows[s] = w + (j + s * run) * a.k;
        dot_streams<W, S>(x, a.k, rows, out);
        for (int s = 0; s < S; ++s) finish(j + s * run, out[s]);
    }
    for (int64_t j = n0 + S * run; j < n1; ++j) {
        const T* row = w + j * a.k;
        float out;
        dot_streams<W, 1>(x, a.k, &row, &out);
        finish(j, out);
    }
}

template <class W, int S>
void gemv_columns(const LinearArgs& a, int64_t n0, int64_t n1) {
    using T = typename W::T;
    if (a.m == 1) return gemv_streams<W, S>(a, n0, n1);
    const T* w = static_cast<const T*>(a.w);
    // Weight rows in flight, chosen when decode ran here: F32 8 (+5% over 4, interleaved A/B), 16-bit
    // weights 4 (8 were 2% slower).
    constexpr int R = sizeof(T) == 4 ? 8 : 4;
    int64_t j = n0;
    for (; j + R <= n1; j += R)
        dot_rows<W, R>(a.x, a.m, a.k, w + j * a.k, a.y + j, a.n, a.bias ? a.bias + j : nullptr);
    for (; j < n1; ++j) dot_rows<W, 1>(a.x, a.m, a.k, w + j * a.k, a.y + j, a.n, a.bias ? a.bias + j : nullptr);
}

// ---- GEMM: broadcast form over packed weight panels ----

// panel[p * kNR + c] = w[j0 + c, k0 + p] as f32 for c < nc, 0 beyond (a k-major copy of kNR rows):
// L x L blocks are widened and transposed in registers.
template <class W>
inline void pack_panel(const typename W::T* w, int64_t k, int64_t j0, int64_t nc, int64_t k0, int64_t kc,
                       float* panel) {
    int64_t c = 0;
    for (; c + Ops::L <= nc; c += Ops::L) {
        const typename W::T* src = w + (j0 + c) * k + k0;
        int64_t p = 0;
        for (; p + Ops::L <= kc; p += Ops::L) {
            typename Ops::V v[Ops::L];
#pragma GCC unroll 16
            for (int q = 0; q < Ops::L; ++q) v[q] = W::vec(src + q * k + p);
            Ops::transpose(v);
#pragma GCC unroll 16
            for (int q = 0; q < Ops::L; ++q) Ops::store(panel + (p + q) * kNR + c, v[q]);
        }
        for (; p < kc; ++p)
            for (int q = 0; q < Ops::L; ++q) panel[p * kNR + c + q] = W::scalar(src + q * k + p);
    }
    for (; c < nc; ++c) {
        const typename W::T* src = w + (j0 + c) * k + k0;
        for (int64_t p = 0; p < kc; ++p) panel[p * kNR + c] = W::scalar(src + p);
    }
    for (c = nc; c < kNR; ++c)
        for (int64_t p = 0; p < kc; ++p) panel[p * kNR + c] = 0.0f;
}

// y[MR rows, nc <= kNR columns] (=|+=) x[MR rows, kc] . panel (+ bias): the register tile.
template <int MR>
inline void gemm_tile(const float* x, int64_t ldx, const float* panel, int64_t kc, float* y, int64_t ldy, int64_t nc,
                      bool accumulate, const float* bias) {
    typename Ops::V c[MR][kNV];
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
        for (int v = 0; v < kNV; ++v) c[r][v] = Ops::zero();
    for (int64_t p = 0; p < kc; ++p) {
        typename Ops::V b[kNV];
#pragma GCC unroll 4
        for (int v = 0; v < kNV; ++v) b[v] = Ops::load(panel + p * kNR + v * Ops::L);
#pragma GCC unroll 16
        for (int r = 0; r < MR; ++r) {
            typename Ops::V av = Ops::bcast(x + r * ldx + p);
#pragma GCC unroll 4
            for (int v = 0; v < kNV; ++v) c[r][v] = Ops::fma(av, b[v], c[r][v]);
        }
    }
    if (nc == kNR) {
#pragma GCC unroll 16
        for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
            for (int v = 0; v < kNV; ++v) {
                float* yp = y + r * ldy + v * Ops::L;
                typename Ops::V out = c[r][v];
                if (accumulate) out = Ops::add(out, Ops::load(yp));
                if (bias) out = Ops::add(out, Ops::load(bias + v * Ops::L));
                Ops::store(yp, out);
            }
        return;
    }
    alignas(64) float t[kNR];
    for (int r = 0; r < MR; ++r) {
        for (int v = 0; v < kNV; ++v) Ops::store(t + v * Ops::L, c[r][v]);
        float* yp = y + r * ldy;
        for (int64_t j = 0; j < nc; ++j) {
            float s = t[j];
            if (accumulate) s += yp[j];
            if (bias) s += bias[j];
            yp[j] = s;
        }
    }
}

template <int MR>
inline void gemm_tile_rows(int mr, const float* x, int64_t ldx, const float* panel, int64_t kc, float* y, int64_t ldy,
                           int64_t nc, bool accumulate, const float* bias) {
    if constexpr (MR >= 1) {
        if (mr == MR)
            gemm_tile<MR>(x, ldx, panel, kc, y, ldy, nc, accumulate, bias);
        else
            gemm_tile_rows<MR - 1>(mr, x, ldx, panel, kc, y, ldy, nc, accumulate, bias);
    }
}

// Columns [n0, n1), n0 a multiple of kNR. For each block of kPanels*kNR columns and each k block,
// the weights are packed once (widened to f32) into per-thread scratch that stays in L1/L2 and is
// used against every activation row; the output block stays in L2 across the k blocks.
template <class W>
void gemm_columns(const LinearArgs& a, int64_t n0, int64_t n1) {
    using T = typename W::T;
    const T* w = static_cast<const T*>(a.w);
    const int64_t m = a.m, n = a.n, k = a.k;
    float* packed = thread_scratch(size_t(kPanels * kNR * kKC));
    for (int64_t jb = n0; jb < n1; jb += kPanels * kNR) {
        const int64_t je = std::min(n1, jb + kPanels * kNR);
        const int64_t panels = (je - jb + kNR - 1) / kNR;
        for (int64_t k0 = 0; k0 < k; k0 += kKC) {
            const int64_t kc = std::min(kKC, k - k0);
            for (int64_t q = 0; q < panels; ++q) {
                const int64_t j0 = jb + q * kNR;
                pack_panel<W>(w, k, j0, std::min(kNR, je - j0), k0, kc, packed + q * kNR * kKC);
            }
            const bool accumulate = k0 > 0;
            const bool last = k0 + kc == k;
            for (int64_t i = 0; i < m; i += kMR) {
                const int mr = int(std::min<int64_t>(kMR, m - i));
                for (int64_t q = 0; q < panels; ++q) {
                    const int64_t j0 = jb + q * kNR;
                    const float* bias = last && a.bias ? a.bias + j0 : nullptr;
                    gemm_tile_rows<kMR>(mr, a.x + i * k + k0, k, packed + q * kNR * kKC, kc, a.y + i * n + j0, n,
                                        std::min(kNR, je - j0), accumulate, bias);
                }
            }
        }
    }
}

template <int S = kGemvStreams>
inline void columns_by_dtype(const LinearArgs& a, int64_t n0, int64_t n1, bool gemm) {
    switch (a.wdtype) {
        case DType::F32:
            gemm ? gemm_columns<WeightF32>(a, n0, n1) : gemv_columns<WeightF32, S>(a, n0, n1);
            break;
        case DType::BF16:
            gemm ? gemm_columns<WeightBF16>(a, n0, n1) : gemv_columns<WeightBF16, S>(a, n0, n1);
            break;
        default:
            gemm ? gemm_columns<WeightF16>(a, n0, n1) : gemv_columns<WeightF16, S>(a, n0, n1);
            break;
    }
}

inline void gemm_any(const LinearArgs& a, int64_t n0, int64_t n1) { columns_by_dtype(a, n0, n1, true); }
// The GEMV reading S streams of rows per thread (gemv_streams).
template <int S = kGemvStreams>
inline void gemv_any(const LinearArgs& a, int64_t n0, int64_t n1) { columns_by_dtype<S>(a, n0, n1, false); }
