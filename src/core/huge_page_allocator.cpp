#include "core/huge_page_allocator.hpp"

#include <sys/mman.h>

#include <cstdlib>

namespace gavel::detail {

void* allocate_huge(size_t bytes) {
    void* p = nullptr;
    if (::posix_memalign(&p, kHugePageBytes, bytes) != 0) throw std::bad_alloc();
    // Only the whole huge pages: the tail stays in 4 KiB pages, so the buffer's resident size is
    // what it holds, not rounded up by as much as 2 MiB. Advice only: where THP is off, nothing changes.
    ::madvise(p, bytes / kHugePageBytes * kHugePageBytes, MADV_HUGEPAGE);
    return p;
}

void free_huge(void* p, size_t) { std::free(p); }

}  // namespace gavel::detail
