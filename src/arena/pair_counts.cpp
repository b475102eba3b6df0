#include "arena/pair_counts.hpp"

#include <algorithm>
#include <iterator>
#include <unordered_map>

namespace gavel::arena {

BattleCells::BattleCells(const BattleTable& table) : models_(table.models.size()) {
    std::unordered_map<uint64_t, uint32_t> pair_index;
    cell_of_row_.resize(table.size());
    for (size_t r = 0; r < table.size(); ++r) {
        const uint32_t a = table.a[r], b = table.b[r];
        if (a == b) {
            cell_of_row_[r] = kNoCell;
            continue;
        }
        const uint32_t lo = std::min(a, b), hi = std::max(a, b);
        auto [it, inserted] = pair_index.try_emplace((uint64_t{lo} << 32) | hi, static_cast<uint32_t>(pair_models_.size()));
        if (inserted) pair_models_.emplace_back(lo, hi);
        // Outcome relative to (lo, hi): 0 lo wins, 1 hi wins, 2 tie.
        uint32_t outcome = 2;
        if (table.outcome[r] != BattleOutcome::tie) {
            const uint32_t winner = table.outcome[r] == BattleOutcome::a_wins ? a : b;
            outcome = winner == lo ? 0 : 1;
        }
        cell_of_row_[r] = it->second * 3 + outcome;
    }
    if (!table.unit_weights()) weight_of_row_ = table.weight;
    if (cells() < 0xFFFF) {
        cell_of_row16_.resize(cell_of_row_.size());
        for (size_t r = 0; r < cell_of_row_.size(); ++r)
            cell_of_row16_[r] = cell_of_row_[r] == kNoCell ? uint16_t{0xFFFF} : static_cast<uint16_t>(cell_of_row_[r]);
    }
}

template <typename Cell>
void BattleCells::accumulate_rows(const std::vector<Cell>& cell_of_row, std::span<const uint32_t> rows,
                                  std::vector<double>& cell_weight) const {
    constexpr Cell kNone = static_cast<Cell>(~Cell{0});
    if (weight_of_row_.empty()) {
        for (uint32_t r : rows) {
            const Cell c = cell_of_row[r];
            if (c != kNone) cell_weight[c] += 1.0;
        }
    } else {
        for (uint32_t r : rows) {
            const Cell c = cell_of_row[r];
            if (c != kNone) cell_weight[c] += weight_of_row_[r];
        }
    }
}

void BattleCells::accumulate(std::span<const uint32_t> rows, std::vector<double>& cell_weight) const {
    if (!cell_of_row16_.empty())
        accumulate_rows(cell_of_row16_, rows, cell_weight);
    else
        accumulate_rows(cell_of_row_, rows, cell_weight);
}

void BattleCells::accumulate_draws(NumpyRandomState& rng, size_t draws, std::vector<double>& cell_weight) const {
    const size_t n = cell_of_row_.size();
    if (n == 0 || draws == 0) return;
    if (n == 1) {
        // randint(0, 1) returns 0 without drawing.
        if (cell_of_row_[0] != kNoCell) cell_weight[cell_of_row_[0]] += static_cast<double>(draws) * (weight_of_row_.empty() ? 1.0 : weight_of_row_[0]);
        return;
    }
    const auto max_row = static_cast<uint32_t>(n - 1);
    const uint32_t mask = NumpyRandomState::mask_for(max_row);
    // In chunks: the generator's rejection branch mispredicts now and then, and keeping the
    // cache-missing table lookups out of that loop lets them overlap (about twice as fast).
    uint32_t rows[2048];
    for (size_t done = 0; done < draws;) {
        const size_t count = std::min<size_t>(std::size(rows), draws - done);
        for (size_t i = 0; i < count; ++i) rows[i] = rng.next_below(max_row, mask);
        accumulate(std::span<const uint32_t>(rows, count), cell_weight);
        done += count;
    }
}

std::vector<double> BattleCells::all_rows() const {
    std::vector<double> w(cells(), 0.0);
    for (size_t r = 0; r < cell_of_row_.size(); ++r)
        if (cell_of_row_[r] != kNoCell) w[cell_of_row_[r]] += weight_of_row_.empty() ? 1.0 : weight_of_row_[r];
    return w;
}

PairCounts BattleCells::to_pairs(const std::vector<double>& cell_weight) const {
    PairCounts counts;
    counts.models = models_;
    for (size_t p = 0; p < pair_models_.size(); ++p) {
        const double lo = cell_weight[3 * p], hi = cell_weight[3 * p + 1], tie = cell_weight[3 * p + 2];
        if (lo + hi + tie <= 0) continue;
        counts.pairs.push_back({pair_models_[p].first, pair_models_[p].second, lo, hi, tie});
    }
    return counts;
}

}  // namespace gavel::arena
