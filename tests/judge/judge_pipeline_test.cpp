#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "judge/judge_pipeline.hpp"

namespace gavel {
namespace {

// A judge whose verdict depends only on which answer text is longer, with probabilities that
// make averaging visible. Positions matter: it prefers the first answer when lengths tie.
class LengthJudge : public Judge {
public:
    explicit LengthJudge(bool classifier, std::string name = "length") : classifier_(classifier), name_(std::move(name)) {}
    Json identity() const override { return {{"model", name_}, {"protocol", "test"}}; }
    bool is_classifier() const override { return classifier_; }
    size_t preferred_batch() const override { return 4; }
    std::vector<GameResult> judge(std::span<const Game> games) override {
        std::vector<GameResult> out;
        for (const Game& g : games) {
            ++calls;
            GameResult r;
            if (g.question() == "unparseable") {
                out.push_back(r);
                continue;
            }
            if (g.first().size() >= g.second().size()) {
                r.verdict = Verdict::AWins;
                r.probs = std::array<float, 3>{0.6f, 0.3f, 0.1f};
            } else {
                r.verdict = Verdict::BWins;
                r.probs = std::array<float, 3>{0.2f, 0.1f, 0.7f};
            }
            if (!classifier_) r.probs.reset();
            r.prompt_tokens = int64_t(g.first().size() + g.second().size());
            out.push_back(r);
        }
        return out;
    }
    size_t calls = 0;

private:
    bool classifier_;
    std::string name_;
};

class PipelineTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::path(::testing::TempDir()) /
               ("pipeline_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
        input_ = (dir_ / "pairs.jsonl").string();
        output_ = (dir_ / "judgments.jsonl").string();
        std::ofstream(input_) << R"({"id": "1", "question": "q", "answer_a": "long answer", "answer_b": "short", "label": "A>B"})" "\n"
                              << R"({"id": "2", "question": "q", "answer_a": "same", "answer_b": "same", "category": "tie"})" "\n"
                              << "\n"
                              << R"({"id": "3", "question": "unparseable", "answer_a": "x", "answer_b": "y", "note": 7})" "\n"
                              << R"({"id": 4, "question": "q", "answer_a": "a", "answer_b": "bbbb"})" "\n";
    }
    std::vector<Json> read_output() {
        std::vector<Json> lines;
        std::ifstream in(output_);
        std::string line;
        while (std::getline(in, line)) lines.push_back(Json::parse(line));
        return lines;
    }
    PipelineOptions options(OrderMode order) {
        PipelineOptions o;
        o.input = input_;
        o.output = output_;
        o.order = order;
        o.progress = false;
        return o;
    }
    std::filesystem::path dir_;
    std::string input_, output_;
};

TEST_F(PipelineTest, AsIsWritesOneJudgmentPerPairInOrder) {
    LengthJudge judge(true);
    auto stats = run_judge_pipeline(judge, options(OrderMode::AsIs), nullptr);
    EXPECT_EQ(stats.pairs, 4u);
    EXPECT_EQ(stats.judged, 4u);
    EXPECT_EQ(stats.parse_failed, 1u);
    auto out = read_output();
    ASSERT_EQ(out.size(), 4u);
    EXPECT_EQ(out[0]["id"], "1");
    EXPECT_EQ(out[0]["verdict"], "A>B");
    EXPECT_EQ(out[0]["label"], "A>B");
    EXPECT_EQ(out[1]["category"], "tie");
    EXPECT_EQ(out[2]["verdict"], "parse_failed");
    EXPECT_EQ(out[2]["extra"]["note"], 7);
    EXPECT_EQ(out[3]["id"], "4");  // numeric ids become strings
    EXPECT_EQ(out[3]["verdict"], "B>A");
    EXPECT_EQ(out[0]["games"].size(), 1u);
    EXPECT_FALSE(out[0].contains("consistent"));
    EXPECT_EQ(out[0]["judge"]["model"], "length");
}

TEST_F(PipelineTest, SwapMapsVerdictAndProbabilitiesBack) {
    LengthJudge judge(true);
    run_judge_pipeline(judge, options(OrderMode::Swap), nullptr);
    auto out = read_output();
    // Pair 1 swapped: the judge sees "short" first and says B>A, which is A>B for the pair.
    EXPECT_EQ(out[0]["games"][0]["order"], "swap");
    EXPECT_EQ(out[0]["games"][0]["raw_verdict"], "B>A");
    EXPECT_EQ(out[0]["verdict"], "A>B");
    auto probs = out[0]["games"][0]["probs"].get<std::vector<float>>();
    EXPECT_FLOAT_EQ(probs[0], 0.7f);
    EXPECT_FLOAT_EQ(probs[2], 0.2f);
}

TEST_F(PipelineTest, BothOrdersAverageClassifierProbabilities) {
    LengthJudge judge(true);
    run_judge_pipeline(judge, options(OrderMode::Both), nullptr);
    auto out = read_output();
    ASSERT_EQ(out[0]["games"].size(), 2u);
    EXPECT_EQ(out[0]["consistent"], true);
    EXPECT_EQ(out[0]["verdict"], "A>B");
    // Pair 2 has equal lengths: position bias says A>B in both raw frames, so the pair-frame
    // verdicts disagree; averaged probabilities are [0.35, 0.3, 0.35] -> argmax picks A>B first.
    EXPECT_EQ(out[1]["consistent"], false);
    EXPECT_EQ(out[1]["games"][0]["verdict"], "A>B");
    EXPECT_EQ(out[1]["games"][1]["verdict"], "B>A");
}

TEST_F(PipelineTest, BothOrdersGenerativeDisagreementIsATie) {
    LengthJudge judge(false);
    run_judge_pipeline(judge, options(OrderMode::Both), nullptr);
    auto out = read_output();
    EXPECT_EQ(out[1]["consistent"], false);
    EXPECT_EQ(out[1]["verdict"], "A=B");
    EXPECT_EQ(out[2]["verdict"], "parse_failed");
}

TEST_F(PipelineTest, ResumeSkipsFinishedPairsAndCutsATornLine) {
    {
        LengthJudge judge(true);
        auto o = options(OrderMode::AsIs);
        o.limit = 2;
        run_judge_pipeline(judge, o, nullptr);
    }
    std::ofstream(output_, std::ios::app) << R"({"id": "3", "verd)";  // a crash mid-write
    LengthJudge judge(true);
    auto stats = run_judge_pipeline(judge, options(OrderMode::AsIs), nullptr);
    EXPECT_EQ(stats.already_done, 2u);
    EXPECT_EQ(stats.judged, 2u);
    EXPECT_EQ(judge.calls, 2u);
    auto out = read_output();
    ASSERT_EQ(out.size(), 4u);
    EXPECT_EQ(out[2]["id"], "3");
}

TEST_F(PipelineTest, StopFlagLeavesAValidFileThatResumes) {
    std::atomic<bool> stop = true;  // as if Ctrl-C arrived during the first batch
    LengthJudge judge(true);
    auto o = options(OrderMode::AsIs);
    o.batch_pairs = 1;
    auto stats = run_judge_pipeline(judge, o, &stop);
    EXPECT_TRUE(stats.interrupted);
    EXPECT_EQ(stats.judged, 1u);
    EXPECT_EQ(read_output().size(), 1u);
    stop = false;
    stats = run_judge_pipeline(judge, o, &stop);
    EXPECT_EQ(stats.already_done, 1u);
    EXPECT_EQ(stats.judged, 3u);
    EXPECT_EQ(read_output().size(), 4u);
}

TEST_F(PipelineTest, RefusesToMixJudgesInOneFile) {
    LengthJudge first(true, "first");
    auto o = options(OrderMode::AsIs);
    o.limit = 1;
    run_judge_pipeline(first, o, nullptr);
    LengthJudge second(true, "second");
    EXPECT_THROW(run_judge_pipeline(second, options(OrderMode::AsIs), nullptr), Error);
    auto ow = options(OrderMode::AsIs);
    ow.overwrite = true;
    EXPECT_EQ(run_judge_pipeline(second, ow, nullptr).judged, 4u);
}

TEST_F(PipelineTest, MalformedLineNamesTheLineAndKeepsFinishedWork) {
    std::ofstream(input_, std::ios::app) << "{not json\n";
    LengthJudge judge(true);
    try {
        run_judge_pipeline(judge, options(OrderMode::AsIs), nullptr);
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("pairs.jsonl:6: invalid JSON"), std::string::npos) << e.what();
    }
    EXPECT_EQ(read_output().size(), 4u);
}

TEST_F(PipelineTest, PairsReadBeforeABadLineAreStillJudged) {
    std::ofstream(input_, std::ios::app) << R"({"id": "5", "question": "q"})" "\n";
    LengthJudge judge(true);
    auto o = options(OrderMode::AsIs);
    o.batch_pairs = 100;  // everything sits in one pending batch when the bad line is read
    EXPECT_THROW(run_judge_pipeline(judge, o, nullptr), Error);
    EXPECT_EQ(read_output().size(), 4u);
}

TEST_F(PipelineTest, DuplicateIdNamesTheLineAndKeepsFinishedWork) {
    std::ofstream(input_, std::ios::app) << R"({"id": "1", "question": "q", "answer_a": "a", "answer_b": "b"})" "\n";
    LengthJudge judge(true);
    try {
        run_judge_pipeline(judge, options(OrderMode::AsIs), nullptr);
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("pairs.jsonl:6: duplicate id '1'"), std::string::npos) << e.what();
    }
    // Everything before the bad line was judged and kept.
    EXPECT_EQ(read_output().size(), 4u);
}

TEST(Verdict, NamesAndSwap) {
    EXPECT_EQ(verdict_name(swap_verdict(Verdict::AWins)), "B>A");
    EXPECT_EQ(swap_verdict(Verdict::Tie), Verdict::Tie);
    EXPECT_EQ(verdict_from_name("parse_failed"), Verdict::ParseFailed);
    EXPECT_FALSE(verdict_from_name("A>>B"));
    EXPECT_THROW(verdict_from_class(3), Error);
    EXPECT_THROW(order_mode_from_name("reverse"), Error);
}

}  // namespace
}  // namespace gavel
