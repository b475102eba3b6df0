// A compiled Oniguruma regex, the engine the reference uses for Split and Replace patterns, with
// the reference's rule for iterating over matches (an empty match right after the previous match
// is skipped). Immutable after construction; searches may run on several threads at once.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gavel::text {

class OnigRegex {
public:
    // Throws gavel::Error naming `where` and Oniguruma's message when the pattern does not compile.
    OnigRegex(std::string_view pattern, std::string_view where);
    ~OnigRegex();
    OnigRegex(const OnigRegex&) = delete;
    OnigRegex& operator=(const OnigRegex&) = delete;

    // Every match as [begin, end) byte ranges, in order.
    std::vector<std::pair<size_t, size_t>> find_all(std::string_view text) const;

    // The first match starting at or after `from`, or false.
    bool search(std::string_view text, size_t from, size_t& begin, size_t& end) const;

private:
    void* regex_ = nullptr;  // OnigRegex (regex_t*)
};

}  // namespace gavel::text
