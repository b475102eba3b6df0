#include "text/chat_template.hpp"

#include "core/error.hpp"

namespace gavel {

namespace {

// The template source as one string: either the field itself or the entry named "default" of a
// list of {"name", "template"} objects (the multi-template form of tokenizer_config.json).
std::string template_source(const Json& config, std::string_view where) {
    auto it = config.find("chat_template");
    if (it == config.end() || it->is_null()) fail("{}: no 'chat_template' field", where);
    if (it->is_string()) return it->get<std::string>();
    if (it->is_array()) {
        for (const auto& entry : *it)
            if (entry.is_object() && entry.value("name", "") == "default" && entry.contains("template") &&
                entry["template"].is_string())
                return entry["template"].get<std::string>();
        fail("{}: 'chat_template' is a list without a template named 'default'", where);
    }
    fail("{}: 'chat_template' must be a string or a list, got {}", where, it->dump());
}

// The literal default system prompt of a ChatML template: the text between "<|im_start|>system" + newline
// and "<|im_end|>" in an occurrence holding no template syntax (Qwen2 and Qwen2.5 write it as one string
// literal; Qwen3-style templates only ever insert messages[0].content, so they have none). The newline
// is a real one or a Jinja "\n" escape, depending on how the template was saved.
std::optional<std::string> literal_default_system(const std::string& source) {
    static constexpr std::string_view kHeader = "<|im_start|>system";
    static constexpr std::string_view kEnd = "<|im_end|>";
    for (size_t at = source.find(kHeader); at != std::string::npos; at = source.find(kHeader, at + 1)) {
        size_t begin = at + kHeader.size();
        if (source.compare(begin, 1, "\n") == 0) begin += 1;
        else if (source.compare(begin, 2, "\\n") == 0) begin += 2;
        else continue;
        size_t end = source.find(kEnd, begin);
        if (end == std::string::npos) continue;
        std::string_view text(source.data() + begin, end - begin);
        if (text.find_first_of("'\"{}+") != std::string_view::npos) continue;
        return std::string(text);
    }
    return std::nullopt;
}

}  // namespace

ChatTemplate ChatTemplate::from_tokenizer_config(const Json& tokenizer_config, std::string_view where) {
    return from_source(template_source(tokenizer_config, where), where);
}

ChatTemplate ChatTemplate::from_source(const std::string& source, std::string_view where) {
    if (source.find("<|im_start|>") == std::string::npos || source.find("<|im_end|>") == std::string::npos)
        fail("{}: 'chat_template' is not a ChatML template (no <|im_start|> / <|im_end|>); gavel renders only "
             "the ChatML family (Qwen2, Qwen2.5, Qwen3)",
             where);
    return ChatTemplate(literal_default_system(source));
}

std::string ChatTemplate::render(std::span<const ChatMessage> messages, bool add_generation_prompt,
                                 std::string_view assistant_prefix) const {
    std::string out;
    if (default_system_ && !messages.empty() && messages.front().role != "system")
        out += "<|im_start|>system\n" + *default_system_ + "<|im_end|>\n";
    for (const auto& m : messages) out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
    if (add_generation_prompt) {
        out += "<|im_start|>assistant\n";
        out += assistant_prefix;
    } else if (!assistant_prefix.empty()) {
        fail("chat template: an assistant prefix needs add_generation_prompt");
    }
    return out;
}

}  // namespace gavel
