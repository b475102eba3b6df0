#include <gtest/gtest.h>

#include "judge/con_j_prompt.hpp"

namespace gavel {
namespace {

// models.md §1.6.1, typed again from the spec (⏎ = LF, four spaces on the blank-looking line).
const std::string kP =
    "作为一个评价专家，给定一个问题和它的两个可能的回答，请选出哪一个回答在连贯性、准确性、覆盖度和上述定义的整体质量方面最为"
    "符合。请用JSON格式输出你的判断, 其中\"原因\"是你提供的解释，\"更好的回答\"是整数类型的1或2，例如{\"原因\": \"你的解释\", "
    "\"更好的回答\": 1}。以下是问题和候选回答的内容：\n    \n问题：Q?\n回答1：first\n回答2：second";

TEST(ConJPrompt, JudgingPromptIsByteExact) {
    std::string p = con_j_judging_prompt("Q?", "first", "second");
    EXPECT_EQ(p, kP);
    EXPECT_NE(p.find("判断, 其中"), std::string::npos);       // the one ASCII comma + space
    EXPECT_NE(p.find("内容：\n    \n问题："), std::string::npos);  // fullwidth colon, LF, 4 spaces, LF
    EXPECT_NE(p.find("\n回答1："), std::string::npos);
}

TEST(ConJPrompt, ModelCardFormat) {
    auto r = render_con_j_prompt(ConJFormat::ModelCard, "Q?", "first", "second");
    EXPECT_EQ(r.text, "<|im_start|>system\n<|im_end|>\n<|im_start|>user\n" + kP +
                          "<|im_end|>\n<|im_start|>assistant\n");
    EXPECT_EQ(r.parse_prefix, "");
}

TEST(ConJPrompt, RepoEvalFormat) {
    auto r = render_con_j_prompt(ConJFormat::RepoEval, "Q?", "first", "second");
    EXPECT_EQ(r.text, "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>human\n" + kP +
                          "<|im_end|>\n<|im_start|>assistant\n {\"原因\":");
    EXPECT_EQ(r.parse_prefix, " {\"原因\":");
}

TEST(ConJPrompt, DpoTrainingFormat) {
    auto r = render_con_j_prompt(ConJFormat::DpoTraining, "Q?", "first", "second");
    EXPECT_EQ(r.text, "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n" + kP +
                          "<|im_end|>\n<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                          "<|im_start|>assistant\n");
}

TEST(ConJPrompt, DataSamplingFormat) {
    auto r = render_con_j_prompt(ConJFormat::DataSampling, "Q?", "first", "second");
    EXPECT_EQ(r.text, "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>human\n" + kP +
                          "<|im_end|>\nAssistant:");
}

TEST(ConJPrompt, FormatNamesRoundTrip) {
    for (auto f : {ConJFormat::ModelCard, ConJFormat::RepoEval, ConJFormat::DpoTraining, ConJFormat::DataSampling})
        EXPECT_EQ(con_j_format_from_name(con_j_format_name(f)), f);
    EXPECT_FALSE(con_j_format_from_name("chatml"));
}

}  // namespace
}  // namespace gavel
