#include "judge/jina_judge_prompt.hpp"

#include <algorithm>
#include <numeric>

#include "core/error.hpp"

namespace gavel {

const std::array<std::string_view, 4>& jina_judge_template_chunks() {
    static constexpr std::array<std::string_view, 4> kChunks = {
        "<user prompt>\n",
        "\n<end>\n<assistant A answer>\n",
        "\n<end>\n<assistant B answer>\n",
        "\n<end>",
    };
    return kChunks;
}

std::string render_jina_judge_prompt(std::string_view question, std::string_view answer_a, std::string_view answer_b) {
    const auto& c = jina_judge_template_chunks();
    std::string out;
    out.reserve(question.size() + answer_a.size() + answer_b.size() + 96);
    out.append(c[0]).append(question).append(c[1]).append(answer_a).append(c[2]).append(answer_b).append(c[3]);
    return out;
}

TruncateMode truncate_mode_from_name(std::string_view name) {
    if (name == "proportional") return TruncateMode::Proportional;
    if (name == "error") return TruncateMode::Error;
    fail("--truncate: unknown mode '{}' (expected proportional or error)", name);
}

std::string_view truncate_mode_name(TruncateMode mode) {
    return mode == TruncateMode::Proportional ? "proportional" : "error";
}

FittedPrompt fit_jina_judge_prompt(const JinaJudgePieces& pieces, int64_t max_tokens, TruncateMode mode,
                                   std::string_view what) {
    FittedPrompt fit;
    fit.template_tokens = 2;
    for (const auto& c : pieces.chunks) fit.template_tokens += int64_t(c.size());
    int64_t content = 0;
    for (size_t i = 0; i < 3; ++i) {
        fit.part_tokens[i] = int64_t(pieces.parts[i].size());
        content += fit.part_tokens[i];
    }
    fit.kept_tokens = fit.part_tokens;

    if (fit.full_tokens() > max_tokens) {
        if (mode == TruncateMode::Error)
            fail("{}: the prompt has {} tokens, more than --max-tokens {} (question {}, answer A {}, answer B {}); "
                 "use --truncate proportional to shorten it",
                 what, fit.full_tokens(), max_tokens, fit.part_tokens[0], fit.part_tokens[1], fit.part_tokens[2]);
        const int64_t budget = max_tokens - fit.template_tokens;
        if (budget < 0)
            fail("{}: --max-tokens {} leaves no room for the template's own {} tokens", what, max_tokens,
                 fit.template_tokens);
        // Each part keeps floor(n_i * budget / content) tokens; the leftover goes one token at a
        // time to the largest remainders (the earlier part on ties), so the parts fill the budget.
        std::array<int64_t, 3> remainder{};
        int64_t used = 0;
        for (size_t i = 0; i < 3; ++i) {
            const int64_t scaled = fit.part_tokens[i] * budget;
            fit.kept_tokens[i] = scaled / content;
            remainder[i] = scaled % content;
            used += fit.kept_tokens[i];
        }
        std::array<size_t, 3> order{0, 1, 2};
        std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return remainder[a] > remainder[b]; });
        for (size_t j = 0; used < budget; j = (j + 1) % 3) {
            const size_t i = order[j];
            if (fit.kept_tokens[i] < fit.part_tokens[i]) {
                ++fit.kept_tokens[i];
                ++used;
            }
        }
        fit.truncated = true;
    }

    fit.ids.reserve(size_t(fit.template_tokens + fit.kept_tokens[0] + fit.kept_tokens[1] + fit.kept_tokens[2]));
    fit.ids.push_back(pieces.bos);
    for (size_t i = 0; i < 4; ++i) {
        fit.ids.insert(fit.ids.end(), pieces.chunks[i].begin(), pieces.chunks[i].end());
        if (i < 3) fit.ids.insert(fit.ids.end(), pieces.parts[i].begin(), pieces.parts[i].begin() + fit.kept_tokens[i]);
    }
    fit.ids.push_back(pieces.eos);
    return fit;
}

}  // namespace gavel
