#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

#include "core/thread_pool.hpp"

namespace gavel {
namespace {

TEST(ThreadPool, CoversEveryIndexOnce) {
    ThreadPool pool(4);
    for (size_t n : {1u, 3u, 4u, 17u, 1000u}) {
        std::vector<std::atomic<int>> hits(n);
        pool.parallel_for(n, [&](size_t b, size_t e) {
            for (size_t i = b; i < e; ++i) hits[i]++;
        });
        for (size_t i = 0; i < n; ++i) EXPECT_EQ(hits[i].load(), 1) << "n=" << n << " i=" << i;
    }
}

TEST(ThreadPool, RethrowsAndStaysUsable) {
    ThreadPool pool(3);
    EXPECT_THROW(pool.parallel_for(30, [](size_t b, size_t) {
        if (b == 0) throw std::runtime_error("boom");
    }), std::runtime_error);
    std::atomic<size_t> sum = 0;
    pool.parallel_for(100, [&](size_t b, size_t e) { sum += e - b; });
    EXPECT_EQ(sum.load(), 100u);
}

}  // namespace
}  // namespace gavel
