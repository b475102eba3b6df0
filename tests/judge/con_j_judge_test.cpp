#include <gtest/gtest.h>

#include <fstream>

#include "../io/io_test_support.hpp"
#include "../models/qwen2_test_checkpoint.hpp"
#include "core/line_reader.hpp"
#include "judge/con_j_judge.hpp"
#include "judge/judge_pipeline.hpp"
#include "text/synthetic_tokenizers.hpp"

namespace gavel {
namespace {

using testing::ScratchDir;
using testing::TinyQwen2;

class ConJJudgeTest : public ::testing::Test {
protected:
    void SetUp() override {
        tiny_.vocab = 151936;  // the tokenizer's ids sit at Qwen2's real ones; the rest are padding rows
        tiny_.max_positions = 4096;
        tiny_.write(dir_.path());
        std::ofstream(dir_ / "tokenizer.json") << text::synthetic_qwen2_tokenizer().dump();
        model_.emplace(Qwen2Model::open(dir_.path()));
        tokenizer_.emplace(text::Tokenizer::from_file((dir_ / "tokenizer.json").string()));
    }
    ConJOptions options(ConJFormat format) const {
        ConJOptions o;
        o.format = format;
        o.generation.max_new_tokens = 16;
        o.generation.eos_ids = {151645, 151643};
        o.model_name = "tiny-random";
        o.batch = 3;
        return o;
    }
    ScratchDir dir_;
    TinyQwen2 tiny_;
    std::optional<Qwen2Model> model_;
    std::optional<text::Tokenizer> tokenizer_;
    ThreadPool pool_{2};
};

TEST_F(ConJJudgeTest, JudgesBothOrdersInEveryFormat) {
    std::vector<Pair> pairs(2);
    pairs[0].id = "en";
    pairs[0].question = "What is 2 + 2?";
    pairs[0].answer_a = "4";
    pairs[0].answer_b = "5, because 2 + 2 is 5.";
    pairs[1].id = "ru";
    pairs[1].question = "Столица Франции?";
    pairs[1].answer_a = "Париж.";
    pairs[1].answer_b = "Лион";
    std::vector<Game> games;
    for (const auto& p : pairs) {
        games.push_back({&p, false});
        games.push_back({&p, true});
    }
    for (auto format : {ConJFormat::ModelCard, ConJFormat::RepoEval, ConJFormat::DpoTraining, ConJFormat::DataSampling}) {
        ConJJudge judge(*model_, *tokenizer_, pool_, options(format));
        EXPECT_FALSE(judge.is_classifier());
        EXPECT_EQ(judge.identity()["protocol"], "con-j");
        EXPECT_EQ(judge.identity()["format"], con_j_format_name(format));
        auto results = judge.judge(games);
        ASSERT_EQ(results.size(), games.size());
        for (size_t g = 0; g < games.size(); ++g) {
            const auto& r = results[g];
            auto prompt = render_con_j_prompt(format, games[g].question(), games[g].first(), games[g].second());
            EXPECT_EQ(r.prompt_tokens, int64_t(tokenizer_->encode_ids(prompt.text, true).size()));
            EXPECT_GT(r.generated_tokens, 0);
            EXPECT_LE(r.generated_tokens, 16);
            EXPECT_GT(r.seconds, 0);
            // The verdict is whatever the parser reads from what the model wrote.
            ConJVerdictParser parser;
            EXPECT_EQ(r.verdict, parser.parse(prompt.parse_prefix + r.raw).verdict());
            EXPECT_TRUE(r.extra.contains("stop"));
        }
        // Batched judging gives each game what it gets alone.
        auto alone = judge.judge(std::span(&games[1], 1));
        EXPECT_EQ(alone[0].raw, results[1].raw);
    }
}

TEST_F(ConJJudgeTest, RefusesPromptsLongerThanTheContext) {
    Pair p;
    p.id = "long";
    p.question = std::string(5000, 'x');
    p.answer_a = "a";
    p.answer_b = "b";
    Game g{&p, false};
    ConJJudge judge(*model_, *tokenizer_, pool_, options(ConJFormat::ModelCard));
    auto r = judge.judge(std::span(&g, 1));
    EXPECT_EQ(r[0].verdict, Verdict::ParseFailed);
    EXPECT_TRUE(r[0].truncated);
    EXPECT_TRUE(r[0].extra.contains("error"));
}

// The whole judging path: example pairs through the pipeline in every order mode, giving valid
// judgment lines (docs/judgments.md) with the Con-J game fields.
TEST_F(ConJJudgeTest, JudgesExamplePairsThroughThePipelineInEveryOrderMode) {
    ConJJudge judge(*model_, *tokenizer_, pool_, options(ConJFormat::ModelCard));
    for (auto [mode, games] : {std::pair{"as-is", 1u}, std::pair{"swap", 1u}, std::pair{"both", 2u}}) {
        PipelineOptions o;
        o.input = std::string(GAVEL_SOURCE_DIR) + "/examples/pairs.jsonl";
        o.output = (dir_ / (std::string("judgments-") + mode + ".jsonl")).string();
        o.order = order_mode_from_name(mode);
        o.limit = 2;
        o.progress = false;
        auto stats = run_judge_pipeline(judge, o, nullptr);
        EXPECT_EQ(stats.judged, 2u) << mode;
        LineReader reader(o.output);
        std::string line;
        size_t lines = 0;
        while (reader.next(line)) {
            ++lines;
            Json j = parse_json(line, reader.where());
            EXPECT_TRUE(verdict_from_name(j["verdict"].get<std::string>())) << line;
            ASSERT_EQ(j["games"].size(), games) << line;
            EXPECT_EQ(j.contains("consistent"), games == 2) << line;
            EXPECT_EQ(j["judge"]["protocol"], "con-j");
            for (const auto& g : j["games"]) {
                EXPECT_GT(g["prompt_tokens"].get<int64_t>(), 0);
                EXPECT_GT(g["generated_tokens"].get<int64_t>(), 0);
                EXPECT_TRUE(g.contains("parser") && g.contains("stop")) << g.dump();  // "raw" only when non-empty
            }
        }
        EXPECT_EQ(lines, 2u) << mode;
        // A rerun finds every pair done.
        EXPECT_EQ(run_judge_pipeline(judge, o, nullptr).already_done, 2u);
    }
}

TEST(ConJOptions, ModelCardDefaultsAreGreedyWithTheFilesRepetitionPenalty) {
    GenerationConfig g;
    g.do_sample = true;
    g.temperature = 0.7;
    g.repetition_penalty = 1.05;
    g.eos_token_ids = {151645, 151643};
    auto o = ConJOptions::model_card(g, Qwen2Config{});
    EXPECT_FALSE(o.generation.sampling.do_sample);
    EXPECT_EQ(o.generation.sampling.repetition_penalty, 1.05);
    EXPECT_EQ(o.generation.max_new_tokens, 2048);
    EXPECT_EQ(o.generation.eos_ids, (std::vector<int32_t>{151645, 151643}));
    EXPECT_EQ(o.format, ConJFormat::ModelCard);
}

}  // namespace
}  // namespace gavel
