#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
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

TEST(ThreadPool, StealingCoversEveryIndexOnceInPieces) {
    for (size_t threads : {1u, 2u, 4u}) {
        ThreadPool pool(threads);
        for (size_t n : {1u, 2u, 3u, 17u, 1000u}) {
            for (size_t piece : {1u, 3u, 64u, 5000u}) {
                std::vector<std::atomic<int>> hits(n);
                std::atomic<size_t> longest = 0;
                pool.parallel_for_stealing(n, piece, [&](size_t b, size_t e) {
                    for (size_t i = b; i < e; ++i) hits[i]++;
                    size_t seen = longest.load();
                    while (e - b > seen && !longest.compare_exchange_weak(seen, e - b)) {}
                });
                for (size_t i = 0; i < n; ++i)
                    EXPECT_EQ(hits[i].load(), 1) << "threads=" << threads << " n=" << n << " piece=" << piece << " i=" << i;
                EXPECT_LE(longest.load(), piece) << "threads=" << threads << " n=" << n;
            }
        }
    }
}

// Whichever thread takes item 0 waits there until every other item is done: only a pool whose
// other thread takes over the rest of that share finishes (a static split would wait forever, so
// the wait gives up after a generous deadline and the test fails instead of hanging).
TEST(ThreadPool, StealingTakesOverTheShareOfAThreadThatIsHeldUp) {
    ThreadPool pool(2);
    constexpr size_t n = 100;
    std::atomic<size_t> done = 0;
    bool gave_up = false;
    pool.parallel_for_stealing(n, 1, [&](size_t b, size_t e) {
        for (size_t i = b; i < e; ++i) {
            if (i == 0) {
                const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
                while (done.load() < n - 1 && std::chrono::steady_clock::now() < deadline)
                    std::this_thread::sleep_for(std::chrono::milliseconds(1));
                gave_up = done.load() < n - 1;
            }
            done++;
        }
    });
    EXPECT_FALSE(gave_up);
    EXPECT_EQ(done.load(), n);
}

TEST(ThreadPool, StealingRethrowsAndStaysUsable) {
    ThreadPool pool(2);
    EXPECT_THROW(pool.parallel_for_stealing(40, 4, [](size_t b, size_t) {
        if (b == 20) throw std::runtime_error("boom");
    }), std::runtime_error);
    std::atomic<size_t> sum = 0;
    pool.parallel_for_stealing(100, 7, [&](size_t b, size_t e) { sum += e - b; });
    pool.parallel_for(100, [&](size_t b, size_t e) { sum += e - b; });
    EXPECT_EQ(sum.load(), 200u);
}

}  // namespace
}  // namespace gavel
