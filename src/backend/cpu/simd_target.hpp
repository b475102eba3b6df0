// Compiles the functions between GAVEL_SIMD_TARGET_PUSH("isa,...") and GAVEL_SIMD_TARGET_POP for
// that instruction set, with GCC (#pragma GCC target) and clang (#pragma clang attribute) alike,
// so one file can hold the AVX-512 / AVX2 kernels that run-time dispatch picks between. Include
// <immintrin.h> before the push.
#pragma once

#define GAVEL_PRAGMA(x) _Pragma(#x)
#if defined(__clang__)
#define GAVEL_SIMD_TARGET_PUSH(isa) GAVEL_PRAGMA(clang attribute push(__attribute__((target(isa))), apply_to = function))
#define GAVEL_SIMD_TARGET_POP GAVEL_PRAGMA(clang attribute pop)
#else
#define GAVEL_SIMD_TARGET_PUSH(isa) GAVEL_PRAGMA(GCC push_options) GAVEL_PRAGMA(GCC target(isa))
#define GAVEL_SIMD_TARGET_POP GAVEL_PRAGMA(GCC pop_options)
#endif

// For plain loops the compiler vectorises itself: one copy of the function per instruction set
// (AVX-512, AVX2+FMA, baseline x86-64), the best picked when the program loads.
#define GAVEL_SIMD_CLONES __attribute__((target_clones("avx512f", "arch=haswell", "default")))
