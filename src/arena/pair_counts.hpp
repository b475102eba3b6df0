// Battles aggregated into per-pair counts, which is all a rating fit needs: however many battles
// there are, a fit then costs O(models^2). BattleCells maps each battle row to its (pair,
// outcome) cell once, so a bootstrap resample is a histogram over cells.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "arena/battle_table.hpp"
#include "core/numpy_random.hpp"

namespace gavel::arena {

struct PairCounts {
    struct Pair {
        uint32_t lo, hi;  // model ids, lo < hi
        double lo_wins = 0, hi_wins = 0, ties = 0;
    };
    size_t models = 0;
    std::vector<Pair> pairs;  // pairs with some weight, in cell order

    // Weight each model won with, ties counting half (the Bradley-Terry data).
    static double half_ties(double wins, double ties) { return wins + 0.5 * ties; }
};

class BattleCells {
public:
    explicit BattleCells(const BattleTable& table);

    size_t cells() const { return pair_models_.size() * 3; }
    // Adds the weight of each listed row (repeats allowed) to cell_weight (size cells()). Rows of
    // a model against itself belong to no cell: they say nothing about a difference in strength.
    void accumulate(std::span<const uint32_t> rows, std::vector<double>& cell_weight) const;
    // A bootstrap resample drawn and counted in one pass, without storing the rows: `draws` rows
    // from rng.randint(size(), draws), exactly as accumulate() on those rows would count them.
    void accumulate_draws(NumpyRandomState& rng, size_t draws, std::vector<double>& cell_weight) const;
    // Every row once.
    std::vector<double> all_rows() const;
    PairCounts to_pairs(const std::vector<double>& cell_weight) const;

    static constexpr uint32_t kNoCell = 0xFFFFFFFFu;

private:
    template <typename Cell>
    void accumulate_rows(const std::vector<Cell>& cell_of_row, std::span<const uint32_t> rows, std::vector<double>& cell_weight) const;

    size_t models_ = 0;
    std::vector<std::pair<uint32_t, uint32_t>> pair_models_;
    std::vector<uint32_t> cell_of_row_;
    // The same map in 16 bits when the cells fit (up to 147 models with every pair met): half the
    // memory for the bootstrap's random lookups, which is what its speed hangs on.
    std::vector<uint16_t> cell_of_row16_;
    std::vector<double> weight_of_row_;  // empty when every weight is 1
};

}  // namespace gavel::arena
