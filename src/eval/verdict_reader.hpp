// Turns the verdicts and reference labels of judgment records (strings, numbers, nulls in
// whatever convention a data set uses) into the three pairwise classes, and says exactly which
// raw values it did not recognise: nothing is silently dropped or coerced.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"

namespace gavel::eval {

// The three classes in gavel's order [A>B, A=B, B>A], plus a parse failure of the judge.
enum class Verdict : uint8_t { a_better = 0, tie = 1, b_better = 2, failed = 3 };
inline constexpr int kClasses = 3;
std::string_view verdict_name(Verdict v);  // "A>B", "A=B", "B>A", "parse_failed"

// How numbers (and number-like strings) are read; strings like "A>B" are read under every scheme.
enum class LabelScheme {
    ab,           // only A>B / A=B / B>A and the arena's five levels A>>B ... B>>A (5 -> 3)
    zero_one_two, // 0 = A>B, 1 = A=B, 2 = B>A (JinaJudge's training labels)
    one_two_tie,  // 1 = A>B, 2 = B>A, 0 or "tie" = A=B (PandaLM, LLMBar)
};
LabelScheme parse_label_scheme(const std::string& name);  // "ab", "012", "12tie"
std::string_view label_scheme_name(LabelScheme scheme);

// What one raw value turned out to be.
struct ReadVerdict {
    enum class Kind { known, failed, missing, unknown } kind;
    Verdict verdict = Verdict::failed;  // meaningful for known
    std::string raw;                    // the value as JSON text, for unknown-label reports
};

class VerdictReader {
public:
    // `label_map` maps raw values (as written in the data, or as JSON text for numbers) to one of
    // A>B, A=B, B>A, A>>B, B>>A or parse_failed; it is applied before the scheme.
    VerdictReader(LabelScheme scheme, std::map<std::string, std::string> label_map);

    // `value` null or absent -> missing; "parse_failed" -> failed.
    ReadVerdict read(const Json* value) const;
    LabelScheme scheme() const { return scheme_; }

private:
    std::optional<ReadVerdict> from_text(std::string_view text, const std::string& raw) const;

    LabelScheme scheme_;
    std::map<std::string, std::string> label_map_;
};

// Parses one --label-map argument "RAW=TARGET". Labels may themselves contain '=' (A=B), so the
// split is the one '=' whose right side is a valid target; ambiguity is an error.
std::pair<std::string, std::string> parse_label_mapping(const std::string& argument);

// A dotted path into a record: "verdict", "judge.model", "games.0.verdict". nullptr if absent.
const Json* find_path(const Json& record, std::string_view path);

}  // namespace gavel::eval
