// Bradley-Terry strengths by maximum likelihood (P(i beats j) = s_i / (s_i + s_j), a tie counting
// half a win to each side), the model behind Arena-Hard-Auto's and the Russian LLM Arena's
// leaderboards. Newton's method on log-strengths, from per-pair counts.
#pragma once

#include <limits>
#include <span>
#include <vector>

#include "arena/pair_counts.hpp"

namespace gavel::arena {

// The value of a rating or error the data leave undefined.
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct BradleyTerryFit {
    // Natural-log strengths with mean 0 over the models that have battles; NaN for the others.
    std::vector<double> log_strength;
    // True when the maximum-likelihood estimate does not exist (some model never lost or never
    // won against the rest, or the models fall into groups never compared): the fit then gives
    // every model one virtual game against a reference player of strength 1 that counts half a
    // win and half a loss (a tie, here), which keeps the ratings finite.
    bool used_prior = false;
    int iterations = 0;
};

// The MLE exists iff the graph "i won or tied against j" over the models with battles is strongly
// connected (Zermelo 1929; Ford 1957).
bool bradley_terry_mle_exists(const PairCounts& counts);

// `warm_start`, if not empty, gives log strengths to start from (e.g. the full-data fit when
// fitting a bootstrap resample); it changes only the number of iterations.
BradleyTerryFit fit_bradley_terry(const PairCounts& counts, std::span<const double> warm_start = {});

// The same estimate by the minorise-maximise iteration (Hunter 2004; Evalica's solver): slower
// to converge, kept for models too many for Newton's dense linear algebra and as a cross-check.
BradleyTerryFit fit_bradley_terry_mm(const PairCounts& counts, double tolerance = 1e-12, int max_sweeps = 100000);

}  // namespace gavel::arena
