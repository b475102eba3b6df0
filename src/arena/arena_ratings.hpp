// Ratings of every model in a battle table on the Elo scale (anchor model at 1000), with
// bootstrap confidence intervals over battles, by one of three methods:
//  - Bradley-Terry, ties as half a win (Arena-Hard-Auto, the Russian LLM Arena),
//  - Bradley-Terry with ties (Davidson / Newman),
//  - online Elo.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "arena/battle_table.hpp"
#include "arena/online_elo.hpp"
#include "core/thread_pool.hpp"

namespace gavel::arena {

enum class RatingMethod { bradley_terry, bradley_terry_ties, elo };
RatingMethod parse_rating_method(const std::string& name);  // bt, bt-ties, elo
std::string rating_method_name(RatingMethod method);

// How the bootstrap draws its rows. per_round: round i resamples with
// numpy.random.RandomState(seed + i), as the Russian LLM Arena's sample(random_state=i) does.
// stream: all rounds draw in sequence from RandomState(seed), as Arena-Hard-Auto v0.1's
// np.random.seed(42) followed by sample() does.
enum class BootstrapSeeding { per_round, stream };

struct RatingOptions {
    RatingMethod method = RatingMethod::bradley_terry;
    std::optional<uint32_t> anchor;  // the model held at 1000; without one, the mean rating is 1000
    size_t rounds = 100;
    uint32_t seed = 0;
    BootstrapSeeding seeding = BootstrapSeeding::per_round;
    double ci_level = 95;  // the interval runs between the (100 - level)/2 and (100 + level)/2 percentiles
    EloParams elo;
};

struct RatingResult {
    std::vector<double> rating;                      // NaN for models without battles
    std::vector<double> rating_lower, rating_upper;  // bootstrap percentiles; NaN without rounds
    // Expected score in percent against the anchor (win rate, ties as half) at the rating and at
    // both bounds; NaN without an anchor.
    std::vector<double> score, score_lower, score_upper;
    std::vector<std::vector<double>> bootstrap;  // [model][round], NaN where the model had no battles
    std::vector<size_t> rounds_present;          // per model
    bool used_prior = false;                     // the full-data fit needed the virtual-tie prior
    size_t rounds_with_prior = 0;
    size_t rounds_without_anchor = 0;            // resamples with no battle of the anchor (left out)
    double tie_parameter = 0;                    // Davidson's v of the full fit (bt-ties)
};

RatingResult rate_battles(const BattleTable& table, const RatingOptions& options, ThreadPool& pool);

// Win probability of rating r against rating r0 on the Elo scale, in percent.
double elo_win_percent(double r, double r0);

}  // namespace gavel::arena
