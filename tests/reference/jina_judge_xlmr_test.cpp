// JinaJudge with a real XLM-R tokenizer.json (250,002 pieces and the normalizer table of
// models/ggml-vocab-nomic-bert-moe.gguf in the llama.cpp source node-llama-cpp bundles, written by
// tools/reference/make_xlmr_tokenizers.py in both layouts XLM-R files use) on the tiny checkpoint:
// how the template tokenizes, the truncation policy at exact token counts, the example pairs judged
// end to end through the judge pipeline, and `gavel embed` on text with and without a task.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "core/error.hpp"
#include "core/line_reader.hpp"
#include "judge/jina_judge.hpp"
#include "judge/judge_pipeline.hpp"
#include "text/tokenizer.hpp"
#include "../models/jina_test_model.hpp"

namespace gavel {
namespace {

using namespace gavel::testing;

#ifdef GAVEL_XLMR_BUNDLE

// The two tokenizer.json layouts, written once per process.
const std::filesystem::path& xlmr_dir() {
    static const std::filesystem::path dir = [] {
        auto d = tiny_jina_judge().dir / "xlmr";
        EXPECT_EQ(run_command(python() + " " + shell_quoted(std::string(GAVEL_SOURCE_DIR) + "/tools/reference/make_xlmr_tokenizers.py") +
                              " --bundle " + shell_quoted(GAVEL_XLMR_BUNDLE) + " --out " + shell_quoted(d) + " >/dev/null"),
                  0);
        return d;
    }();
    return dir;
}

const text::Tokenizer& tokenizer(const std::string& layout) {
    static const text::Tokenizer sequence = text::Tokenizer::from_file((xlmr_dir() / "xlmr_sequence.json").string());
    static const text::Tokenizer legacy = text::Tokenizer::from_file((xlmr_dir() / "xlmr_legacy.json").string());
    return layout == "sequence" ? sequence : legacy;
}

struct Judged {
    JinaJudgeModel model;
    ThreadPool pool{2};
    Judged()
        : model(JinaJudgeModel::load(tiny_jina_judge().checkpoint, tiny_jina_judge().judge_config,
                                     tiny_jina_judge().encoder_config)) {}
};
Judged& judged() {
    static Judged j;
    return j;
}

std::vector<Pair> example_pairs() {
    std::vector<Pair> pairs;
    LineReader reader(std::string(GAVEL_SOURCE_DIR) + "/examples/pairs.jsonl");
    std::string line;
    while (reader.next(line)) pairs.push_back(Pair::from_json(parse_json(line, reader.where()), reader.where()));
    return pairs;
}

TEST(JinaJudgeXlmr, TemplatePiecesJoinToTheWholePromptsIds) {
    auto pairs = example_pairs();
    ASSERT_EQ(pairs.size(), 36u);
    for (const std::string& layout : {std::string("sequence"), std::string("legacy")}) {
        JinaJudgeProtocol judge(judged().model, tokenizer(layout), judged().pool, {});
        size_t same = 0, games = 0;
        for (const auto& p : pairs)
            for (bool swapped : {false, true}) {
                Game g{&p, swapped};
                auto whole = tokenizer(layout).encode_ids(render_jina_judge_prompt(g.question(), g.first(), g.second()), true);
                EXPECT_EQ(judge.prompt(g).ids, whole);  // short prompts: the whole text, as the reference
                auto joined = fit_jina_judge_prompt(judge.pieces(g), 1 << 20, TruncateMode::Error, "x").ids;
                same += joined == whole;
                ++games;
            }
        std::printf("%s layout: template pieces join to the whole prompt's ids in %zu of %zu games\n", layout.c_str(),
                    same, games);
        // The current layout always; the 2020 one except where an answer ends in whitespace.
        if (layout == "sequence")
            EXPECT_EQ(same, games);
        else
            EXPECT_GE(same, games - 2);
    }
}

// Words that are one XLM-R piece each, so a part of n words is n tokens.
std::string repeat_word(const std::string& word, int64_t n) {
    std::string s;
    for (int64_t i = 0; i < n; ++i) s += (i ? " " : "") + word;
    return s;
}

TEST(JinaJudgeXlmr, TruncationAt4095_4096_4097Tokens) {
    const auto& tok = tokenizer("sequence");
    for (const char* word : {"question", "yes", "no"}) ASSERT_EQ(tok.encode_ids(word, false).size(), 1u) << word;
    JinaJudgeProtocol judge(judged().model, tok, judged().pool, {});
    Pair p;
    p.id = "long";
    p.question = repeat_word("question", 1000);
    p.answer_a = repeat_word("yes", 2000);
    const int64_t template_tokens =
        int64_t(tok.encode_ids(render_jina_judge_prompt("question", "yes", "no"), true).size()) - 3;
    for (int64_t total : {4095, 4096, 4097}) {
        p.answer_b = repeat_word("no", total - template_tokens - 3000);
        Game g{&p, false};
        ASSERT_EQ(int64_t(tok.encode_ids(render_jina_judge_prompt(g.question(), g.first(), g.second()), true).size()),
                  total);
        auto fit = judge.prompt(g);
        EXPECT_EQ(fit.truncated, total > 4096) << total;
        EXPECT_EQ(int64_t(fit.ids.size()), std::min<int64_t>(total, 4096)) << total;
        EXPECT_EQ(fit.full_tokens(), total);
        // The final "\n<end>" and </s> are always the last tokens.
        auto tail = tok.encode_ids("<end>", false);
        tail.push_back(2);
        EXPECT_TRUE(std::equal(tail.rbegin(), tail.rend(), fit.ids.rbegin())) << total;
        if (total > 4096) {
            // Judged (one 4096-token forward pass): marked, with its counts.
            auto r = judge.judge(std::span(&g, 1));
            EXPECT_TRUE(r[0].truncated);
            EXPECT_EQ(r[0].prompt_tokens, 4096);
            EXPECT_EQ(int64_t(r[0].extra["kept_tokens"]["question"]) + int64_t(r[0].extra["kept_tokens"]["first"]) +
                          int64_t(r[0].extra["kept_tokens"]["second"]),
                      4096 - template_tokens);
            JinaJudgeOptions strict;
            strict.truncate = TruncateMode::Error;
            JinaJudgeProtocol refusing(judged().model, tok, judged().pool, strict);
            EXPECT_THROW(refusing.judge(std::span(&g, 1)), Error);
        }
    }
}

TEST(JinaJudgeXlmr, ExamplePairsEndToEndThroughThePipeline) {
    const auto dir = tiny_jina_judge().dir / "pipeline";
    std::filesystem::create_directories(dir);
    JinaJudgeOptions options;
    options.model_name = "jina-judge-tiny";
    JinaJudgeProtocol judge(judged().model, tokenizer("sequence"), judged().pool, options);
    PipelineOptions run;
    run.input = std::string(GAVEL_SOURCE_DIR) + "/examples/pairs.jsonl";
    run.output = (dir / "judgments.jsonl").string();
    run.order = OrderMode::Both;
    run.overwrite = true;
    run.progress = false;
    auto stats = run_judge_pipeline(judge, run, nullptr);
    EXPECT_EQ(stats.judged, 36u);
    LineReader reader(run.output);
    std::string line;
    size_t lines = 0;
    while (reader.next(line)) {
        Json j = parse_json(line, reader.where());
        ++lines;
        ASSERT_TRUE(j.contains("consistent")) << line;
        EXPECT_TRUE(j["verdict"] == "A>B" || j["verdict"] == "A=B" || j["verdict"] == "B>A") << line;
        ASSERT_EQ(j["games"].size(), 2u);
        for (const Json& g : j["games"]) {
            auto probs = g["probs"].get<std::array<float, 3>>();
            EXPECT_NEAR(probs[0] + probs[1] + probs[2], 1.0, 1e-5);
            EXPECT_EQ(g["logits"].size(), 3u);
            EXPECT_FALSE(g["truncated"].get<bool>());
            EXPECT_GT(g["prompt_tokens"].get<int64_t>(), 20);
            EXPECT_TRUE(g.contains("tokens"));
        }
        EXPECT_EQ(j["judge"]["protocol"], "jina-judge");
    }
    EXPECT_EQ(lines, 36u);
}

// `gavel embed` on text, with the tokenizer beside the encoder's config as make-model puts it:
// the rows equal the encoder's embeddings of the tokenizer's ids, with a task's instruction
// prepended when a task is given.
TEST(JinaJudgeXlmr, GavelEmbedTextWithAndWithoutTask) {
    const auto& m = tiny_jina_judge();
    const auto dir = m.dir / "embed";
    std::filesystem::create_directories(dir);
    std::filesystem::copy_file(xlmr_dir() / "xlmr_sequence.json", m.dir / "encoder" / "tokenizer.json",
                               std::filesystem::copy_options::overwrite_existing);
    const std::vector<std::string> texts = {"Привет, мир!", "A judge reads two answers.\nWhich is better?"};
    {
        std::ofstream in(dir / "texts.jsonl");
        in << Json(texts[0]).dump() << "\n" << Json{{"text", texts[1]}}.dump() << "\n";
    }
    const auto& tok = tokenizer("sequence");
    for (const std::optional<std::string>& task : {std::optional<std::string>{}, std::optional<std::string>{"retrieval.query"}}) {
        const auto out = dir / (task ? "task.npy" : "base.npy");
        ASSERT_EQ(run_command(shell_quoted(GAVEL_BINARY) + " embed --quiet --model " + shell_quoted(m.dir) + " --input " +
                              shell_quoted(dir / "texts.jsonl") + " --output " + shell_quoted(out) +
                              (task ? " --task " + *task : std::string())),
                  0);
        std::ifstream f(out, std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        ASSERT_EQ(bytes.size(), 128u + 2 * 64 * 4);
        EXPECT_NE(bytes.find("'shape': (2, 64)"), std::string::npos);
        auto enc = XlmRobertaEncoder::load(m.checkpoint, m.encoder_config, {task, std::nullopt});
        const std::string instruction = task ? m.encoder_config.task_instructions.at(*task) : "";
        for (size_t i = 0; i < texts.size(); ++i) {
            std::vector<std::vector<int32_t>> ids = {tok.encode_ids(instruction + texts[i], true)};
            auto expected = enc.embed(judged().pool, TokenBatch::pad(ids, 1));
            for (size_t j = 0; j < 64; ++j) {
                float got;
                std::memcpy(&got, bytes.data() + 128 + (i * 64 + j) * 4, 4);
                ASSERT_EQ(got, expected[j]) << "text " << i << " dim " << j << (task ? " with task" : "");
            }
        }
    }
}

#else

TEST(JinaJudgeXlmr, NeedsTheXlmrVocabulary) {
    GTEST_SKIP() << "node-llama-cpp's llama.cpp bundle not found: run tools/setup.sh and reconfigure";
}

#endif

}  // namespace
}  // namespace gavel
