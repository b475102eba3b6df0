// Chat templates: turning a list of messages into the exact prompt text a chat model was trained on.
// gavel renders the ChatML family (Qwen2 / Qwen2.5 / Qwen3 "<|im_start|>role\n...<|im_end|>\n") natively
// instead of interpreting the Jinja source; the template text only decides the default system prompt.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/json.hpp"

namespace gavel {

struct ChatMessage {
    std::string role;     // copied verbatim: "system", "user", "assistant", or e.g. Con-J's "human"
    std::string content;
};

class ChatTemplate {
public:
    // Qwen2-Instruct's template: "You are a helpful assistant." is inserted as the system turn when
    // the first message is not a system message.
    static constexpr std::string_view kQwen2DefaultSystem = "You are a helpful assistant.";
    static ChatTemplate qwen2() { return ChatTemplate(std::string(kQwen2DefaultSystem)); }

    // The template of a tokenizer_config.json ("chat_template" field, a string or a list of named
    // templates of which "default" is used). Recognises ChatML templates and reads their default system
    // prompt (none for Qwen3-style templates); fails, naming `where`, for any other template family.
    static ChatTemplate from_tokenizer_config(const Json& tokenizer_config, std::string_view where);
    // The same from the template's Jinja source itself.
    static ChatTemplate from_source(const std::string& source, std::string_view where);

    explicit ChatTemplate(std::optional<std::string> default_system) : default_system_(std::move(default_system)) {}

    const std::optional<std::string>& default_system() const { return default_system_; }

    // Renders every message as "<|im_start|>{role}\n{content}<|im_end|>\n", preceded by the default
    // system turn when the first message is not "system" (and the template has one). With
    // `add_generation_prompt`, appends "<|im_start|>assistant\n" and then `assistant_prefix`, the
    // pre-filled start of the answer (the model continues from there).
    std::string render(std::span<const ChatMessage> messages, bool add_generation_prompt,
                       std::string_view assistant_prefix = {}) const;

private:
    std::optional<std::string> default_system_;
};

}  // namespace gavel
