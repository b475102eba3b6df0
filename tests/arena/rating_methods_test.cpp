// The rating methods against Evalica's golden outputs (the library the Russian LLM Arena rates
// with), against each other, and on data where the maximum-likelihood estimate does not exist.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <sstream>

#include "arena/bradley_terry.hpp"
#include "arena/bradley_terry_ties.hpp"
#include "arena/online_elo.hpp"
#include "arena/pair_counts.hpp"
#include "core/line_reader.hpp"

namespace gavel::arena {
namespace {

std::vector<std::string> split_csv(const std::string& line) {
    std::vector<std::string> out;
    std::stringstream s(line);
    std::string field;
    while (std::getline(s, field, ',')) out.push_back(field);
    return out;
}

// Evalica's test data: left, right, winner in left | right | tie.
BattleTable read_evalica_csv(const std::string& name) {
    LineReader lines(std::string(GAVEL_TEST_DATA) + "/arena/evalica_golden/" + name);
    std::string line;
    lines.next(line);
    const auto header = split_csv(line);
    auto column = [&](const std::string& c) { return static_cast<size_t>(std::find(header.begin(), header.end(), c) - header.begin()); };
    const size_t left = column("left"), right = column("right"), winner = column("winner");
    BattleTable table;
    while (lines.next(line)) {
        const auto f = split_csv(line);
        const uint32_t a = table.model_id(f[left]), b = table.model_id(f[right]);
        const BattleOutcome o = f[winner] == "left" ? BattleOutcome::a_wins : f[winner] == "right" ? BattleOutcome::b_wins : BattleOutcome::tie;
        table.add(a, b, o);
    }
    return table;
}

std::map<std::string, double> golden(const std::string& name, const std::string& algorithm) {
    LineReader lines(std::string(GAVEL_TEST_DATA) + "/arena/evalica_golden/" + name);
    std::string line;
    std::map<std::string, double> out;
    lines.next(line);
    while (lines.next(line)) {
        const auto f = split_csv(line);
        if (f[0] == algorithm) out[f[1]] = std::stod(f[2]);
    }
    return out;
}

struct Dataset {
    const char* battles;
    const char* golden;
};
constexpr Dataset kDatasets[] = {{"simple.csv", "simple-golden.csv"}, {"food.csv", "food-golden.csv"}, {"llmfao.csv.gz", "llmfao-golden.csv"}};

TEST(EvalicaGolden, BradleyTerry) {
    for (const auto& d : kDatasets) {
        const BattleTable table = read_evalica_csv(d.battles);
        const BattleCells cells(table);
        const BradleyTerryFit fit = fit_bradley_terry(cells.to_pairs(cells.all_rows()));
        EXPECT_FALSE(fit.used_prior);
        // Evalica's test normalises the strengths to sum 1 and compares with rtol 1e-4.
        double sum = 0;
        for (double t : fit.log_strength) sum += std::exp(t);
        const auto expected = golden(d.golden, "bradley_terry");
        ASSERT_EQ(expected.size(), table.models.size()) << d.battles;
        double worst = 0;
        for (const auto& [model, score] : expected) {
            const double got = std::exp(fit.log_strength[*table.find_model(model)]) / sum;
            worst = std::max(worst, std::abs(got - score) / score);
        }
        EXPECT_LT(worst, 1e-4) << d.battles;
        EXPECT_LT(worst, 1e-6) << d.battles << ": further from Evalica than its convergence explains";
    }
}

TEST(EvalicaGolden, BradleyTerryWithTiesNewman) {
    for (const auto& d : kDatasets) {
        const BattleTable table = read_evalica_csv(d.battles);
        const BattleCells cells(table);
        const BradleyTerryTiesFit fit = fit_bradley_terry_ties(cells.to_pairs(cells.all_rows()));
        double worst = 0;
        for (const auto& [model, score] : golden(d.golden, "newman"))
            worst = std::max(worst, std::abs(fit.raw_strength[*table.find_model(model)] - score) / score);
        EXPECT_LT(worst, 1e-4) << d.battles;
        EXPECT_GT(fit.tie_parameter, 0.0);
    }
}

TEST(EvalicaGolden, OnlineElo) {
    for (const auto& d : kDatasets) {
        const BattleTable table = read_evalica_csv(d.battles);
        const std::vector<double> r = online_elo(table, {}, EloParams{});  // initial 1000, base 10, scale 400, k 4
        for (const auto& [model, score] : golden(d.golden, "elo")) EXPECT_NEAR(r[*table.find_model(model)], score, 1e-9) << model;
    }
}

TEST(BradleyTerry, NewtonAndMinoriseMaximiseAgree) {
    const BattleTable table = read_evalica_csv("llmfao.csv.gz");
    const BattleCells cells(table);
    const PairCounts counts = cells.to_pairs(cells.all_rows());
    const BradleyTerryFit newton = fit_bradley_terry(counts);
    const BradleyTerryFit mm = fit_bradley_terry_mm(counts);
    for (size_t m = 0; m < table.models.size(); ++m) EXPECT_NEAR(newton.log_strength[m], mm.log_strength[m], 1e-8);
    // A warm start changes the path, not the answer.
    const BradleyTerryFit warm = fit_bradley_terry(counts, newton.log_strength);
    for (size_t m = 0; m < table.models.size(); ++m) EXPECT_NEAR(warm.log_strength[m], newton.log_strength[m], 1e-10);
    EXPECT_LE(warm.iterations, 2);
}

TEST(BradleyTerry, AgainstABaselineTheRatingIsTheLogOdds) {
    // Star design (every model meets only the baseline), as in Arena-Hard: the MLE is closed form,
    // rating difference = 400 log10(W / L) with ties as half.
    BattleTable t;
    const uint32_t base = t.model_id("base"), x = t.model_id("x"), y = t.model_id("y");
    for (int i = 0; i < 30; ++i) t.add(base, x, BattleOutcome::b_wins);
    for (int i = 0; i < 10; ++i) t.add(base, x, BattleOutcome::a_wins);
    for (int i = 0; i < 4; ++i) t.add(base, x, BattleOutcome::tie);
    for (int i = 0; i < 5; ++i) t.add(base, y, BattleOutcome::b_wins);
    for (int i = 0; i < 20; ++i) t.add(base, y, BattleOutcome::a_wins);
    const BattleCells cells(t);
    const BradleyTerryFit fit = fit_bradley_terry(cells.to_pairs(cells.all_rows()));
    EXPECT_NEAR(fit.log_strength[x] - fit.log_strength[base], std::log(32.0 / 12.0), 1e-12);
    EXPECT_NEAR(fit.log_strength[y] - fit.log_strength[base], std::log(5.0 / 20.0), 1e-12);
}

TEST(BradleyTerry, NoMaximumLikelihoodEstimateStillGivesFiniteRatings) {
    BattleTable t;
    const uint32_t a = t.model_id("a"), b = t.model_id("b"), c = t.model_id("c"), lonely = t.model_id("lonely");
    for (int i = 0; i < 5; ++i) t.add(a, b, BattleOutcome::a_wins);  // a never loses
    for (int i = 0; i < 3; ++i) t.add(b, c, BattleOutcome::a_wins);
    t.add(c, b, BattleOutcome::a_wins);
    const BattleCells cells(t);
    const PairCounts counts = cells.to_pairs(cells.all_rows());
    EXPECT_FALSE(bradley_terry_mle_exists(counts));
    for (const BradleyTerryFit& fit : {fit_bradley_terry(counts), fit_bradley_terry_mm(counts)}) {
        EXPECT_TRUE(fit.used_prior);
        EXPECT_TRUE(std::isfinite(fit.log_strength[a]));
        EXPECT_GT(fit.log_strength[a], fit.log_strength[b]);
        EXPECT_GT(fit.log_strength[b], fit.log_strength[c]);
        EXPECT_TRUE(std::isnan(fit.log_strength[lonely]));  // no battles: not rated at all
    }
    const BradleyTerryTiesFit ties = fit_bradley_terry_ties(counts);
    EXPECT_TRUE(ties.used_prior);
    EXPECT_TRUE(std::isfinite(ties.log_strength[a]));
    EXPECT_GT(ties.log_strength[a], ties.log_strength[c]);
}

TEST(BradleyTerry, OneBattleAndNoBattles) {
    BattleTable t;
    const uint32_t a = t.model_id("a"), b = t.model_id("b");
    t.add(a, b, BattleOutcome::a_wins);
    const BattleCells cells(t);
    const BradleyTerryFit fit = fit_bradley_terry(cells.to_pairs(cells.all_rows()));
    EXPECT_TRUE(fit.used_prior);
    EXPECT_TRUE(std::isfinite(fit.log_strength[a]) && std::isfinite(fit.log_strength[b]));
    EXPECT_GT(fit.log_strength[a], fit.log_strength[b]);

    BattleTable empty;
    empty.model_id("alone");
    const BattleCells none(empty);
    EXPECT_TRUE(std::isnan(fit_bradley_terry(none.to_pairs(none.all_rows())).log_strength[0]));

    BattleTable self;  // a model against itself says nothing
    const uint32_t s = self.model_id("s");
    self.add(s, s, BattleOutcome::a_wins);
    const BattleCells self_cells(self);
    EXPECT_EQ(self_cells.to_pairs(self_cells.all_rows()).pairs.size(), 0u);
}

TEST(BradleyTerryTies, WinsMustConnectTheModelsOrThePriorStepsIn) {
    // One win and one tie: enough for ties-as-half Bradley-Terry, but the Davidson likelihood keeps
    // rising as v and the strength ratio grow together.
    BattleTable t;
    const uint32_t a = t.model_id("a"), b = t.model_id("b");
    t.add(a, b, BattleOutcome::a_wins);
    t.add(a, b, BattleOutcome::tie);
    const BattleCells cells(t);
    const PairCounts counts = cells.to_pairs(cells.all_rows());
    EXPECT_FALSE(fit_bradley_terry(counts).used_prior);
    const BradleyTerryTiesFit fit = fit_bradley_terry_ties(counts);
    EXPECT_TRUE(fit.used_prior);
    EXPECT_TRUE(std::isfinite(fit.tie_parameter));
    EXPECT_LT(fit.tie_parameter, 10.0);
    EXPECT_GT(fit.log_strength[a], fit.log_strength[b]);
    EXPECT_LT(fit.log_strength[a] - fit.log_strength[b], 5.0);
    EXPECT_LT(fit.iterations, 100000);
}

TEST(BradleyTerryTies, ExpectedScoreIsWinPlusHalfTie) {
    EXPECT_DOUBLE_EQ(davidson_expected_score(0.0, 0.0, 0.7), 0.5);
    const double li = std::log(3.0), lj = std::log(1.0), v = 0.4;
    const double d = 3.0 + 1.0 + 2 * v * std::sqrt(3.0);
    EXPECT_NEAR(davidson_expected_score(li, lj, v), (3.0 + v * std::sqrt(3.0)) / d, 1e-15);
}

TEST(OnlineElo, FollowsTheGivenRowOrder) {
    BattleTable t;
    const uint32_t a = t.model_id("a"), b = t.model_id("b");
    t.add(a, b, BattleOutcome::a_wins);
    t.add(a, b, BattleOutcome::b_wins);
    EloParams p;
    p.k = 32;
    const std::vector<uint32_t> forward = {0, 1}, backward = {1, 0};
    const auto f = online_elo(t, forward, p), g = online_elo(t, backward, p);
    // a wins at 1000 vs 1000 (+16), then loses as the favourite at 1016 vs 984.
    EXPECT_NEAR(f[a], 1016 - 32 / (1 + std::pow(10.0, -32.0 / 400)), 1e-9);
    EXPECT_NEAR(f[a] + f[b], 2000, 1e-9);  // zero-sum
    EXPECT_NE(f[a], g[a]);
}

}  // namespace
}  // namespace gavel::arena
