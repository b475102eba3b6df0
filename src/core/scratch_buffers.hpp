// Buffers kept per calling thread between calls (a model's activations between forward passes, an
// op's work lists): a judge runs one pass per batch and a decode step one per token, and fresh
// buffers cost an allocation, a page fault per 4 KiB and their zeroing every time (about 3% of a
// 1024-token JinaJudge pair). They hold the largest call seen so far.
#pragma once

#include <cstddef>
#include <vector>

namespace gavel {

// `v` with at least n elements (grown, never shrunk; the contents are whatever was there).
template <class T, class A>
std::vector<T, A>& at_least(std::vector<T, A>& v, size_t n) {
    if (v.size() < n) v.resize(n);
    return v;
}

}  // namespace gavel
