// The unit of work: a question with two answers (a Pair), seen by the judge in one order (a Game).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/json.hpp"

namespace gavel {

struct Pair {
    std::string id, question, answer_a, answer_b;
    std::optional<std::string> label, category, model_a, model_b;
    Json extra = Json::object();  // input fields gavel does not know, carried to the output

    // Parses one input line (docs/judgments.md); `where` ("pairs.jsonl:12") starts any error.
    static Pair from_json(const Json& line, std::string_view where);
};

// One presentation of a pair to the judge: `first` is shown in position A, `second` in position B.
struct Game {
    const Pair* pair = nullptr;
    bool swapped = false;
    std::string_view question() const { return pair->question; }
    std::string_view first() const { return swapped ? pair->answer_b : pair->answer_a; }
    std::string_view second() const { return swapped ? pair->answer_a : pair->answer_b; }
};

}  // namespace gavel
