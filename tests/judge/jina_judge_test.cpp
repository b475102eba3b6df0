// The JinaJudge protocol end to end on the tiny random-weight checkpoint: template, truncation
// policy, length-grouped batching, probabilities and verdicts. Text becomes ids through a word-level
// stand-in tokenizer (one id per whitespace-separated word), which makes exact token counts easy
// to build; the real XLM-R tokenizer is exercised in jina_judge_tokenizer_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "core/error.hpp"
#include "judge/jina_judge.hpp"
#include "../models/jina_test_model.hpp"

namespace gavel {
namespace {

using namespace gavel::testing;

// <s>=0, </s>=2, each word a stable id in the vocabulary.
std::vector<int32_t> word_ids(std::string_view text, bool specials) {
    std::vector<int32_t> ids;
    if (specials) ids.push_back(0);
    size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\n')) ++i;
        size_t j = i;
        while (j < text.size() && text[j] != ' ' && text[j] != '\n') ++j;
        if (j > i) ids.push_back(int32_t(3 + std::hash<std::string_view>{}(text.substr(i, j - i)) % 249990));
        i = j;
    }
    if (specials) ids.push_back(2);
    return ids;
}

// "w0 w1 ... w{n-1}" with a prefix so parts differ.
std::string words(const std::string& prefix, int64_t n) {
    std::string s;
    for (int64_t i = 0; i < n; ++i) s += (i ? " " : "") + prefix + std::to_string(i);
    return s;
}

struct Fixture {
    JinaJudgeModel model;
    ThreadPool pool{2};
    Fixture()
        : model(JinaJudgeModel::load(tiny_jina_judge().checkpoint, tiny_jina_judge().judge_config,
                                     tiny_jina_judge().encoder_config)) {}
    JinaJudgeProtocol judge(JinaJudgeOptions options = {}) {
        options.model_name = "tiny-test";
        return JinaJudgeProtocol(model, word_ids, pool, options);
    }
};

Fixture& fixture() {
    static Fixture f;
    return f;
}

// The template is 13 word-level tokens: <s> "<user" "prompt>" ... "<end>" </s>.
constexpr int64_t kTemplateTokens = 13;

Pair pair_with_total(int64_t total, const std::string& id = "p") {
    Pair p;
    p.id = id;
    p.question = words("q", 1000);
    p.answer_a = words("a", 2000);
    p.answer_b = words("b", total - kTemplateTokens - 3000);
    return p;
}

TEST(JinaJudgeProtocol, PromptsOfUpToMaxTokensAreUntouched) {
    auto judge = fixture().judge();
    for (int64_t total : {4095, 4096}) {
        Pair p = pair_with_total(total);
        auto fit = judge.prompt(Game{&p, false});
        EXPECT_FALSE(fit.truncated);
        EXPECT_EQ(int64_t(fit.ids.size()), total);
        // Exactly the whole rendered prompt tokenized at once.
        EXPECT_EQ(fit.ids, word_ids(render_jina_judge_prompt(p.question, p.answer_a, p.answer_b), true));
        EXPECT_EQ(fit.template_tokens, kTemplateTokens);
    }
}

TEST(JinaJudgeProtocol, OneTokenOverIsShortenedAndMarked) {
    auto judge = fixture().judge();
    Pair p = pair_with_total(4097);
    auto fit = judge.prompt(Game{&p, false});
    EXPECT_TRUE(fit.truncated);
    EXPECT_EQ(fit.ids.size(), 4096u);
    EXPECT_EQ(fit.full_tokens(), 4097);
    EXPECT_EQ(fit.part_tokens, (std::array<int64_t, 3>{1000, 2000, 1084}));
    EXPECT_EQ(fit.kept_tokens[0] + fit.kept_tokens[1] + fit.kept_tokens[2], 4096 - kTemplateTokens);
    // The final tag and </s> are still there.
    auto tail = word_ids("\n<end>", false);
    EXPECT_EQ(fit.ids[fit.ids.size() - 2], tail.back());
    EXPECT_EQ(fit.ids.back(), 2);

    JinaJudgeOptions strict;
    strict.truncate = TruncateMode::Error;
    auto strict_judge = fixture().judge(strict);
    Pair id_pair = pair_with_total(4097, "q9");
    EXPECT_THROW(strict_judge.prompt(Game{&id_pair, true}), Error);
    try {
        strict_judge.prompt(Game{&id_pair, true});
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("pair 'q9' (swap): the prompt has 4097 tokens"), std::string::npos)
            << e.what();
    }
}

TEST(JinaJudgeProtocol, TruncatedGamesAreJudgedAndReportTheirCounts) {
    JinaJudgeOptions options;
    options.max_tokens = 64;
    auto judge = fixture().judge(options);
    Pair p;
    p.id = "long";
    p.question = words("q", 20);
    p.answer_a = words("a", 50);
    p.answer_b = words("b", 30);
    std::vector<Game> games = {{&p, false}};
    auto r = judge.judge(games);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_TRUE(r[0].truncated);
    EXPECT_EQ(r[0].prompt_tokens, 64);
    EXPECT_EQ(r[0].extra["tokens"]["question"], 20);
    EXPECT_EQ(r[0].extra["tokens"]["first"], 50);
    EXPECT_EQ(r[0].extra["tokens"]["second"], 30);
    EXPECT_EQ(r[0].extra["tokens"]["template"], kTemplateTokens);
    // 51 content tokens shared 20:50:30.
    EXPECT_EQ(r[0].extra["kept_tokens"]["question"], 10);
    EXPECT_EQ(r[0].extra["kept_tokens"]["first"], 26);
    EXPECT_EQ(r[0].extra["kept_tokens"]["second"], 15);
    // The logits are those of the shortened ids.
    std::vector<std::vector<int32_t>> ids = {judge.prompt(games[0]).ids};
    auto direct = fixture().model.classify(fixture().pool, TokenBatch::pad(ids, 1));
    EXPECT_EQ(*r[0].logits, direct[0]);
}

TEST(JinaJudgeProtocol, BatchedResultsEqualEachGameAlone) {
    std::vector<Pair> pairs;
    const int64_t sizes[][3] = {{3, 40, 9}, {30, 2, 5}, {1, 1, 1}, {12, 80, 70}, {7, 7, 7}, {50, 3, 60}, {2, 90, 1}};
    for (size_t i = 0; i < std::size(sizes); ++i) {
        Pair p;
        p.id = "p" + std::to_string(i);
        p.question = words("q" + std::to_string(i) + "_", sizes[i][0]);
        p.answer_a = words("a" + std::to_string(i) + "_", sizes[i][1]);
        p.answer_b = words("b" + std::to_string(i) + "_", sizes[i][2]);
        pairs.push_back(p);
    }
    std::vector<Game> games;
    for (const auto& p : pairs) {
        games.push_back({&p, false});
        games.push_back({&p, true});
    }
    JinaJudgeOptions batched;
    batched.batch_size = 4;
    auto judge = fixture().judge(batched);
    auto together = judge.judge(games);
    JinaJudgeOptions one;
    one.batch_size = 1;
    auto single = fixture().judge(one);
    double worst = 0;
    for (size_t i = 0; i < games.size(); ++i) {
        auto alone = single.judge(std::span(&games[i], 1));
        for (size_t c = 0; c < 3; ++c) worst = std::max(worst, double(std::abs((*together[i].logits)[c] - (*alone[0].logits)[c])));
        EXPECT_EQ(together[i].verdict, alone[0].verdict);
        EXPECT_EQ(together[i].prompt_tokens, alone[0].prompt_tokens);
    }
    std::printf("jina judge: max |batched - alone| logit = %.3g over %zu games\n", worst, games.size());
    EXPECT_LE(worst, 1e-5);
}

TEST(JinaJudgeProtocol, ProbabilitiesVerdictAndIdentity) {
    auto judge = fixture().judge();
    Pair p;
    p.id = "x";
    p.question = "What is two plus two?";
    p.answer_a = "Four.";
    p.answer_b = "Five, obviously.";
    std::vector<Game> games = {{&p, false}, {&p, true}};
    auto r = judge.judge(games);
    ASSERT_EQ(r.size(), 2u);
    for (const auto& g : r) {
        ASSERT_TRUE(g.probs && g.logits);
        const auto& pr = *g.probs;
        EXPECT_NEAR(pr[0] + pr[1] + pr[2], 1.0, 1e-6);
        const auto& l = *g.logits;
        int best = int(std::max_element(l.begin(), l.end()) - l.begin());
        EXPECT_EQ(g.verdict, verdict_from_class(best));
        EXPECT_NEAR(pr[1] / pr[0], std::exp(double(l[1]) - l[0]), 1e-4 * pr[1] / pr[0]);
        EXPECT_FALSE(g.truncated);
        EXPECT_GT(g.seconds, 0);
    }
    // The swapped game shows the answers the other way round, so the model sees another prompt.
    EXPECT_EQ(r[0].extra["tokens"]["first"], r[1].extra["tokens"]["second"]);
    EXPECT_NE(*r[0].logits, *r[1].logits);
    EXPECT_TRUE(judge.is_classifier());
    EXPECT_EQ(judge.identity()["protocol"], "jina-judge");
    EXPECT_EQ(judge.identity()["model"], "tiny-test");
    EXPECT_EQ(judge.identity()["max_tokens"], 4096);
    EXPECT_EQ(judge.identity()["truncate"], "proportional");
    EXPECT_FALSE(judge.identity().contains("task"));
    EXPECT_EQ(judge.preferred_batch(), 32u);
}

TEST(JinaJudgeProtocol, BadOptionsFail) {
    JinaJudgeOptions o;
    o.max_tokens = 0;
    EXPECT_THROW(fixture().judge(o), Error);
    o.max_tokens = 9000;  // beyond max_position_embeddings 8194
    EXPECT_THROW(fixture().judge(o), Error);
    o.max_tokens = 4096;
    o.batch_size = 0;
    EXPECT_THROW(fixture().judge(o), Error);
}

}  // namespace
}  // namespace gavel
