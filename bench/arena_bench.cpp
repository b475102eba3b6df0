// Times gavel arena's rating work at scale: 1,000,000 battles over 100 models (generated from a
// seed, Bradley-Terry strengths, 10% ties, random pairs), aggregated into pair counts, one full
// Bradley-Terry fit and 1,000 bootstrap rounds with the NumPy-exact resampling, on 2 threads.
//
//   build/release/bench/arena_bench [--battles N] [--models M] [--rounds R] [--threads T] [--seeding per-round|stream]
#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

#include "arena/arena_ratings.hpp"
#include "arena/pair_counts.hpp"
#include "core/thread_pool.hpp"

using namespace gavel;
using Clock = std::chrono::steady_clock;

static double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

int main(int argc, char** argv) {
    size_t battles = 1000000, models = 100, rounds = 1000, threads = 2;
    std::string seeding = "per-round";
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--battles") battles = std::strtoull(argv[i + 1], nullptr, 10);
        else if (flag == "--models") models = std::strtoull(argv[i + 1], nullptr, 10);
        else if (flag == "--rounds") rounds = std::strtoull(argv[i + 1], nullptr, 10);
        else if (flag == "--threads") threads = std::strtoull(argv[i + 1], nullptr, 10);
        else if (flag == "--seeding") seeding = argv[i + 1];
        else {
            std::fprintf(stderr, "usage: arena_bench [--battles N] [--models M] [--rounds R] [--threads T] [--seeding per-round|stream]\n");
            return 2;
        }
    }

    const std::clock_t cpu_start = std::clock();
    auto t0 = Clock::now();
    arena::BattleTable table;
    std::mt19937_64 rng(20240601);
    std::normal_distribution<double> normal(0.0, 1.0);
    std::vector<double> strength(models);
    for (size_t m = 0; m < models; ++m) {
        strength[m] = normal(rng);
        table.model_id("model-" + std::to_string(m));
    }
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    for (size_t k = 0; k < battles; ++k) {
        const auto a = static_cast<uint32_t>(rng() % models);
        auto b = static_cast<uint32_t>(rng() % (models - 1));
        if (b >= a) ++b;
        const double u = unit(rng);
        const double p = 1.0 / (1.0 + std::exp(strength[b] - strength[a]));
        const auto outcome = u < 0.1 ? arena::BattleOutcome::tie
                             : (u - 0.1) / 0.9 < p ? arena::BattleOutcome::a_wins
                                                  : arena::BattleOutcome::b_wins;
        table.add(a, b, outcome);
    }
    const double generate = seconds_since(t0);

    ThreadPool pool(threads);
    arena::RatingOptions options;
    options.anchor = 0;
    options.rounds = rounds;
    options.seeding = seeding == "stream" ? arena::BootstrapSeeding::stream : arena::BootstrapSeeding::per_round;

    // The aggregation and one fit alone, then the whole job as `gavel arena` runs it.
    t0 = Clock::now();
    arena::RatingOptions no_bootstrap = options;
    no_bootstrap.rounds = 0;
    const arena::RatingResult single = arena::rate_battles(table, no_bootstrap, pool);
    const double fit = seconds_since(t0);
    t0 = Clock::now();
    const arena::RatingResult result = arena::rate_battles(table, options, pool);
    const double total = seconds_since(t0);

    // Sanity: the fit orders the models as the strengths that generated them (ties at a flat 10%
    // compress the scale, so the ratings themselves are not the strengths).
    size_t agree = 0, pairs = 0;
    for (size_t i = 0; i < models; ++i)
        for (size_t j = i + 1; j < models; ++j, ++pairs)
            agree += (strength[i] - strength[j]) * (single.rating[i] - single.rating[j]) > 0;
    std::printf("arena_bench: %zu battles, %zu models, %zu bootstrap rounds (%s seeding), %zu threads\n", battles, models,
                rounds, seeding.c_str(), pool.size());
    std::printf("  generate battles            %8.3f s\n", generate);
    std::printf("  aggregate + one BT fit      %8.3f s\n", fit);
    std::printf("  fit + %zu bootstrap rounds  %8.3f s   (%.2f ms per round)\n", rounds, total,
                rounds ? 1000 * total / static_cast<double>(rounds) : 0.0);
    std::printf("  process CPU time            %8.3f s   (the machine's other load shows as wall >> CPU / threads)\n",
                static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC);
    std::printf("  model pairs ordered as the generating strengths: %zu of %zu; 95%% CI half-width of model-1: %.2f Elo\n",
                agree, pairs, (result.rating_upper[1] - result.rating_lower[1]) / 2);
    return total < 30.0 ? 0 : 1;
}
