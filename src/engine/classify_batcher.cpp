#include "engine/classify_batcher.hpp"

#include <algorithm>
#include <chrono>
#include <numeric>

#include "core/error.hpp"

namespace gavel {

ClassifyBatcher::ClassifyBatcher(size_t max_batch, int64_t max_batch_tokens)
    : max_batch_(max_batch), max_batch_tokens_(max_batch_tokens) {
    if (max_batch == 0) fail("classify: the batch size must be at least 1");
    if (max_batch_tokens <= 0) fail("classify: the batch token budget must be positive, got {}", max_batch_tokens);
}

std::vector<std::vector<size_t>> ClassifyBatcher::plan(std::span<const int64_t> lengths) const {
    std::vector<size_t> order(lengths.size());
    std::iota(order.begin(), order.end(), size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return lengths[a] < lengths[b]; });
    std::vector<std::vector<size_t>> batches;
    std::vector<size_t> current;
    for (size_t i : order) {
        // Sorted ascending, so the newcomer is the batch's longest sequence.
        const int64_t padded = int64_t(current.size() + 1) * lengths[i];
        if (!current.empty() && (current.size() == max_batch_ || padded > max_batch_tokens_)) {
            batches.push_back(std::move(current));
            current.clear();
        }
        current.push_back(i);
    }
    if (!current.empty()) batches.push_back(std::move(current));
    return batches;
}

std::vector<ClassifyOutput> ClassifyBatcher::run(ThreadPool& pool, const JinaJudgeModel& model,
                                                 std::span<const std::vector<int32_t>> sequences) const {
    std::vector<int64_t> lengths;
    for (const auto& s : sequences) lengths.push_back(int64_t(s.size()));
    std::vector<ClassifyOutput> out(sequences.size());
    const auto pad_id = int32_t(model.encoder().config().pad_token_id);
    for (const auto& group : plan(lengths)) {
        std::vector<std::vector<int32_t>> members;
        int64_t tokens = 0;
        for (size_t i : group) {
            members.push_back(sequences[i]);
            tokens += lengths[i];
        }
        const auto start = std::chrono::steady_clock::now();
        auto logits = model.classify(pool, TokenBatch::pad(members, pad_id));
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        for (size_t j = 0; j < group.size(); ++j) {
            out[group[j]].logits = logits[j];
            out[group[j]].seconds = seconds * double(lengths[group[j]]) / double(std::max<int64_t>(tokens, 1));
        }
    }
    return out;
}

}  // namespace gavel
