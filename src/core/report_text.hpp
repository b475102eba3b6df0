// Small text helpers shared by gavel's human-readable reports (eval, arena): HTML escaping and
// the "'value' count, ..." lists that name every dropped or unknown input value.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

namespace gavel {

// Escapes &, <, > and " for HTML text and attribute values (and for SVG).
std::string html_escape(std::string_view text);

// "'A<B' 14135, 'null' 2": values in quotes with their counts, most frequent first.
std::string quoted_counts(const std::map<std::string, size_t>& counts);

}  // namespace gavel
