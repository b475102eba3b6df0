// Everything `gavel eval` reports about one judgment file: agreement metrics overall and per
// category, position-bias statistics when both orders were judged, seeded bootstrap intervals,
// and the three renderings (terminal table, JSON, HTML page with a confusion heatmap).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/json.hpp"
#include "eval/agreement_metrics.hpp"
#include "eval/eval_dataset.hpp"

namespace gavel::eval {

// Over the records judged in both orders (as-is and swap).
struct OrderStats {
    size_t pairs = 0;
    size_t consistent = 0;               // both games gave the same valid verdict
    size_t pairs_with_failed_game = 0;   // counted as inconsistent
    size_t pairs_both_failed = 0;        // ... of which both games failed (LLMBar counts these as equal)
    size_t decisive_games = 0;           // valid games that did not say A=B
    size_t first_position_wins = 0;      // ... that preferred the answer shown first
    size_t correct_as_is = 0, correct_swap = 0, correct_both = 0;
};

struct GroupSummary {
    AgreementMetrics metrics;
    std::optional<OrderStats> orders;  // present when some record had both orders
};

struct EvalReport {
    GroupSummary overall;
    size_t rounds = 0;
    uint32_t seed = 0;
    // Percentile intervals (2.5th, 97.5th) of the bootstrap distribution; NaN with 0 rounds.
    std::pair<double, double> accuracy_ci{}, macro_f1_ci{};
    std::vector<std::pair<std::string, GroupSummary>> categories;  // sorted by name
};

// Bootstrap: round r resamples the records with numpy.random.RandomState(seed).randint(0, n, n)
// drawn in sequence from one generator, so a Python reference can repeat the exact draws.
EvalReport build_eval_report(const EvalDataset& data, size_t rounds, uint32_t seed);

Json eval_report_json(const EvalDataset& data, const EvalReport& report, const EvalOptions& options);
std::string eval_report_table(const EvalDataset& data, const EvalReport& report, const EvalOptions& options);
std::string eval_report_html(const EvalDataset& data, const EvalReport& report, const EvalOptions& options);

}  // namespace gavel::eval
