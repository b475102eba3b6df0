#include "judge/pair.hpp"

#include "core/error.hpp"

namespace gavel {

namespace {
std::optional<std::string> optional_text(const Json& line, const char* key, std::string_view where) {
    auto it = line.find(key);
    if (it == line.end() || it->is_null()) return std::nullopt;
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number()) return it->dump();  // numeric labels (0/1/2) and ids stay readable
    fail("{}: field '{}' must be a string, got {}", where, key, it->dump());
}
}  // namespace

Pair Pair::from_json(const Json& line, std::string_view where) {
    if (!line.is_object()) fail("{}: expected a JSON object with id, question, answer_a, answer_b", where);
    Pair p;
    auto id = optional_text(line, "id", where);
    if (!id) fail("{}: missing field 'id'", where);
    p.id = *id;
    p.question = require_string(line, "question", where);
    p.answer_a = require_string(line, "answer_a", where);
    p.answer_b = require_string(line, "answer_b", where);
    p.label = optional_text(line, "label", where);
    p.category = optional_text(line, "category", where);
    p.model_a = optional_text(line, "model_a", where);
    p.model_b = optional_text(line, "model_b", where);
    for (auto it = line.begin(); it != line.end(); ++it) {
        static constexpr std::string_view kKnown[] = {"id", "question", "answer_a", "answer_b",
                                                      "label", "category", "model_a", "model_b"};
        bool known = false;
        for (auto k : kKnown) known = known || it.key() == k;
        if (!known) p.extra[it.key()] = it.value();
    }
    return p;
}

}  // namespace gavel
