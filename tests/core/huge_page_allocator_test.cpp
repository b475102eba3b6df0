// HugePageAllocator: buffers of 2 MiB or more start on a 2 MiB boundary and their whole huge pages
// are advised for THP (the mapping's VmFlags carry "hg"); smaller ones are ordinary; contents
// survive growth and copies like any vector's.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "core/huge_page_allocator.hpp"

namespace gavel {
namespace {

// The VmFlags of the mapping of this process that holds `p` ("" when none does).
std::string vm_flags_at(const void* p) {
    std::ifstream in("/proc/self/smaps");
    std::string line;
    bool inside = false;
    const auto at = reinterpret_cast<uintptr_t>(p);
    while (std::getline(in, line)) {
        unsigned long begin = 0, end = 0;
        if (std::sscanf(line.c_str(), "%lx-%lx ", &begin, &end) == 2 && line.find(':') > line.find(' ')) {
            inside = at >= begin && at < end;
            continue;
        }
        if (inside && line.rfind("VmFlags:", 0) == 0) return line;
    }
    return "";
}

TEST(HugePageAllocator, LargeBuffersStartOnAHugePageAndAreAdvised) {
    if (!std::ifstream("/sys/kernel/mm/transparent_hugepage/enabled")) GTEST_SKIP() << "no THP in this kernel";
    constexpr size_t kHuge = size_t(2) << 20;
    HugePageBytes big(3 * kHuge + 123);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(big.data()) % kHuge, 0u);
    const std::string flags = vm_flags_at(big.data());
    ASSERT_FALSE(flags.empty());
    EXPECT_NE(flags.find(" hg"), std::string::npos) << flags;
    // The partial last huge page is not advised, so the buffer's resident size is what it holds.
    EXPECT_EQ(vm_flags_at(big.data() + 3 * kHuge).find(" hg"), std::string::npos);
}

TEST(HugePageAllocator, BehavesAsAVectorOfBytes) {
    HugePageBytes small(100);
    std::iota(small.begin(), small.end(), uint8_t(0));
    HugePageBytes grown = small;
    grown.resize(size_t(5) << 20, 7);  // crosses into a huge-page buffer
    EXPECT_TRUE(std::equal(small.begin(), small.end(), grown.begin()));
    EXPECT_EQ(grown.back(), 7);
    grown.resize(10);
    grown.shrink_to_fit();  // back to an ordinary allocation
    EXPECT_TRUE(std::equal(grown.begin(), grown.end(), small.begin()));
    std::vector<HugePageBytes> owned;
    owned.push_back(std::move(grown));
    EXPECT_EQ(owned.back().size(), 10u);
}

}  // namespace
}  // namespace gavel
