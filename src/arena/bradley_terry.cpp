#include "arena/bradley_terry.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace gavel::arena {
namespace {

// Newton is O(models^3) per step; past this many models the MM sweep is cheaper.
constexpr size_t kNewtonModels = 600;

// Pairs over the models that have battles, renumbered 0..m-1, ties folded in as half wins.
struct CompactPairs {
    struct Pair {
        uint32_t i, j;
        double wij, wji;  // weight i won with, weight j won with
    };
    std::vector<uint32_t> model_of;  // compact index -> model id
    std::vector<Pair> pairs;
    size_t m = 0;
    bool has_virtual = false;  // the last compact index is the virtual reference player
};

CompactPairs compact(const PairCounts& counts) {
    CompactPairs c;
    std::vector<int64_t> index(counts.models, -1);
    auto id = [&](uint32_t model) {
        if (index[model] < 0) {
            index[model] = static_cast<int64_t>(c.model_of.size());
            c.model_of.push_back(model);
        }
        return static_cast<uint32_t>(index[model]);
    };
    for (const auto& p : counts.pairs) {
        const double wl = PairCounts::half_ties(p.lo_wins, p.ties), wh = PairCounts::half_ties(p.hi_wins, p.ties);
        if (wl + wh <= 0) continue;
        c.pairs.push_back({id(p.lo), id(p.hi), wl, wh});
    }
    c.m = c.model_of.size();
    return c;
}

bool strongly_connected(const CompactPairs& c) {
    if (c.m <= 1) return true;
    std::vector<std::vector<uint32_t>> beat(c.m), beaten_by(c.m);
    for (const auto& p : c.pairs) {
        if (p.wij > 0) {
            beat[p.i].push_back(p.j);
            beaten_by[p.j].push_back(p.i);
        }
        if (p.wji > 0) {
            beat[p.j].push_back(p.i);
            beaten_by[p.i].push_back(p.j);
        }
    }
    auto reaches_all = [&](const std::vector<std::vector<uint32_t>>& edges) {
        std::vector<char> seen(c.m, 0);
        std::vector<uint32_t> stack{0};
        seen[0] = 1;
        size_t count = 1;
        while (!stack.empty()) {
            const uint32_t v = stack.back();
            stack.pop_back();
            for (uint32_t w : edges[v])
                if (!seen[w]) {
                    seen[w] = 1;
                    ++count;
                    stack.push_back(w);
                }
        }
        return count == c.m;
    };
    return reaches_all(beat) && reaches_all(beaten_by);
}

void add_virtual_player(CompactPairs& c) {
    const auto v = static_cast<uint32_t>(c.m);
    for (uint32_t i = 0; i < v; ++i) c.pairs.push_back({i, v, 0.5, 0.5});  // one tie each
    c.model_of.push_back(std::numeric_limits<uint32_t>::max());
    ++c.m;
    c.has_virtual = true;
}

double log_sigmoid(double x) { return x >= 0 ? -std::log1p(std::exp(-x)) : x - std::log1p(std::exp(x)); }
double sigmoid(double x) { return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x)); }

double log_likelihood(const CompactPairs& c, const std::vector<double>& theta) {
    double ll = 0;
    for (const auto& p : c.pairs) {
        const double d = theta[p.i] - theta[p.j];
        ll += p.wij * log_sigmoid(d) + p.wji * log_sigmoid(-d);
    }
    return ll;
}

// Solves A x = b for symmetric positive definite A (n x n, row-major) by Cholesky; false if A is
// not positive definite.
bool cholesky_solve(std::vector<double>& a, std::vector<double>& b, size_t n) {
    for (size_t j = 0; j < n; ++j) {
        double d = a[j * n + j];
        for (size_t k = 0; k < j; ++k) d -= a[j * n + k] * a[j * n + k];
        if (!(d > 0)) return false;
        const double l = std::sqrt(d);
        a[j * n + j] = l;
        for (size_t i = j + 1; i < n; ++i) {
            double s = a[i * n + j];
            for (size_t k = 0; k < j; ++k) s -= a[i * n + k] * a[j * n + k];
            a[i * n + j] = s / l;
        }
    }
    for (size_t i = 0; i < n; ++i) {
        double s = b[i];
        for (size_t k = 0; k < i; ++k) s -= a[i * n + k] * b[k];
        b[i] = s / a[i * n + i];
    }
    for (size_t i = n; i-- > 0;) {
        double s = b[i];
        for (size_t k = i + 1; k < n; ++k) s -= a[k * n + i] * b[k];
        b[i] = s / a[i * n + i];
    }
    return true;
}

// Newton's method with one log-strength held fixed (`fixed`): the likelihood only sees differences.
int newton(const CompactPairs& c, std::vector<double>& theta, size_t fixed) {
    const size_t m = c.m, n = m - 1;
    auto reduced = [&](size_t k) { return k < fixed ? k : k - 1; };
    std::vector<double> hessian(n * n), gradient(n);
    double ll = log_likelihood(c, theta);
    for (int iteration = 1; iteration <= 200; ++iteration) {
        std::fill(hessian.begin(), hessian.end(), 0.0);
        std::fill(gradient.begin(), gradient.end(), 0.0);
        for (const auto& p : c.pairs) {
            const double pr = sigmoid(theta[p.i] - theta[p.j]);
            const double total = p.wij + p.wji;
            const double g = p.wij - total * pr;
            const double q = total * pr * (1.0 - pr);
            const bool fi = p.i == fixed, fj = p.j == fixed;
            if (!fi) {
                gradient[reduced(p.i)] += g;
                hessian[reduced(p.i) * n + reduced(p.i)] += q;
            }
            if (!fj) {
                gradient[reduced(p.j)] -= g;
                hessian[reduced(p.j) * n + reduced(p.j)] += q;
            }
            if (!fi && !fj) {
                hessian[reduced(p.i) * n + reduced(p.j)] -= q;
                hessian[reduced(p.j) * n + reduced(p.i)] -= q;
            }
        }
        std::vector<double> step = gradient;
        if (!cholesky_solve(hessian, step, n)) {
            // Probabilities saturated to 0/1 make the Hessian singular in floating point; a
            // gradient step still improves the fit.
            step = gradient;
            double scale = 0;
            for (double g : gradient) scale = std::max(scale, std::abs(g));
            for (double& s : step) s /= std::max(1.0, scale);
        }
        // Backtracking: the likelihood is concave, so a full Newton step is almost always taken.
        double t = 1.0, max_change = 0;
        std::vector<double> trial(m);
        for (int halving = 0; halving < 60; ++halving, t *= 0.5) {
            for (size_t k = 0; k < m; ++k) trial[k] = k == fixed ? theta[k] : theta[k] + t * step[reduced(k)];
            const double trial_ll = log_likelihood(c, trial);
            if (trial_ll >= ll - 1e-12 * std::abs(ll)) {
                ll = trial_ll;
                break;
            }
        }
        for (size_t k = 0; k < m; ++k) {
            max_change = std::max(max_change, std::abs(trial[k] - theta[k]));
            theta[k] = trial[k];
        }
        if (max_change < 1e-11) return iteration;
    }
    return 200;
}

BradleyTerryFit expand(const CompactPairs& c, const std::vector<double>& theta, size_t models, bool used_prior, int iterations) {
    BradleyTerryFit fit;
    fit.used_prior = used_prior;
    fit.iterations = iterations;
    fit.log_strength.assign(models, kNaN);
    const size_t real = c.has_virtual ? c.m - 1 : c.m;
    double mean = 0;
    for (size_t k = 0; k < real; ++k) mean += theta[k];
    mean /= std::max<size_t>(real, 1);
    for (size_t k = 0; k < real; ++k) fit.log_strength[c.model_of[k]] = theta[k] - mean;
    return fit;
}

}  // namespace

bool bradley_terry_mle_exists(const PairCounts& counts) { return strongly_connected(compact(counts)); }

BradleyTerryFit fit_bradley_terry(const PairCounts& counts, std::span<const double> warm_start) {
    CompactPairs c = compact(counts);
    if (c.m == 0) return expand(c, {}, counts.models, false, 0);
    if (c.m > kNewtonModels) return fit_bradley_terry_mm(counts);
    const bool prior = !strongly_connected(c);
    if (prior) add_virtual_player(c);
    std::vector<double> theta(c.m, 0.0);
    if (!warm_start.empty())
        for (size_t k = 0; k < c.m; ++k)
            if (c.model_of[k] < warm_start.size() && std::isfinite(warm_start[c.model_of[k]])) theta[k] = warm_start[c.model_of[k]];
    // Hold the virtual player (or the first model) fixed; with the virtual player the others
    // move relative to a strength-1 reference, as the prior says.
    const size_t fixed = prior ? c.m - 1 : 0;
    if (prior) theta[fixed] = 0.0;
    const int iterations = c.m > 1 ? newton(c, theta, fixed) : 0;
    return expand(c, theta, counts.models, prior, iterations);
}

BradleyTerryFit fit_bradley_terry_mm(const PairCounts& counts, double tolerance, int max_sweeps) {
    CompactPairs c = compact(counts);
    if (c.m == 0) return expand(c, {}, counts.models, false, 0);
    const bool prior = !strongly_connected(c);
    if (prior) add_virtual_player(c);
    // Per model: the weight it won with, and its opponents with the total weight between them.
    std::vector<double> wins(c.m, 0.0);
    std::vector<std::vector<std::pair<uint32_t, double>>> opponents(c.m);
    for (const auto& p : c.pairs) {
        wins[p.i] += p.wij;
        wins[p.j] += p.wji;
        opponents[p.i].emplace_back(p.j, p.wij + p.wji);
        opponents[p.j].emplace_back(p.i, p.wij + p.wji);
    }
    std::vector<double> s(c.m, 1.0);
    int sweep = 0;
    std::vector<double> previous(c.m);
    for (; sweep < max_sweeps; ++sweep) {
        previous = s;
        for (size_t i = 0; i < c.m; ++i) {
            // s_i <- W_i / sum_j n_ij / (s_i + s_j), updated in place (Gauss-Seidel, as Evalica).
            double den = 0;
            for (const auto& [j, n] : opponents[i]) den += n / (s[i] + s[j]);
            const double next = den > 0 ? wins[i] / den : s[i];
            s[i] = next;
        }
        double log_mean = 0;
        for (double x : s) log_mean += std::log(x);
        log_mean /= static_cast<double>(c.m);
        double change = 0;
        for (size_t i = 0; i < c.m; ++i) {
            s[i] /= std::exp(log_mean);
            change = std::max(change, std::abs(std::log(s[i]) - std::log(previous[i])));
        }
        if (change < tolerance) break;
    }
    std::vector<double> theta(c.m);
    for (size_t k = 0; k < c.m; ++k) theta[k] = std::log(s[k]) - (prior ? std::log(s[c.m - 1]) : 0.0);
    return expand(c, theta, counts.models, prior, sweep + 1);
}

}  // namespace gavel::arena
