// Verdicts and their spellings. A verdict is always relative to some A/B frame: the positions the
// judge saw (raw) or the pair's own answers (after mapping a swapped game back).
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace gavel {

enum class Verdict { AWins, Tie, BWins, ParseFailed };

// "A>B", "A=B", "B>A", "parse_failed".
std::string_view verdict_name(Verdict v);
std::optional<Verdict> verdict_from_name(std::string_view name);
// The same judgment seen from the other order: A>B <-> B>A.
Verdict swap_verdict(Verdict v);
// Classifier class index (0 = A>B, 1 = A=B, 2 = B>A) to verdict.
Verdict verdict_from_class(int index);

}  // namespace gavel
