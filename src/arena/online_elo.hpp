// Plain online Elo: ratings updated battle by battle in input order (Chatbot Arena's first
// leaderboard, Evalica's `elo`). Unlike Bradley-Terry it depends on the order of battles.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "arena/battle_table.hpp"

namespace gavel::arena {

struct EloParams {
    double initial = 1000, base = 10, scale = 400, k = 4;
    double win_weight = 1, tie_weight = 0.5;  // points scored for a win / a tie
};

// Runs the rows listed in `rows` (in that order, repeats allowed; empty = every row once).
// A battle's weight scales the points scored, as in Evalica. Models without battles keep `initial`.
std::vector<double> online_elo(const BattleTable& table, std::span<const uint32_t> rows, const EloParams& params);

}  // namespace gavel::arena
