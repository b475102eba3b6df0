#include "judge/con_j_prompt.hpp"

#include <array>
#include <vector>

#include "text/chat_template.hpp"

namespace gavel {

namespace {

// §1.6.1, identical in the authors' preprocess_dataset.py and the model card's CON_J_PROMPT: fullwidth
// punctuation except the ASCII ", " after 判断 and the ASCII quotes of the JSON example; the line before
// 问题 holds exactly four spaces.
constexpr std::string_view kPromptPrefix =
    "作为一个评价专家，给定一个问题和它的两个可能的回答，请选出哪一个回答在连贯性、准确性、覆盖度和上述定义的整体质量"
    "方面最为符合。请用JSON格式输出你的判断, 其中\"原因\"是你提供的解释，\"更好的回答\"是整数类型的1或2，例如"
    "{\"原因\": \"你的解释\", \"更好的回答\": 1}。以下是问题和候选回答的内容：\n    \n问题：";
constexpr std::string_view kFirstAnswer = "\n回答1：";
constexpr std::string_view kSecondAnswer = "\n回答2：";
// §1.6.3: the repo's evaluation pre-fills the assistant turn with this and parses prefix + generation.
constexpr std::string_view kRepoEvalPrefill = " {\"原因\":";

struct FormatName {
    ConJFormat format;
    std::string_view name;
};
constexpr std::array<FormatName, 4> kFormats = {{
    {ConJFormat::ModelCard, "model-card"},
    {ConJFormat::RepoEval, "repo-eval"},
    {ConJFormat::DpoTraining, "dpo-training"},
    {ConJFormat::DataSampling, "data-sampling"},
}};

}  // namespace

std::string_view con_j_format_name(ConJFormat format) {
    for (const auto& f : kFormats)
        if (f.format == format) return f.name;
    return "model-card";
}

std::optional<ConJFormat> con_j_format_from_name(std::string_view name) {
    for (const auto& f : kFormats)
        if (f.name == name) return f.format;
    return std::nullopt;
}

std::string con_j_format_names() {
    std::string out;
    for (const auto& f : kFormats) {
        if (!out.empty()) out += ", ";
        out += f.name;
    }
    return out;
}

std::string con_j_judging_prompt(std::string_view question, std::string_view first, std::string_view second) {
    std::string p;
    p.reserve(kPromptPrefix.size() + question.size() + first.size() + second.size() + 32);
    p += kPromptPrefix;
    p += question;
    p += kFirstAnswer;
    p += first;
    p += kSecondAnswer;
    p += second;
    return p;
}

ConJPromptText render_con_j_prompt(ConJFormat format, std::string_view question, std::string_view first,
                                   std::string_view second) {
    const std::string p = con_j_judging_prompt(question, first, second);
    const ChatTemplate qwen2 = ChatTemplate::qwen2();
    switch (format) {
        case ConJFormat::ModelCard: {
            std::vector<ChatMessage> messages = {{"system", ""}, {"user", p}};
            return {qwen2.render(messages, true), ""};
        }
        case ConJFormat::RepoEval: {
            std::vector<ChatMessage> messages = {{"human", p}};
            return {qwen2.render(messages, true, kRepoEvalPrefill), std::string(kRepoEvalPrefill)};
        }
        case ConJFormat::DpoTraining: {
            // The response side was rendered from a one-message [assistant] list, which re-inserts the
            // default system block; at inference the assistant turn is left open.
            std::vector<ChatMessage> prompt = {{"user", p}};
            std::vector<ChatMessage> response = {{"assistant", ""}};
            std::string text = qwen2.render(prompt, false);
            std::string response_text = qwen2.render(response, false);
            text += response_text.substr(0, response_text.size() - std::string_view("<|im_end|>\n").size());
            return {text, ""};
        }
        case ConJFormat::DataSampling: {
            std::vector<ChatMessage> messages = {{"human", p}};
            return {qwen2.render(messages, false) + "Assistant:", ""};
        }
    }
    return {qwen2.render(std::vector<ChatMessage>{{"system", ""}, {"user", p}}, true), ""};
}

}  // namespace gavel
