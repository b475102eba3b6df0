#include "eval/agreement_metrics.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace gavel::eval {
namespace {

constexpr Verdict A = Verdict::a_better, T = Verdict::tie, B = Verdict::b_better, F = Verdict::failed;

TEST(AgreementMetrics, HandComputedExample) {
    // Worked by hand (and equal to sklearn): accuracy 3/6, kappa 7/25.
    const std::vector<Verdict> labels = {A, A, A, T, B, B};
    const std::vector<Verdict> verdicts = {A, B, F, T, B, A};
    const AgreementMetrics m = compute_agreement(labels, verdicts);
    EXPECT_EQ(m.n, 6u);
    EXPECT_DOUBLE_EQ(m.accuracy, 0.5);
    EXPECT_EQ(m.parse_failures, 1u);
    EXPECT_DOUBLE_EQ(m.per_class[0].precision, 0.5);
    EXPECT_DOUBLE_EQ(m.per_class[0].recall, 1.0 / 3);
    EXPECT_NEAR(m.per_class[0].f1, 0.4, 1e-15);
    EXPECT_EQ(m.per_class[0].support, 3u);
    EXPECT_DOUBLE_EQ(m.per_class[1].f1, 1.0);
    EXPECT_DOUBLE_EQ(m.per_class[2].f1, 0.5);
    EXPECT_NEAR(m.macro_precision, 2.0 / 3, 1e-15);
    EXPECT_NEAR(m.macro_recall, 11.0 / 18, 1e-15);
    EXPECT_NEAR(m.macro_f1, 1.9 / 3, 1e-15);
    ASSERT_TRUE(m.kappa.has_value());
    EXPECT_NEAR(*m.kappa, 7.0 / 25, 1e-15);
    EXPECT_EQ(m.confusion[0][3], 1u);  // the parse failure sits in the failure column
    EXPECT_EQ(m.confusion[2][0], 1u);
}

TEST(AgreementMetrics, MacroAveragesOnlyClassesThatOccur) {
    // No ties anywhere (LLMBar has none): the macro mean is over A>B and B>A only.
    const std::vector<Verdict> labels = {A, A, B, B};
    const std::vector<Verdict> verdicts = {A, B, B, B};
    const AgreementMetrics m = compute_agreement(labels, verdicts);
    EXPECT_DOUBLE_EQ(m.macro_recall, (0.5 + 1.0) / 2);
    // A predicted tie brings the class in, with precision 0.
    const AgreementMetrics with_tie = compute_agreement(labels, std::vector<Verdict>{A, T, B, B});
    EXPECT_DOUBLE_EQ(with_tie.macro_precision, (1.0 + 0.0 + 1.0) / 3);
}

TEST(AgreementMetrics, ParseFailuresAreWrongButNotAClass) {
    const std::vector<Verdict> labels = {A, B};
    const AgreementMetrics m = compute_agreement(labels, std::vector<Verdict>{F, F});
    EXPECT_DOUBLE_EQ(m.accuracy, 0.0);
    EXPECT_EQ(m.parse_failures, 2u);
    EXPECT_DOUBLE_EQ(m.macro_f1, 0.0);
    ASSERT_TRUE(m.kappa.has_value());
    EXPECT_DOUBLE_EQ(*m.kappa, 0.0);
}

TEST(AgreementMetrics, KappaIsUndefinedForOneCategory) {
    const std::vector<Verdict> labels = {A, A, A};
    const AgreementMetrics m = compute_agreement(labels, labels);
    EXPECT_DOUBLE_EQ(m.accuracy, 1.0);
    EXPECT_FALSE(m.kappa.has_value());
    const AgreementMetrics empty = compute_agreement({}, {});
    EXPECT_EQ(empty.n, 0u);
    EXPECT_FALSE(empty.kappa.has_value());
}

TEST(AgreementMetrics, BootstrapStatisticsMatchTheFullComputation) {
    const std::vector<Verdict> labels = {A, A, A, T, B, B, T};
    const std::vector<Verdict> verdicts = {A, B, F, T, B, A, B};
    const AgreementMetrics m = compute_agreement(labels, verdicts);
    const AccuracyAndMacroF1 quick = accuracy_and_macro_f1(m.confusion);
    EXPECT_DOUBLE_EQ(quick.accuracy, m.accuracy);
    EXPECT_DOUBLE_EQ(quick.macro_f1, m.macro_f1);
}

}  // namespace
}  // namespace gavel::eval
