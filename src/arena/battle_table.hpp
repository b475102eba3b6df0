// The battles an arena is rated from: one row per battle (model A, model B, outcome, weight),
// in input order. Rows are kept, not merged, because a seeded bootstrap resamples row positions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace gavel::arena {

enum class BattleOutcome : uint8_t { a_wins = 0, b_wins = 1, tie = 2 };

struct BattleTable {
    // Model names in order of first mention; ids index this vector. A model may have no battles
    // (all its games were dropped) and still be listed, so the leaderboard can say so.
    std::vector<std::string> models;
    std::unordered_map<std::string, uint32_t> model_index;

    std::vector<uint32_t> a, b;
    std::vector<BattleOutcome> outcome;
    std::vector<double> weight;  // 1 unless length control or the input says otherwise

    uint32_t model_id(const std::string& name);
    std::optional<uint32_t> find_model(const std::string& name) const;
    void add(uint32_t model_a, uint32_t model_b, BattleOutcome result, double w = 1.0);
    size_t size() const { return a.size(); }
    bool unit_weights() const;
};

}  // namespace gavel::arena
