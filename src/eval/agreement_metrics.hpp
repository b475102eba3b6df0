// How well a judge's verdicts agree with reference labels: accuracy, per-class and macro
// precision / recall / F1, the confusion matrix and Cohen's kappa, defined as scikit-learn
// defines them so the numbers can be checked against it.
#pragma once

#include <array>
#include <optional>
#include <span>

#include "eval/verdict_reader.hpp"

namespace gavel::eval {

struct ClassScores {
    double precision = 0, recall = 0, f1 = 0;  // 0 where the ratio is 0/0 (sklearn zero_division=0)
    size_t support = 0;                        // records with this label
};

struct AgreementMetrics {
    size_t n = 0;
    double accuracy = 0;  // parse failures count as wrong
    std::array<ClassScores, kClasses> per_class{};
    // Unweighted means over the classes that occur in the labels or the verdicts (sklearn's
    // default class set), never over the parse-failure column.
    double macro_precision = 0, macro_recall = 0, macro_f1 = 0;
    // confusion[label][verdict], verdict index 3 = parse failure.
    std::array<std::array<size_t, 4>, kClasses> confusion{};
    // Parse failures form a category of their own, as in sklearn.metrics.cohen_kappa_score;
    // nullopt when kappa is 0/0 (both sides use one single category).
    std::optional<double> kappa;
    size_t parse_failures = 0;
};

// labels[i] must be a class (not failed); verdicts[i] may be failed.
AgreementMetrics compute_agreement(std::span<const Verdict> labels, std::span<const Verdict> verdicts);

// The two statistics the bootstrap needs, without building the full report.
struct AccuracyAndMacroF1 {
    double accuracy, macro_f1;
};
AccuracyAndMacroF1 accuracy_and_macro_f1(const std::array<std::array<size_t, 4>, kClasses>& confusion);

}  // namespace gavel::eval
