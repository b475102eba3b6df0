#include "arena/bradley_terry_ties.hpp"

#include <cmath>
#include <limits>

#include "arena/bradley_terry.hpp"

namespace gavel::arena {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

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
    fit.used_prior = !bradley_terry_mle_exists(counts);
    const size_t m = real + (fit.used_prior ? 1 : 0);
    std::vector<double> wins(m * m, 0.0), ties(m * m, 0.0);
    for (const auto& p : counts.pairs) {
        const auto i = static_cast<size_t>(index[p.lo]), j = static_cast<size_t>(index[p.hi]);
        wins[i * m + j] += p.lo_wins;
        wins[j * m + i] += p.hi_wins;
        ties[i * m + j] += p.ties;
        ties[j * m + i] += p.ties;
    }
    if (fit.used_prior)
        for (size_t i = 0; i < real; ++i) ties[i * m + real] = ties[real * m + i] = 1.0;  // one virtual tie each

    std::vector<double> s(m, 1.0), next(m), sqrt_outer(m * m), sum(m * m), common(m * m);
    double v = v_init, v_next = v_init;
    int iteration = 0;
    while (iteration < max_iterations) {
        ++iteration;
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
        double change = 0;
        for (size_t i = 0; i < m; ++i) change += (next[i] - s[i]) * (next[i] - s[i]);
        s.swap(next);
        if (std::sqrt(change) < tolerance) break;
    }
    fit.tie_parameter = v;
    fit.iterations = iteration;
    const double reference = fit.used_prior ? std::log(s[real]) : 0.0;
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
