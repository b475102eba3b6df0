// Memory for large buffers that kernels stream through every token (quantised weights, weights
// merged at load): allocations of 2 MiB or more are 2 MiB-aligned and advised for transparent huge
// pages (madvise MADV_HUGEPAGE, which is what THP's default "madvise" mode waits for), so that a
// stream takes one TLB miss per 2 MiB rather than per 4 KiB. Only the whole huge pages are advised,
// so the resident size stays what the buffer holds. Measured on 2026-12-05 against plain heap
// memory (4 KiB pages), interleaved: bench/decode_stream's linear() +11% on Q8_0 weights (4 pairs)
// and +5% on BF16 (3 pairs); whole-model `gavel bench --weights int8` decode +4.5% in 4 pairs and
// -1.7% in 6 more, within this machine's noise. Smaller allocations come from operator new.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

namespace gavel {

namespace detail {
void* allocate_huge(size_t bytes);
void free_huge(void* p, size_t bytes);
inline constexpr size_t kHugePageBytes = size_t(2) << 20;  // a PMD-level page on x86-64 and arm64 (4 KiB base pages)
}  // namespace detail

template <class T>
struct HugePageAllocator {
    using value_type = T;
    HugePageAllocator() = default;
    template <class U>
    HugePageAllocator(const HugePageAllocator<U>&) noexcept {}

    T* allocate(size_t n) {
        if (n > size_t(-1) / sizeof(T)) throw std::bad_array_new_length();
        const size_t bytes = n * sizeof(T);
        if (bytes < detail::kHugePageBytes) return static_cast<T*>(::operator new(bytes));
        return static_cast<T*>(detail::allocate_huge(bytes));
    }
    void deallocate(T* p, size_t n) noexcept {
        const size_t bytes = n * sizeof(T);
        if (bytes < detail::kHugePageBytes)
            ::operator delete(p);
        else
            detail::free_huge(p, bytes);
    }
    template <class U>
    bool operator==(const HugePageAllocator<U>&) const noexcept {
        return true;
    }
};

// Elements on huge pages (when 2 MiB or more), 2 MiB-aligned: activations that kernels stream through.
template <class T>
using HugePageVector = std::vector<T, HugePageAllocator<T>>;
// Bytes on huge pages: quantised and merged weight matrices.
using HugePageBytes = HugePageVector<uint8_t>;

}  // namespace gavel
