// What this x86-64 CPU can run, read once with cpuid. Kernels are chosen from it at run time,
// so one binary runs everywhere and uses AVX2 / AVX-512 / AVX512-BF16 / AMX where present.
#pragma once

#include <string>

namespace gavel {

struct CpuFeatures {
    bool avx2 = false;
    bool fma = false;
    bool f16c = false;
    bool avx512f = false;
    bool avx512bw = false;
    bool avx512vl = false;
    bool avx512_vnni = false;
    bool avx512_bf16 = false;
    bool avx_vnni = false;
    // AMX tiles with BF16 dot products (TDPBF16PS), enabled by the OS in XCR0. A process must still
    // ask Linux for the tile state before its first tile instruction (amx_bf16_usable does).
    bool amx_bf16 = false;
    // The vendor string is GenuineIntel: tuning that differs between Intel's and AMD's cores keys on it.
    bool intel = false;

    // "avx2 fma avx512f ..." for logs and `gavel inspect`.
    std::string describe() const;
};

// Detected once; GAVEL_CPU=generic|avx2|avx512 caps what is used (for testing every path): avx512
// is AVX-512 without AMX.
const CpuFeatures& cpu_features();

}  // namespace gavel
