// The replaced global operator new and delete behind AllocationCount (allocation_count.hpp). Every
// unaligned form is replaced, the nothrow ones too (std::stable_sort's buffer comes from one), so
// that no pointer from a sanitizer's own operator new reaches this free; the aligned forms keep the
// library's, which allocate and free on a path of their own.
#include "allocation_count.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {

std::atomic<bool> g_counting{false};
std::atomic<int64_t> g_allocations{0};

void* allocate(std::size_t n) {
    if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}

}  // namespace

void* operator new(std::size_t n) { return allocate(n); }
void* operator new[](std::size_t n) { return allocate(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    try {
        return allocate(n);
    } catch (const std::bad_alloc&) {
        return nullptr;
    }
}
void* operator new[](std::size_t n, const std::nothrow_t& tag) noexcept { return operator new(n, tag); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace gavel::testing {

AllocationCount::AllocationCount() {
    g_allocations.store(0);
    g_counting.store(true);
}

AllocationCount::~AllocationCount() { g_counting.store(false); }

int64_t AllocationCount::allocations() const { return g_allocations.load(); }

}  // namespace gavel::testing
