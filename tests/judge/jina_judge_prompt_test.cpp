#include <gtest/gtest.h>

#include <numeric>

#include "core/error.hpp"
#include "judge/jina_judge_prompt.hpp"

namespace gavel {
namespace {

TEST(JinaJudgePrompt, TemplateIsByteExact) {
    EXPECT_EQ(render_jina_judge_prompt("Q?", "first", "second"),
              "<user prompt>\nQ?\n<end>\n<assistant A answer>\nfirst\n<end>\n<assistant B answer>\nsecond\n<end>");
    EXPECT_EQ(render_jina_judge_prompt("", "", ""),
              "<user prompt>\n\n<end>\n<assistant A answer>\n\n<end>\n<assistant B answer>\n\n<end>");
}

std::vector<int32_t> run(int32_t first, int64_t n) {
    std::vector<int32_t> v(static_cast<size_t>(n));
    std::iota(v.begin(), v.end(), first);
    return v;
}

// Template chunks of 3, 7, 7 and 3 tokens (ids 900..), plus <s> and </s>: 22 template tokens.
JinaJudgePieces pieces(int64_t question, int64_t a, int64_t b) {
    JinaJudgePieces p;
    p.chunks = {run(900, 3), run(910, 7), run(920, 7), run(930, 3)};
    p.parts = {run(10000, question), run(20000, a), run(30000, b)};
    return p;
}

// Parts of 1000 + 2000 + (total - 3022) tokens, so the whole prompt has `total` tokens.
JinaJudgePieces pieces_totalling(int64_t total) { return pieces(1000, 2000, total - 22 - 3000); }

TEST(JinaJudgePrompt, FitsUpToTheLimitUntouched) {
    for (int64_t total : {4095, 4096}) {
        auto p = pieces_totalling(total);
        auto fit = fit_jina_judge_prompt(p, 4096, TruncateMode::Proportional, "pair 'x'");
        EXPECT_FALSE(fit.truncated);
        EXPECT_EQ(int64_t(fit.ids.size()), total);
        EXPECT_EQ(fit.full_tokens(), total);
        EXPECT_EQ(fit.kept_tokens, fit.part_tokens);
        EXPECT_EQ(fit.ids.front(), 0);
        EXPECT_EQ(fit.ids.back(), 2);
        // With --truncate error a prompt that fits is fine too.
        EXPECT_NO_THROW(fit_jina_judge_prompt(p, 4096, TruncateMode::Error, "pair 'x'"));
    }
}

TEST(JinaJudgePrompt, OneTokenOverIsShortenedToExactlyTheLimitKeepingEveryTag) {
    auto p = pieces_totalling(4097);
    auto fit = fit_jina_judge_prompt(p, 4096, TruncateMode::Proportional, "pair 'x'");
    EXPECT_TRUE(fit.truncated);
    EXPECT_EQ(fit.full_tokens(), 4097);
    EXPECT_EQ(fit.ids.size(), 4096u);
    EXPECT_EQ(fit.part_tokens, (std::array<int64_t, 3>{1000, 2000, 1075}));
    // 4074 content tokens for 4075: the longest part (largest remainder) gives up the one token.
    EXPECT_EQ(fit.kept_tokens, (std::array<int64_t, 3>{1000, 1999, 1075}));
    // Layout: <s> chunk0 Q chunk1 A chunk2 B chunk3 </s>, each tag intact, each part a prefix.
    std::vector<int32_t> expected = {0};
    auto add = [&](const std::vector<int32_t>& v, int64_t n) { expected.insert(expected.end(), v.begin(), v.begin() + n); };
    add(p.chunks[0], 3);
    add(p.parts[0], 1000);
    add(p.chunks[1], 7);
    add(p.parts[1], 1999);
    add(p.chunks[2], 7);
    add(p.parts[2], 1075);
    add(p.chunks[3], 3);
    expected.push_back(2);
    EXPECT_EQ(fit.ids, expected);
    EXPECT_EQ(std::vector<int32_t>(fit.ids.end() - 4, fit.ids.end()), (std::vector<int32_t>{930, 931, 932, 2}));
}

TEST(JinaJudgePrompt, ErrorModeRefusesOneTokenOver) {
    auto p = pieces_totalling(4097);
    try {
        fit_jina_judge_prompt(p, 4096, TruncateMode::Error, "pair 'q7' (as-is)");
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("pair 'q7' (as-is): the prompt has 4097 tokens, more than --max-tokens 4096"),
                  std::string::npos)
            << e.what();
    }
}

TEST(JinaJudgePrompt, ShortensInProportionToLengths) {
    // 1000 + 3000 + 6000 content tokens into a budget of 1000 - 22 = 978: 97.8 / 293.4 / 586.8.
    auto fit = fit_jina_judge_prompt(pieces(1000, 3000, 6000), 1000, TruncateMode::Proportional, "x");
    EXPECT_EQ(fit.ids.size(), 1000u);
    EXPECT_EQ(fit.kept_tokens, (std::array<int64_t, 3>{98, 293, 587}));
    // An empty part stays empty; the others share the budget.
    fit = fit_jina_judge_prompt(pieces(0, 500, 1500), 222, TruncateMode::Proportional, "x");
    EXPECT_EQ(fit.kept_tokens, (std::array<int64_t, 3>{0, 50, 150}));
    EXPECT_EQ(fit.ids.size(), 222u);
}

TEST(JinaJudgePrompt, NeverCutsTheTemplate) {
    // Room for the template only: every part becomes empty, every tag stays.
    auto fit = fit_jina_judge_prompt(pieces(5, 5, 5), 22, TruncateMode::Proportional, "x");
    EXPECT_EQ(fit.ids.size(), 22u);
    EXPECT_EQ(fit.kept_tokens, (std::array<int64_t, 3>{0, 0, 0}));
    // Less than the template: refused, naming the template's size.
    EXPECT_THROW(fit_jina_judge_prompt(pieces(5, 5, 5), 21, TruncateMode::Proportional, "x"), Error);
}

TEST(JinaJudgePrompt, TruncateModeNames) {
    EXPECT_EQ(truncate_mode_from_name("proportional"), TruncateMode::Proportional);
    EXPECT_EQ(truncate_mode_from_name("error"), TruncateMode::Error);
    EXPECT_THROW(truncate_mode_from_name("head"), Error);
    EXPECT_EQ(truncate_mode_name(TruncateMode::Error), "error");
}

}  // namespace
}  // namespace gavel
