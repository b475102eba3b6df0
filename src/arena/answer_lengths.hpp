// Answer lengths in tokens per model and question, from an arena's model_answer folder
// (FastChat answer records carry token_len, counted by the arena with tiktoken's cl100k_base).
// Used for the leaderboard's average-tokens column and for length control.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace gavel::arena {

class AnswerLengths {
public:
    // Every *.jsonl / *.jsonl.gz in `dir`; the model is the file name without the extension, as
    // the arenas' load_model_answers has it.
    static AnswerLengths load(const std::string& dir);

    bool has_model(const std::string& model) const { return models_.count(model) > 0; }
    // Mean token_len over the model's answers that carry one; nullopt if none does.
    std::optional<double> average_tokens(const std::string& model) const;
    size_t answers(const std::string& model) const;
    size_t answers_without_tokens(const std::string& model) const;
    // token_len of the model's answer to `question`; 0 if it has none (as the Russian arena counts).
    double tokens(const std::string& model, const std::string& question) const;
    // Every question id seen in any answer file, in first-seen order.
    const std::vector<std::string>& questions() const { return questions_; }

private:
    struct ModelAnswers {
        std::unordered_map<std::string, double> tokens;
        size_t answers = 0, without_tokens = 0;
    };
    std::map<std::string, ModelAnswers> models_;
    std::vector<std::string> questions_;
};

}  // namespace gavel::arena
