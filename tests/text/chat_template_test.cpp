#include <gtest/gtest.h>

#include <vector>

#include "core/error.hpp"
#include "text/chat_template.hpp"

namespace gavel {
namespace {

TEST(ChatTemplate, Qwen2InsertsTheDefaultSystemPrompt) {
    std::vector<ChatMessage> m = {{"user", "hi"}, {"assistant", "hello"}, {"user", "bye"}};
    EXPECT_EQ(ChatTemplate::qwen2().render(m, true),
              "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n"
              "<|im_start|>assistant\nhello<|im_end|>\n<|im_start|>user\nbye<|im_end|>\n<|im_start|>assistant\n");
}

TEST(ChatTemplate, AnExplicitEmptySystemPromptReplacesTheDefault) {
    std::vector<ChatMessage> m = {{"system", ""}, {"user", "hi"}};
    EXPECT_EQ(ChatTemplate::qwen2().render(m, false),
              "<|im_start|>system\n<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n");
}

TEST(ChatTemplate, RolesAreCopiedAndTheAnswerCanBePrefilled) {
    std::vector<ChatMessage> m = {{"human", "q"}};
    EXPECT_EQ(ChatTemplate::qwen2().render(m, true, " {\"a\":"),
              "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>human\nq<|im_end|>\n"
              "<|im_start|>assistant\n {\"a\":");
    EXPECT_THROW(ChatTemplate::qwen2().render(m, false, "x"), Error);
}

TEST(ChatTemplate, ReadsTheDefaultSystemPromptOfTokenizerConfigs) {
    // Qwen2-Instruct's template as stored (the JSON "\n" already decoded to a newline).
    Json qwen2 = {{"chat_template",
                   "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
                   "{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}"
                   "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
                   "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"}};
    EXPECT_EQ(ChatTemplate::from_tokenizer_config(qwen2, "t").default_system(), "You are a helpful assistant.");
    // Qwen2.5: the tools branch comes first and holds no literal; the plain branch does.
    Json qwen25 = {{"chat_template",
                    "{%- if tools %}{{- '<|im_start|>system\\n' }}{%- if messages[0]['role'] == 'system' %}"
                    "{{- messages[0]['content'] }}{%- endif %}{%- else %}{%- if messages[0]['role'] == 'system' %}"
                    "{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}{%- else %}"
                    "{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful "
                    "assistant.<|im_end|>\\n' }}{%- endif %}{%- endif %}"}};
    EXPECT_EQ(ChatTemplate::from_tokenizer_config(qwen25, "t").default_system(),
              "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.");
    Json qwen3 = {{"chat_template", "{%- if messages[0].role == 'system' %}{{- '<|im_start|>system\\n' + "
                                    "messages[0].content + '<|im_end|>\\n' }}{%- endif %}"}};
    EXPECT_FALSE(ChatTemplate::from_tokenizer_config(qwen3, "t").default_system());
    EXPECT_THROW(ChatTemplate::from_tokenizer_config(Json{{"chat_template", "[INST] {{ x }}"}}, "t"), Error);
    EXPECT_THROW(ChatTemplate::from_tokenizer_config(Json::object(), "t"), Error);
}

}  // namespace
}  // namespace gavel
