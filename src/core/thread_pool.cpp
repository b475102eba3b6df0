#include "core/thread_pool.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace gavel {

namespace {

// About 50 µs of polling: longer than the serial gaps between the parallel loops of one forward
// pass, short enough that an idle pool costs nothing noticeable.
constexpr auto kSpinTime = std::chrono::microseconds(50);

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#endif
}

}  // namespace

ThreadPool::ThreadPool(size_t threads) {
    const size_t hardware = std::max(1u, std::thread::hardware_concurrency());
    if (threads == 0) threads = hardware;
    spin_ = threads <= hardware;
    shares_ = std::make_unique<Share[]>(threads);
    for (size_t i = 1; i < threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
}

template <typename Pred>
bool ThreadPool::spin_until(Pred pred) const {
    if (!spin_) return pred();
    const auto deadline = std::chrono::steady_clock::now() + kSpinTime;
    for (;;) {
        // Check the clock only every few dozen polls: reading it costs more than a poll.
        for (int i = 0; i < 64; ++i) {
            if (pred()) return true;
            cpu_relax();
        }
        if (std::chrono::steady_clock::now() >= deadline) return pred();
    }
}

void ThreadPool::run_range(size_t begin, size_t end) {
    try {
        (*job_)(begin, end);
    } catch (...) {
        std::lock_guard lock(mutex_);
        if (!error_) error_ = std::current_exception();
    }
}

void ThreadPool::run_chunks(size_t index) {
    if (job_piece_ == 0) {
        // Static partition: thread i takes chunk i. Predictable and cache-friendly for ops.
        size_t begin = index * job_chunk_;
        size_t end = std::min(job_n_, begin + job_chunk_);
        if (begin < end) run_range(begin, end);
        return;
    }
    // Own share first, front to back, then the others' in turn from where their owners are.
    const size_t threads = size();
    for (size_t o = 0; o < threads; ++o) {
        Share& s = shares_[(index + o) % threads];
        for (;;) {
            const size_t begin = s.next.fetch_add(job_piece_, std::memory_order_relaxed);
            if (begin >= s.end) break;
            run_range(begin, std::min(s.end, begin + job_piece_));
        }
    }
}

void ThreadPool::worker_loop(size_t index) {
    uint64_t seen = 0;
    for (;;) {
        if (!spin_until([&] { return generation_.load(std::memory_order_acquire) != seen; })) {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stop_ || generation_.load(std::memory_order_acquire) != seen; });
            if (stop_) return;
        }
        seen = generation_.load(std::memory_order_acquire);
        run_chunks(index);
        if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            // The caller may have given up spinning: wake it under the mutex, so the wake-up
            // cannot fall between its check of pending_ and its wait.
            std::lock_guard lock(mutex_);
            done_.notify_one();
        }
    }
}

void ThreadPool::parallel_for(size_t n, FunctionRef<void(size_t, size_t)> fn, size_t grain) {
    if (n == 0) return;
    size_t threads = std::min(size(), std::max<size_t>(1, n / std::max<size_t>(1, grain)));
    if (threads <= 1 || workers_.empty()) {
        fn(0, n);
        return;
    }
    job_piece_ = 0;
    run(n, fn);
}

void ThreadPool::parallel_for_stealing(size_t n, size_t piece, FunctionRef<void(size_t, size_t)> fn) {
    if (n == 0) return;
    piece = std::max<size_t>(1, piece);
    if (workers_.empty() || n == 1) {
        for (size_t b = 0; b < n; b += piece) fn(b, std::min(n, b + piece));
        return;
    }
    // Every thread starts with a share, however small the job.
    const size_t chunk = (n + size() - 1) / size();
    job_piece_ = std::min(piece, chunk);
    for (size_t i = 0; i < size(); ++i) {
        shares_[i].end = std::min(n, (i + 1) * chunk);
        shares_[i].next.store(std::min(n, i * chunk), std::memory_order_relaxed);
    }
    run(n, fn);
}

void ThreadPool::run(size_t n, FunctionRef<void(size_t, size_t)> fn) {
    job_ = &fn;
    job_n_ = n;
    job_chunk_ = (n + size() - 1) / size();
    pending_.store(workers_.size(), std::memory_order_relaxed);
    {
        // Bumped under the mutex so that a worker about to sleep either sees the new generation
        // in its wait predicate or is already waiting when notify_all runs.
        std::lock_guard lock(mutex_);
        generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    run_chunks(0);
    if (!spin_until([&] { return pending_.load(std::memory_order_acquire) == 0; })) {
        std::unique_lock lock(mutex_);
        done_.wait(lock, [&] { return pending_.load(std::memory_order_acquire) == 0; });
    }
    job_ = nullptr;
    std::lock_guard lock(mutex_);
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
}

}  // namespace gavel
