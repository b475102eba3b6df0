// The interface every judge protocol implements (Con-J generative, JinaJudge classifier, ...).
// A judge turns games into results; the pipeline (judge_pipeline.hpp) does orders, batching,
// output and resume, so protocols never see files.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "judge/pair.hpp"
#include "judge/verdict.hpp"

namespace gavel {

struct GameResult {
    Verdict verdict = Verdict::ParseFailed;  // about the positions the judge saw
    std::optional<std::array<float, 3>> probs, logits;  // classifier judges, [A>B, A=B, B>A]
    std::string rationale, raw;                          // generative judges
    int64_t prompt_tokens = 0, generated_tokens = 0;
    bool truncated = false;
    double seconds = 0;
    Json extra = Json::object();  // protocol-specific details (token counts per part, ...)
};

class Judge {
public:
    virtual ~Judge() = default;
    // {"model": ..., "protocol": ..., ...}: written into every judgment; a resumed run must match it.
    virtual Json identity() const = 0;
    // Classifier judges combine two orders by averaging probabilities; generative ones by agreement.
    virtual bool is_classifier() const = 0;
    // How many games the judge wants per call (it may batch them internally).
    virtual size_t preferred_batch() const { return 1; }
    // Judges the games; one result per game, same order. Throws gavel::Error on failure.
    virtual std::vector<GameResult> judge(std::span<const Game> games) = 0;
};

}  // namespace gavel
