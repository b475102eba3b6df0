#include "eval/agreement_metrics.hpp"

#include "core/error.hpp"

namespace gavel::eval {
namespace {

double ratio(double num, double den) { return den > 0 ? num / den : 0.0; }

struct MacroScores {
    double precision = 0, recall = 0, f1 = 0;
};

// Per-class scores from the confusion counts, and their means over the classes present.
MacroScores scores_from_confusion(const std::array<std::array<size_t, 4>, kClasses>& confusion,
                                  std::array<ClassScores, kClasses>* per_class) {
    MacroScores macro;
    int present = 0;
    for (int c = 0; c < kClasses; ++c) {
        size_t tp = confusion[c][c], support = 0, predicted = 0;
        for (int v = 0; v < 4; ++v) support += confusion[c][v];
        for (int l = 0; l < kClasses; ++l) predicted += confusion[l][c];
        ClassScores s;
        s.support = support;
        s.precision = ratio(static_cast<double>(tp), static_cast<double>(predicted));
        s.recall = ratio(static_cast<double>(tp), static_cast<double>(support));
        s.f1 = ratio(2.0 * s.precision * s.recall, s.precision + s.recall);
        if (per_class) (*per_class)[c] = s;
        if (support == 0 && predicted == 0) continue;  // class absent from both sides
        ++present;
        macro.precision += s.precision;
        macro.recall += s.recall;
        macro.f1 += s.f1;
    }
    if (present > 0) {
        macro.precision /= present;
        macro.recall /= present;
        macro.f1 /= present;
    }
    return macro;
}

}  // namespace

AgreementMetrics compute_agreement(std::span<const Verdict> labels, std::span<const Verdict> verdicts) {
    if (labels.size() != verdicts.size()) fail("compute_agreement: {} labels but {} verdicts", labels.size(), verdicts.size());
    AgreementMetrics m;
    m.n = labels.size();
    size_t correct = 0;
    for (size_t i = 0; i < labels.size(); ++i) {
        const auto l = static_cast<int>(labels[i]);
        const auto v = static_cast<int>(verdicts[i]);
        if (l >= kClasses) fail("compute_agreement: record {} has no reference class", i);
        ++m.confusion[l][v];
        correct += l == v;
        m.parse_failures += verdicts[i] == Verdict::failed;
    }
    m.accuracy = ratio(static_cast<double>(correct), static_cast<double>(m.n));
    const MacroScores macro = scores_from_confusion(m.confusion, &m.per_class);
    m.macro_precision = macro.precision;
    m.macro_recall = macro.recall;
    m.macro_f1 = macro.f1;

    // kappa = 1 - sum of off-diagonal observed / sum of off-diagonal expected, over the four
    // categories (the failure row is empty: labels are never failures).
    std::array<double, 4> label_totals{}, verdict_totals{};
    for (int l = 0; l < kClasses; ++l)
        for (int v = 0; v < 4; ++v) {
            label_totals[l] += static_cast<double>(m.confusion[l][v]);
            verdict_totals[v] += static_cast<double>(m.confusion[l][v]);
        }
    double observed_off = 0, expected_off = 0;
    const double n = static_cast<double>(m.n);
    for (int l = 0; l < 4; ++l)
        for (int v = 0; v < 4; ++v) {
            if (l == v) continue;
            if (l < kClasses) observed_off += static_cast<double>(m.confusion[l][v]);
            if (n > 0) expected_off += verdict_totals[v] * label_totals[l] / n;
        }
    if (expected_off > 0) m.kappa = 1.0 - observed_off / expected_off;
    return m;
}

AccuracyAndMacroF1 accuracy_and_macro_f1(const std::array<std::array<size_t, 4>, kClasses>& confusion) {
    size_t n = 0, correct = 0;
    for (int l = 0; l < kClasses; ++l) {
        correct += confusion[l][l];
        for (int v = 0; v < 4; ++v) n += confusion[l][v];
    }
    return {ratio(static_cast<double>(correct), static_cast<double>(n)), scores_from_confusion(confusion, nullptr).f1};
}

}  // namespace gavel::eval
