// JinaJudge's input: the byte-exact template (spec §2.2) and the policy for inputs longer than the
// model was trained on (4096 tokens): shorten the question and both answers in proportion to their
// lengths, never the template's tags, or refuse.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gavel {

// "<user prompt>\n{question}\n<end>\n<assistant A answer>\n{a}\n<end>\n<assistant B answer>\n{b}\n<end>"
std::string render_jina_judge_prompt(std::string_view question, std::string_view answer_a, std::string_view answer_b);

// The fixed text between the three parts, in order: before the question, between question and A,
// between A and B, after B. Rendering is chunk[0] + question + chunk[1] + a + chunk[2] + b + chunk[3].
const std::array<std::string_view, 4>& jina_judge_template_chunks();

enum class TruncateMode { Proportional, Error };
// "proportional" | "error"; fails naming the value.
TruncateMode truncate_mode_from_name(std::string_view name);
std::string_view truncate_mode_name(TruncateMode mode);

// Token ids of one game, split the way truncation needs them: the template chunks and the parts
// tokenized on their own (no special tokens), plus the sequence's start and end tokens.
struct JinaJudgePieces {
    std::array<std::vector<int32_t>, 4> chunks;  // template chunks, as jina_judge_template_chunks()
    std::array<std::vector<int32_t>, 3> parts;   // question, answer A, answer B
    int32_t bos = 0, eos = 2;                   // <s>, </s>
};

struct FittedPrompt {
    std::vector<int32_t> ids;           // <s> chunk0 question chunk1 A chunk2 B chunk3 </s>
    std::array<int64_t, 3> part_tokens{};  // each part's tokens before shortening
    std::array<int64_t, 3> kept_tokens{};  // and after
    int64_t template_tokens = 0;        // chunks + <s> + </s>
    bool truncated = false;
    int64_t full_tokens() const { return template_tokens + part_tokens[0] + part_tokens[1] + part_tokens[2]; }
};

// Joins the pieces into at most `max_tokens` ids. When the whole does not fit: with
// TruncateMode::Error fails; with Proportional keeps the first k_i tokens of part i, the k_i in
// proportion to the part lengths (largest remainders get the leftover tokens) so the result is
// exactly max_tokens long. The template is never cut: if it alone does not fit, fails. `what`
// names the game in messages ("pair 'q17' (as-is)").
FittedPrompt fit_jina_judge_prompt(const JinaJudgePieces& pieces, int64_t max_tokens, TruncateMode mode,
                                   std::string_view what);

}  // namespace gavel
