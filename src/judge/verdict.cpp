#include "judge/verdict.hpp"

#include "core/error.hpp"

namespace gavel {

std::string_view verdict_name(Verdict v) {
    switch (v) {
        case Verdict::AWins: return "A>B";
        case Verdict::Tie: return "A=B";
        case Verdict::BWins: return "B>A";
        case Verdict::ParseFailed: return "parse_failed";
    }
    return "parse_failed";
}

std::optional<Verdict> verdict_from_name(std::string_view name) {
    for (Verdict v : {Verdict::AWins, Verdict::Tie, Verdict::BWins, Verdict::ParseFailed})
        if (verdict_name(v) == name) return v;
    return std::nullopt;
}

Verdict swap_verdict(Verdict v) {
    if (v == Verdict::AWins) return Verdict::BWins;
    if (v == Verdict::BWins) return Verdict::AWins;
    return v;
}

Verdict verdict_from_class(int index) {
    switch (index) {
        case 0: return Verdict::AWins;
        case 1: return Verdict::Tie;
        case 2: return Verdict::BWins;
    }
    fail("classifier class {} is not one of 0 (A>B), 1 (A=B), 2 (B>A)", index);
}

}  // namespace gavel
