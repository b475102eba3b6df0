#include "arena/answer_lengths.hpp"

#include <algorithm>
#include <filesystem>
#include <unordered_set>

#include "core/error.hpp"
#include "core/json.hpp"
#include "core/line_reader.hpp"

namespace gavel::arena {
namespace {

std::string strip_jsonl_suffix(const std::string& name) {
    for (const char* suffix : {".jsonl.gz", ".jsonl"}) {
        const std::string s(suffix);
        if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0)
            return name.substr(0, name.size() - s.size());
    }
    return {};
}

// token_len of the first turn of the first choice (FastChat), or metadata.token_len.
const Json* token_len_of(const Json& record) {
    auto choices = record.find("choices");
    if (choices != record.end() && choices->is_array() && !choices->empty()) {
        const Json& first = (*choices)[0];
        auto turns = first.find("turns");
        if (turns != first.end() && turns->is_array() && !turns->empty()) {
            auto t = (*turns)[0].find("token_len");
            if (t != (*turns)[0].end() && t->is_number()) return &*t;
        }
    }
    auto meta = record.find("metadata");
    if (meta != record.end() && meta->is_object()) {
        auto t = meta->find("token_len");
        if (t != meta->end() && t->is_number()) return &*t;
    }
    return nullptr;
}

}  // namespace

AnswerLengths AnswerLengths::load(const std::string& dir) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) fail("{}: --answers needs a directory of model answer files", dir);
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir))
        if (entry.is_regular_file() && !strip_jsonl_suffix(entry.path().filename().string()).empty()) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    if (files.empty()) fail("{}: no *.jsonl or *.jsonl.gz answer files", dir);

    AnswerLengths lengths;
    std::unordered_set<std::string> seen_questions;
    for (const auto& file : files) {
        ModelAnswers& answers = lengths.models_[strip_jsonl_suffix(file.filename().string())];
        LineReader lines(file.string());
        std::string line;
        while (lines.next(line)) {
            if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
            const Json record = parse_json(line, lines.where());
            if (!record.is_object()) fail("{}: expected a JSON object", lines.where());
            auto q = record.find("question_id");
            if (q == record.end()) q = record.find("uid");
            if (q == record.end() || q->is_null()) fail("{}: answer has no question_id", lines.where());
            const std::string question = q->is_string() ? q->get<std::string>() : q->dump();
            if (seen_questions.insert(question).second) lengths.questions_.push_back(question);
            ++answers.answers;
            if (const Json* t = token_len_of(record))
                answers.tokens[question] = t->get<double>();
            else
                ++answers.without_tokens;
        }
    }
    return lengths;
}

std::optional<double> AnswerLengths::average_tokens(const std::string& model) const {
    auto it = models_.find(model);
    if (it == models_.end() || it->second.tokens.empty()) return std::nullopt;
    double sum = 0;
    for (const auto& [q, t] : it->second.tokens) sum += t;
    return sum / static_cast<double>(it->second.tokens.size());
}

size_t AnswerLengths::answers(const std::string& model) const {
    auto it = models_.find(model);
    return it == models_.end() ? 0 : it->second.answers;
}

size_t AnswerLengths::answers_without_tokens(const std::string& model) const {
    auto it = models_.find(model);
    return it == models_.end() ? 0 : it->second.without_tokens;
}

double AnswerLengths::tokens(const std::string& model, const std::string& question) const {
    auto it = models_.find(model);
    if (it == models_.end()) return 0.0;
    auto t = it->second.tokens.find(question);
    return t == it->second.tokens.end() ? 0.0 : t->second;
}

}  // namespace gavel::arena
