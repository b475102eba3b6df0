// The Con-J judging prompt (models.md §1.6.1) and the four chat formats it was used in (§1.6.2-1.6.5).
// These strings are data the model was trained on: they are reproduced byte for byte.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gavel {

enum class ConJFormat {
    ModelCard,     // §1.6.2: empty system prompt, "user" turn, generation prompt (the model card; default)
    RepoEval,      // §1.6.3: default system prompt, "human" turn, assistant pre-filled with ` {"原因":`
    DpoTraining,   // §1.6.4: the DPO training sequence: "user" turn, then a second default system block
    DataSampling,  // §1.6.5: default system prompt, "human" turn, then the literal "Assistant:"
};

// "model-card", "repo-eval", "dpo-training", "data-sampling".
std::string_view con_j_format_name(ConJFormat format);
std::optional<ConJFormat> con_j_format_from_name(std::string_view name);
// "model-card, repo-eval, ..." for help texts and error messages.
std::string con_j_format_names();

// P = PREFIX + question + "\n回答1：" + first + "\n回答2：" + second (§1.6.1).
std::string con_j_judging_prompt(std::string_view question, std::string_view first, std::string_view second);

struct ConJPromptText {
    std::string text;          // what the model reads
    std::string parse_prefix;  // prepended to the generation before verdict parsing (RepoEval's prefill)
};

ConJPromptText render_con_j_prompt(ConJFormat format, std::string_view question, std::string_view first,
                                   std::string_view second);

}  // namespace gavel
