// Runs a sequence classifier (JinaJudge) over many token sequences: sequences of similar length
// share a padded batch, so padding wastes little work, and results come back in input order.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "core/thread_pool.hpp"
#include "models/jina_judge.hpp"

namespace gavel {

struct ClassifyOutput {
    std::array<float, 3> logits{};
    double seconds = 0;  // this sequence's share of its batch's time, by token count
};

class ClassifyBatcher {
public:
    // A batch holds at most `max_batch` sequences and `max_batch_tokens` padded tokens (batch size
    // x its longest sequence); a sequence longer than that still runs, alone.
    explicit ClassifyBatcher(size_t max_batch = 8, int64_t max_batch_tokens = 16384);

    size_t max_batch() const { return max_batch_; }

    // Indices into `lengths` grouped into batches: sorted by length (ties in input order), cut
    // when a limit would be passed. Every index appears exactly once.
    std::vector<std::vector<size_t>> plan(std::span<const int64_t> lengths) const;

    // Logits for every sequence, in input order. Padding never changes a result: each equals the
    // sequence classified alone.
    std::vector<ClassifyOutput> run(ThreadPool& pool, const JinaJudgeModel& model,
                                    std::span<const std::vector<int32_t>> sequences) const;

private:
    size_t max_batch_;
    int64_t max_batch_tokens_;
};

}  // namespace gavel
