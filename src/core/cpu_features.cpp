#include "core/cpu_features.hpp"

#include <cpuid.h>

#include <cstdlib>
#include <string_view>

namespace gavel {

namespace {

CpuFeatures detect() {
    CpuFeatures f;
#if defined(__x86_64__)
    unsigned a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return f;
    f.intel = b == 0x756e6547u && d == 0x49656e69u && c == 0x6c65746eu;  // "Genu" "ineI" "ntel"
    if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
    bool osxsave = c & (1u << 27);
    f.fma = c & (1u << 12);
    f.f16c = c & (1u << 29);
    unsigned long long xcr0 = 0;
    if (osxsave) {
        unsigned lo, hi;
        __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        xcr0 = (static_cast<unsigned long long>(hi) << 32) | lo;
    }
    bool ymm = (xcr0 & 0x6) == 0x6;
    bool zmm = (xcr0 & 0xe6) == 0xe6;
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
        f.avx2 = ymm && (b & (1u << 5));
        f.avx512f = zmm && (b & (1u << 16));
        f.avx512bw = zmm && (b & (1u << 30));
        f.avx512vl = zmm && (b & (1u << 31));
        f.avx512_vnni = zmm && (c & (1u << 11));
        // AMX-BF16 (edx bit 22) and AMX-TILE (bit 24), with the tile config and data state in XCR0.
        const bool tiles = (xcr0 & 0x60000) == 0x60000;
        f.amx_bf16 = zmm && tiles && (d & (1u << 22)) && (d & (1u << 24));
    }
    if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) {
        f.avx512_bf16 = zmm && (a & (1u << 5));
        f.avx_vnni = ymm && (a & (1u << 4));
    }
    f.fma = f.fma && ymm;
    f.f16c = f.f16c && ymm;
#endif
    if (const char* cap = std::getenv("GAVEL_CPU")) {
        std::string_view level(cap);
        if (level == "generic" || level == "avx2" || level == "avx512") f.amx_bf16 = false;
        if (level == "generic" || level == "avx2") {
            f.avx512f = f.avx512bw = f.avx512vl = f.avx512_vnni = f.avx512_bf16 = false;
        }
        if (level == "generic") f.avx2 = f.fma = f.f16c = f.avx_vnni = false;
    }
    return f;
}

}  // namespace

const CpuFeatures& cpu_features() {
    static const CpuFeatures features = detect();
    return features;
}

std::string CpuFeatures::describe() const {
    std::string s;
    auto add = [&](bool on, const char* name) {
        if (!on) return;
        if (!s.empty()) s += ' ';
        s += name;
    };
    add(avx2, "avx2");
    add(fma, "fma");
    add(f16c, "f16c");
    add(avx512f, "avx512f");
    add(avx512bw, "avx512bw");
    add(avx512vl, "avx512vl");
    add(avx512_vnni, "avx512_vnni");
    add(avx512_bf16, "avx512_bf16");
    add(avx_vnni, "avx_vnni");
    add(amx_bf16, "amx_bf16");
    return s.empty() ? "generic x86-64" : s;
}

}  // namespace gavel
