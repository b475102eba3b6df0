// Bradley-Terry with ties as outcomes of their own (Davidson 1970): P(i beats j) = s_i / D,
// P(tie) = 2 v sqrt(s_i s_j) / D, D = s_i + s_j + 2 v sqrt(s_i s_j), fitted by Newman's (2023)
// fixed-point iteration for strengths and v, the update Evalica's `newman` uses.
#pragma once

#include <vector>

#include "arena/pair_counts.hpp"

namespace gavel::arena {

struct BradleyTerryTiesFit {
    std::vector<double> log_strength;  // natural log, mean 0 over models with battles; NaN otherwise
    std::vector<double> raw_strength;  // the iteration's own scale (Evalica reports these); NaN otherwise
    double tie_parameter = 0;          // v
    // As in BradleyTerryFit, when no maximum exists (which the iteration notices as v or the spread
    // of strengths growing without bound) every model gets half a win and half a loss against a
    // reference player.
    bool used_prior = false;
    int iterations = 0;
};

// Starts from strengths 1 and v = v_init and stops when the strengths move less than
// `tolerance` (Euclidean norm) in one step.
BradleyTerryTiesFit fit_bradley_terry_ties(const PairCounts& counts, double v_init = 0.5, double tolerance = 1e-12,
                                           int max_iterations = 20000);

// The Davidson model's expected score of i against j (win + half a tie), from log strengths.
double davidson_expected_score(double log_si, double log_sj, double v);

}  // namespace gavel::arena
