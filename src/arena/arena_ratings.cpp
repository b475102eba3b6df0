#include "arena/arena_ratings.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "arena/bradley_terry.hpp"
#include "arena/bradley_terry_ties.hpp"
#include "arena/pair_counts.hpp"
#include "core/error.hpp"
#include "core/numpy_random.hpp"

namespace gavel::arena {
namespace {

const double kLn10 = std::log(10.0);

double rating_of(double log_strength) { return 1000.0 + 400.0 * log_strength / kLn10; }
double log_strength_of(double rating) { return (rating - 1000.0) * kLn10 / 400.0; }

struct Fit {
    std::vector<double> rating;  // Elo scale, anchored; NaN for absent models
    bool prior = false;
    double tie_parameter = 0;
};

class Rater {
public:
    Rater(const BattleTable& table, const RatingOptions& options) : table_(table), options_(options), cells_(table) {}

    // One fit from the rows listed (repeats allowed); `cell_weight` is scratch space.
    Fit fit(std::span<const uint32_t> rows, std::vector<double>& cell_weight, std::span<const double> warm_start) const {
        if (options_.method != RatingMethod::elo) {
            cell_weight.assign(cells_.cells(), 0.0);
            cells_.accumulate(rows, cell_weight);
            return fit_cells(cell_weight, warm_start);
        }
        Fit f;
        const size_t models = table_.models.size();
        std::vector<char> present(models, 0);
        for (uint32_t r : rows) present[table_.a[r]] = present[table_.b[r]] = 1;
        f.rating = online_elo(table_, rows, options_.elo);
        for (size_t m = 0; m < models; ++m)
            if (!present[m]) f.rating[m] = kNaN;
        anchor(f);
        return f;
    }

    // One bootstrap round drawn from its own generator. Bradley-Terry needs only the cell counts,
    // so the rows are counted as they are drawn; Elo needs them in order.
    Fit fit_resample(NumpyRandomState& rng, std::vector<uint32_t>& rows, std::vector<double>& cell_weight,
                     std::span<const double> warm_start) const {
        if (options_.method == RatingMethod::elo) {
            rows.resize(table_.size());
            rng.randint(table_.size(), rows);
            return fit(rows, cell_weight, warm_start);
        }
        cell_weight.assign(cells_.cells(), 0.0);
        cells_.accumulate_draws(rng, table_.size(), cell_weight);
        return fit_cells(cell_weight, warm_start);
    }

private:
    Fit fit_cells(const std::vector<double>& cell_weight, std::span<const double> warm_start) const {
        Fit f;
        const size_t models = table_.models.size();
        const PairCounts counts = cells_.to_pairs(cell_weight);
        f.rating.assign(models, kNaN);
        if (options_.method == RatingMethod::bradley_terry) {
            const BradleyTerryFit bt = fit_bradley_terry(counts, warm_start);
            f.prior = bt.used_prior;
            for (size_t m = 0; m < models; ++m) f.rating[m] = rating_of(bt.log_strength[m]);
        } else {
            const BradleyTerryTiesFit bt = fit_bradley_terry_ties(counts);
            f.prior = bt.used_prior;
            f.tie_parameter = bt.tie_parameter;
            for (size_t m = 0; m < models; ++m) f.rating[m] = rating_of(bt.log_strength[m]);
        }
        anchor(f);
        return f;
    }

    void anchor(Fit& f) const {
        if (!options_.anchor) return;
        const double shift = 1000.0 - f.rating[*options_.anchor];  // NaN if the anchor is absent
        for (double& r : f.rating) r += shift;
    }

    const BattleTable& table_;
    const RatingOptions& options_;
    BattleCells cells_;
};

}  // namespace

RatingMethod parse_rating_method(const std::string& name) {
    if (name == "bt") return RatingMethod::bradley_terry;
    if (name == "bt-ties") return RatingMethod::bradley_terry_ties;
    if (name == "elo") return RatingMethod::elo;
    fail("unknown rating method '{}' (expected bt, bt-ties or elo)", name);
}

std::string rating_method_name(RatingMethod method) {
    switch (method) {
        case RatingMethod::bradley_terry: return "bt";
        case RatingMethod::bradley_terry_ties: return "bt-ties";
        case RatingMethod::elo: return "elo";
    }
    return "?";
}

double elo_win_percent(double r, double r0) { return 100.0 / (1.0 + std::pow(10.0, (r0 - r) / 400.0)); }

RatingResult rate_battles(const BattleTable& table, const RatingOptions& options, ThreadPool& pool) {
    if (table.size() > 0xFFFFFFFFull) fail("{} battles: at most 2^32 - 1 are supported", table.size());
    if (options.anchor && *options.anchor >= table.models.size()) fail("anchor model id {} out of range", *options.anchor);
    const size_t models = table.models.size(), n = table.size(), rounds = options.rounds;
    const Rater rater(table, options);
    RatingResult result;

    std::vector<uint32_t> all(n);
    std::iota(all.begin(), all.end(), 0u);
    std::vector<double> scratch;
    const Fit full = rater.fit(all, scratch, {});
    result.rating = full.rating;
    result.used_prior = full.prior;
    result.tie_parameter = full.tie_parameter;
    std::vector<double> warm(models, kNaN);
    for (size_t m = 0; m < models; ++m)
        if (std::isfinite(full.rating[m])) warm[m] = log_strength_of(full.rating[m]);

    result.bootstrap.assign(models, std::vector<double>(rounds, kNaN));
    std::vector<char> prior_in_round(rounds, 0);
    auto store = [&](size_t r, const Fit& f) {
        prior_in_round[r] = f.prior;
        for (size_t m = 0; m < models; ++m) result.bootstrap[m][r] = f.rating[m];
    };
    if (n > 0 && rounds > 0) {
        if (options.seeding == BootstrapSeeding::per_round) {
            pool.parallel_for(rounds, [&](size_t begin, size_t end) {
                std::vector<uint32_t> rows;
                std::vector<double> cell_weight;
                for (size_t r = begin; r < end; ++r) {
                    NumpyRandomState rng(static_cast<uint32_t>(options.seed + r));
                    store(r, rater.fit_resample(rng, rows, cell_weight, warm));
                }
            });
        } else {
            // One generator for all rounds: draw a block of rounds in sequence, fit them in parallel.
            NumpyRandomState rng(options.seed);
            const size_t block = std::clamp<size_t>((size_t{1} << 24) / n, 1, 64);
            std::vector<std::vector<uint32_t>> draws(std::min(block, rounds), std::vector<uint32_t>(n));
            for (size_t start = 0; start < rounds; start += block) {
                const size_t count = std::min(block, rounds - start);
                for (size_t k = 0; k < count; ++k) rng.randint(n, draws[k]);
                pool.parallel_for(count, [&](size_t begin, size_t end) {
                    std::vector<double> cell_weight;
                    for (size_t k = begin; k < end; ++k) store(start + k, rater.fit(draws[k], cell_weight, warm));
                });
            }
        }
    }

    const double tail = (100.0 - options.ci_level) / 2.0;
    result.rating_lower.assign(models, kNaN);
    result.rating_upper.assign(models, kNaN);
    result.rounds_present.assign(models, 0);
    for (size_t r = 0; r < rounds; ++r) {
        result.rounds_with_prior += prior_in_round[r];
        if (options.anchor && !std::isfinite(result.bootstrap[*options.anchor][r])) ++result.rounds_without_anchor;
    }
    for (size_t m = 0; m < models; ++m) {
        std::vector<double> values;
        for (double v : result.bootstrap[m])
            if (std::isfinite(v)) values.push_back(v);
        result.rounds_present[m] = values.size();
        if (values.empty()) continue;
        result.rating_lower[m] = numpy_percentile(values, tail);
        result.rating_upper[m] = numpy_percentile(values, 100.0 - tail);
    }

    result.score.assign(models, kNaN);
    result.score_lower.assign(models, kNaN);
    result.score_upper.assign(models, kNaN);
    if (options.anchor) {
        auto score = [&](double rating) {
            if (!std::isfinite(rating)) return kNaN;
            if (options.method == RatingMethod::bradley_terry_ties)
                return 100.0 * davidson_expected_score(log_strength_of(rating), 0.0, result.tie_parameter);
            return elo_win_percent(rating, 1000.0);
        };
        for (size_t m = 0; m < models; ++m) {
            result.score[m] = score(result.rating[m]);
            result.score_lower[m] = score(result.rating_lower[m]);
            result.score_upper[m] = score(result.rating_upper[m]);
        }
    }
    return result;
}

}  // namespace gavel::arena
