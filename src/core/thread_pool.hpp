// A fixed set of worker threads for data-parallel loops. One pool per process, created by the
// CLI (--threads) and passed down; ops split their work with parallel_for (or, when the threads
// may run at unequal speed, parallel_for_stealing).
//
// A decode step of a 7B model is a few hundred short parallel_for calls, so hand-off latency
// matters: between calls, workers (and the caller, waiting for them) spin on an atomic for a
// short while before sleeping on a condition variable. They spin only when the pool has no more
// threads than the machine has hardware threads; an oversubscribed pool sleeps at once.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/function_ref.hpp"

namespace gavel {

class ThreadPool {
public:
    // threads == 0 picks std::thread::hardware_concurrency().
    explicit ThreadPool(size_t threads = 0);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    size_t size() const { return workers_.size() + 1; }  // the calling thread works too

    // Runs fn(begin, end) over [0, n) in contiguous chunks of at least `grain` items, on all
    // threads including the caller, and returns when every chunk is done. The first exception
    // thrown by a chunk is rethrown here. Not re-entrant: fn must not call parallel_for.
    void parallel_for(size_t n, FunctionRef<void(size_t, size_t)> fn, size_t grain = 1);

    // Like parallel_for with grain 1, for loops whose items may take unequal time on each thread
    // (one thread slowed by the machine's other load, say): thread i still starts on the i-th
    // contiguous share of [0, n), but runs it in pieces of `piece` items, and a thread that
    // finishes its share takes the pieces left in the others' shares. fn is called on ranges of at
    // most `piece` items, several times per thread.
    void parallel_for_stealing(size_t n, size_t piece, FunctionRef<void(size_t, size_t)> fn);

private:
    void worker_loop(size_t index);
    void run_chunks(size_t index);
    void run_range(size_t begin, size_t end);
    void run(size_t n, FunctionRef<void(size_t, size_t)> fn);  // hands the job out and waits
    // Spins until pred() holds or the spin budget is spent; true when pred() held.
    template <typename Pred>
    bool spin_until(Pred pred) const;

    std::vector<std::thread> workers_;
    bool spin_ = false;  // workers + caller fit on the hardware threads
    std::mutex mutex_;
    std::condition_variable wake_, done_;
    // Written by the caller before generation_ is bumped (release), read by workers after they
    // see the new generation (acquire).
    const FunctionRef<void(size_t, size_t)>* job_ = nullptr;
    size_t job_n_ = 0, job_chunk_ = 0;
    size_t job_piece_ = 0;  // nonzero: parallel_for_stealing's piece size
    // One claim cursor per thread's share, each on its own cache line so that owners do not
    // contend until a thief arrives.
    struct alignas(64) Share {
        std::atomic<size_t> next{0};
        size_t end = 0;
    };
    std::unique_ptr<Share[]> shares_;
    std::atomic<uint64_t> generation_{0};
    std::atomic<size_t> pending_{0};
    std::exception_ptr error_;  // guarded by mutex_
    bool stop_ = false;         // guarded by mutex_
};

}  // namespace gavel
