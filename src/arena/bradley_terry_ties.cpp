#include "arena/bradley_terry_ties.hpp"

#include <cmath>
#include <limits>

#include "arena/bradley_terry.hpp"

namespace gavel::arena {
namespace {


// Evalica's one_nan_to_num: NaN -> `nan`, +-inf -> the largest finite value of that sign.
double nan_to_num(double x, double nan) {
    if (std::isnan(x)) return nan;
    if (std::isinf(x)) return x > 0 ? std::numeric_limits<double>::max() : std::numeric_limits<double>::lowest();
    return x;
}

}  // namespace

double davidson_expected_score(double log_si, double log_sj, double v) {
    // Divide through by sqrt(s_i s_j): numbers stay moderate even for far-apart strengths.
    const double half = 0.5 * (log_si - log_sj);
    const double ri = std::exp(half), rj = std::exp(-half);
    return (ri + v) / (ri + rj + 2.0 * v);
}

namespace {

struct NewmanRun {
    std::vector<double> s;  // strengths, the virtual reference player last when there is one
    double v = 0;
    int iterations = 0;
    bool diverged = false;
};

// Newman's update for strengths and v, as Evalica's `newman` does it (Jacobi sweeps, no
// renormalisation), over dense m x m win and tie matrices.
NewmanRun newman(const std::vector<double>& wins, const std::vector<double>& ties, size_t m, double v_init, double tolerance,
                 int max_iterations) {
    NewmanRun run;
    std::vector<double>& s = run.s;
    s.assign(m, 1.0);
    std::vector<double> next(m), sqrt_outer(m * m), sum(m * m), common(m * m);
    double v = v_init, v_next = v_init;
    bool converged = false;
    while (run.iterations < max_iterations && !converged) {
        ++run.iterations;
        v = nan_to_num(v_next, tolerance);
        for (size_t i = 0; i < m; ++i)
            for (size_t j = 0; j < m; ++j) {
                sqrt_outer[i * m + j] = std::sqrt(s[i] * s[j]);
                sum[i * m + j] = s[i] + s[j];
                common[i * m + j] = sum[i * m + j] + 2.0 * v * sqrt_outer[i * m + j];
            }
        double v_num = 0, v_den = 0;
        for (size_t i = 0; i < m; ++i) {
            double num = 0, den = 0;
            for (size_t j = 0; j < m; ++j) {
                const double wt_ij = wins[i * m + j] + 0.5 * ties[i * m + j];
                const double wt_ji = wins[j * m + i] + 0.5 * ties[j * m + i];
                num += wt_ij * (s[j] + v * sqrt_outer[i * m + j]) / common[i * m + j];
                den += wt_ji * (1.0 + v * std::sqrt(s[j] / s[i])) / common[i * m + j];
                v_num += ties[i * m + j] * sum[i * m + j] / common[i * m + j];
                v_den += wins[i * m + j] * sqrt_outer[i * m + j] / common[i * m + j];
            }
            next[i] = nan_to_num(num / den, tolerance);
        }
        v_next = (v_num / 2.0) / (v_den * 2.0);
        double change = 0, lo = next[0], hi = next[0];
        for (size_t i = 0; i < m; ++i) {
            change += (next[i] - s[i]) * (next[i] - s[i]);
            lo = std::min(lo, next[i]);
            hi = std::max(hi, next[i]);
        }
        s.swap(next);
        // Evalica stops on the strengths alone; v must settle too, or a runaway v (see below)
        // would pass for convergence.
        converged = std::sqrt(change) < tolerance && std::abs(v_next - v) <= tolerance * std::max(1.0, std::abs(v));
        // A maximum at infinity shows as v or the spread of strengths growing without end.
        if (!(v < 1e6) || !(lo > 0) || !(hi / lo < 1e30)) {
            run.diverged = true;
            break;
        }
    }
    run.v = v;
    run.diverged = run.diverged || !converged;
    return run;
}

}  // namespace

BradleyTerryTiesFit fit_bradley_terry_ties(const PairCounts& counts, double v_init, double tolerance, int max_iterations) {
    BradleyTerryTiesFit fit;
    fit.log_strength.assign(counts.models, kNaN);
    fit.raw_strength.assign(counts.models, kNaN);
    std::vector<int64_t> index(counts.models, -1);
    std::vector<uint32_t> model_of;
    for (const auto& p : counts.pairs)
        for (uint32_t model : {p.lo, p.hi})
            if (index[model] < 0) {
                index[model] = static_cast<int64_t>(model_of.size());
                model_of.push_back(model);
            }
    const size_t real = model_of.size();
    if (real == 0) return fit;

    auto matrices = [&](bool prior, std::vector<double>& wins, std::vector<double>& ties) {
        const size_t m = real + (prior ? 1 : 0);
        wins.assign(m * m, 0.0);
        ties.assign(m * m, 0.0);
        for (const auto& p : counts.pairs) {
            const auto i = static_cast<size_t>(index[p.lo]), j = static_cast<size_t>(index[p.hi]);
            wins[i * m + j] += p.lo_wins;
            wins[j * m + i] += p.hi_wins;
            ties[i * m + j] += p.ties;
            ties[j * m + i] += p.ties;
        }
        // The prior: half a win and half a loss against a reference player (not a tie, which
        // would feed a runaway v).
        if (prior)
            for (size_t i = 0; i < real; ++i) wins[i * m + real] = wins[real * m + i] = 0.5;
        return m;
    };
    // Where ties-as-half Bradley-Terry has no maximum, this model has none either. Where it has,
    // the Davidson likelihood can still rise for ever (one win and one tie between two models:
    // v and the strength ratio grow together); the iteration notices and the prior steps in.
    bool prior = !bradley_terry_mle_exists(counts);
    std::vector<double> wins, ties;
    size_t m = matrices(prior, wins, ties);
    NewmanRun run = newman(wins, ties, m, v_init, tolerance, max_iterations);
    if (run.diverged && !prior) {
        prior = true;
        m = matrices(prior, wins, ties);
        run = newman(wins, ties, m, v_init, tolerance, max_iterations);
    }
    const std::vector<double>& s = run.s;
    fit.used_prior = prior;
    fit.tie_parameter = run.v;
    fit.iterations = run.iterations;
    const double reference = prior ? std::log(s[real]) : 0.0;
    double mean = 0;
    for (size_t k = 0; k < real; ++k) mean += std::log(s[k]) - reference;
    mean /= static_cast<double>(real);
    for (size_t k = 0; k < real; ++k) {
        fit.raw_strength[model_of[k]] = s[k];
        fit.log_strength[model_of[k]] = std::log(s[k]) - reference - mean;
    }
    return fit;
}

}  // namespace gavel::arena
