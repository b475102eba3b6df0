#include "core/thread_pool.hpp"

#include <algorithm>
#include <utility>

namespace gavel {

ThreadPool::ThreadPool(size_t threads) {
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
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

void ThreadPool::run_chunks(size_t index) {
    // Static partition: thread i takes chunk i. Predictable and cache-friendly for ops.
    size_t begin = index * job_chunk_;
    size_t end = std::min(job_n_, begin + job_chunk_);
    if (begin < end) {
        try {
            (*job_)(begin, end);
        } catch (...) {
            std::lock_guard lock(mutex_);
            if (!error_) error_ = std::current_exception();
        }
    }
}

void ThreadPool::worker_loop(size_t index) {
    size_t seen = 0;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
            if (stop_) return;
            seen = generation_;
        }
        run_chunks(index);
        {
            std::lock_guard lock(mutex_);
            if (--pending_ == 0) done_.notify_one();
        }
    }
}

void ThreadPool::parallel_for(size_t n, const std::function<void(size_t, size_t)>& fn, size_t grain) {
    if (n == 0) return;
    size_t threads = std::min(size(), std::max<size_t>(1, n / std::max<size_t>(1, grain)));
    if (threads <= 1 || workers_.empty()) {
        fn(0, n);
        return;
    }
    {
        std::lock_guard lock(mutex_);
        job_ = &fn;
        job_n_ = n;
        job_chunk_ = (n + size() - 1) / size();
        pending_ = workers_.size();
        error_ = nullptr;
        ++generation_;
    }
    wake_.notify_all();
    run_chunks(0);
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return pending_ == 0; });
    job_ = nullptr;
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
}

}  // namespace gavel
