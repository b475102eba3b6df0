// A fixed set of worker threads for data-parallel loops. One pool per process, created by the
// CLI (--threads) and passed down; ops split their work with parallel_for.
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
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

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
    void parallel_for(size_t n, const std::function<void(size_t, size_t)>& fn, size_t grain = 1);

private:
    void worker_loop(size_t index);
    void run_chunks(size_t index);
    // Spins until pred() holds or the spin budget is spent; true when pred() held.
    template <typename Pred>
    bool spin_until(Pred pred) const;

    std::vector<std::thread> workers_;
    bool spin_ = false;  // workers + caller fit on the hardware threads
    std::mutex mutex_;
    std::condition_variable wake_, done_;
    // Written by the caller before generation_ is bumped (release), read by workers after they
    // see the new generation (acquire).
    const std::function<void(size_t, size_t)>* job_ = nullptr;
    size_t job_n_ = 0, job_chunk_ = 0;
    std::atomic<uint64_t> generation_{0};
    std::atomic<size_t> pending_{0};
    std::exception_ptr error_;  // guarded by mutex_
    bool stop_ = false;         // guarded by mutex_
};

}  // namespace gavel
