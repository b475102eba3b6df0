#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "engine/sampler.hpp"

namespace gavel {
namespace {

TEST(Sampler, GreedyTakesTheFirstLargestLogit) {
    Sampler s(SamplingSettings{});
    std::vector<float> logits = {0.5f, 2.0f, -1.0f, 2.0f};
    EXPECT_EQ(s.next(logits, {}), 1);
}

TEST(Sampler, RepetitionPenaltyFollowsTheHuggingFaceRule) {
    SamplingSettings settings;
    settings.repetition_penalty = 2.0;
    Sampler s(settings);
    // Token 0 (positive) is divided, token 2 (negative) multiplied, each once despite repeats.
    std::vector<float> logits = {3.0f, 2.0f, -1.0f, 0.0f};
    std::vector<int32_t> seen = {0, 0, 2, 2, 2};
    EXPECT_EQ(s.next(logits, seen), 1);
    EXPECT_FLOAT_EQ(logits[0], 1.5f);
    EXPECT_FLOAT_EQ(logits[1], 2.0f);
    EXPECT_FLOAT_EQ(logits[2], -2.0f);
    EXPECT_FLOAT_EQ(logits[3], 0.0f);
}

TEST(Sampler, TopKOneTopPSmallAndMinPOneAllLeaveOnlyTheArgmax) {
    std::vector<float> base = {0.1f, 1.2f, 0.9f, 1.1f, -3.0f};
    for (int which = 0; which < 3; ++which) {
        SamplingSettings settings;
        settings.do_sample = true;
        settings.seed = 11;
        if (which == 0) settings.top_k = 1;
        if (which == 1) settings.top_p = 0.01;
        if (which == 2) settings.min_p = 1.0;
        Sampler s(settings);
        for (int i = 0; i < 50; ++i) {
            auto logits = base;
            EXPECT_EQ(s.next(logits, {}), 1) << which;
        }
    }
}

TEST(Sampler, FiltersKeepTheDocumentedSets) {
    // probabilities of softmax([ln 0.5, ln 0.3, ln 0.15, ln 0.05])
    const std::vector<float> base = {std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)};
    auto drawn = [&](SamplingSettings settings) {
        settings.do_sample = true;
        Sampler s(settings);
        std::array<int, 4> counts{};
        for (int i = 0; i < 4000; ++i) {
            auto logits = base;
            counts[size_t(s.next(logits, {}))]++;
        }
        return counts;
    };
    SamplingSettings top_k;
    top_k.top_k = 2;
    auto c = drawn(top_k);
    EXPECT_EQ(c[2] + c[3], 0);
    EXPECT_NEAR(c[0] / 4000.0, 0.5 / 0.8, 0.03);
    SamplingSettings top_p;  // keeps the smallest set reaching 0.75: {0.5, 0.3}
    top_p.top_p = 0.75;
    c = drawn(top_p);
    EXPECT_EQ(c[2] + c[3], 0);
    SamplingSettings min_p;  // threshold 0.4 * 0.5 = 0.2 removes 0.15 and 0.05
    min_p.min_p = 0.4;
    c = drawn(min_p);
    EXPECT_EQ(c[2] + c[3], 0);
    EXPECT_GT(c[1], 0);
    SamplingSettings plain;
    c = drawn(plain);
    EXPECT_NEAR(c[3] / 4000.0, 0.05, 0.015);
    SamplingSettings cold;  // temperature 0.25 sharpens: p ~ p^4
    cold.temperature = 0.25;
    c = drawn(cold);
    EXPECT_GT(c[0], 3000);
}

TEST(Sampler, IsReproducibleFromItsSeed) {
    SamplingSettings settings;
    settings.do_sample = true;
    settings.seed = 1234;
    std::vector<float> base(50);
    for (size_t i = 0; i < base.size(); ++i) base[i] = float(std::sin(double(i)));
    auto run = [&](uint64_t seed) {
        settings.seed = seed;
        Sampler s(settings);
        std::vector<int32_t> out;
        for (int i = 0; i < 30; ++i) {
            auto logits = base;
            out.push_back(s.next(logits, {}));
        }
        return out;
    };
    EXPECT_EQ(run(1234), run(1234));
    EXPECT_NE(run(1234), run(1235));
}

TEST(Sampler, RejectsInvalidSettings) {
    SamplingSettings bad;
    bad.temperature = 0;
    EXPECT_THROW(Sampler{bad}, Error);
    bad = {};
    bad.top_p = 1.5;
    EXPECT_THROW(Sampler{bad}, Error);
}

}  // namespace
}  // namespace gavel
