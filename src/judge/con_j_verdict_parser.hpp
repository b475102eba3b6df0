// Con-J's verdict parser (models.md §1.8, the authors' evaluate_utils.meta_evaluate): the answer number
// (1 or 2) read from a generation through fenced JSON, bare JSON, brace spans, then a soft key search.
// Output that yields no valid number is a parse failure, never a guessed winner.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "judge/con_j_json_decoder.hpp"
#include "judge/verdict.hpp"

namespace gavel {

struct ConJParse {
    std::optional<int> better;  // 1 (the first answer shown) or 2; nullopt when unparseable
    std::string rationale;      // the "原因" field when a JSON object gave the verdict
    // How the verdict was found: "fenced-json", "whole-json", "first-braces", "last-braces",
    // "soft-key-quoted" (rule a), "soft-key" (rule b), "soft-key-before" (rule c), or "none".
    std::string path;
    std::string soft_key;  // the key of the soft search that matched

    // A>B for 1, B>A for 2, parse_failed otherwise: about the positions the judge saw.
    Verdict verdict() const;
};

class ConJVerdictParser {
public:
    // Parses a generation; `text` must already include any pre-filled prefix (RepoEval's ` {"原因":`).
    ConJParse parse(std::string_view text) const;

private:
    ConJJsonDecoder json_;
};

}  // namespace gavel
