#include "text/grapheme.hpp"

#include "text/unicode.hpp"
#include "text/utf8.hpp"

namespace gavel::text {

using unicode::GraphemeBreak;

size_t next_grapheme_boundary(std::string_view s, size_t begin) {
    size_t i = begin;
    char32_t first = decode_utf8(s, i);
    // Printable ASCII followed by ASCII never joins anything (the common case).
    if (first >= 0x20 && first < 0x7F && (i >= s.size() || static_cast<unsigned char>(s[i]) < 0x80)) return i;

    unicode::GraphemeProperties previous = unicode::grapheme_properties(first);
    // GB11 state: saw Extended_Pictographic Extend* and then ZWJ.
    bool pictographic_run = previous.extended_pictographic;
    bool pictographic_zwj = false;
    // GB12/13: number of regional indicators in the current run.
    size_t regional_indicators = previous.value == GraphemeBreak::RegionalIndicator ? 1 : 0;

    while (i < s.size()) {
        size_t next = i;
        char32_t c = decode_utf8(s, next);
        unicode::GraphemeProperties current = unicode::grapheme_properties(c);
        GraphemeBreak p = previous.value, q = current.value;
        bool join;
        if (p == GraphemeBreak::CR && q == GraphemeBreak::LF) {
            join = true;  // GB3
        } else if (p == GraphemeBreak::Control || p == GraphemeBreak::CR || p == GraphemeBreak::LF) {
            join = false;  // GB4
        } else if (q == GraphemeBreak::Control || q == GraphemeBreak::CR || q == GraphemeBreak::LF) {
            join = false;  // GB5
        } else if (p == GraphemeBreak::L && (q == GraphemeBreak::L || q == GraphemeBreak::V || q == GraphemeBreak::LV ||
                                             q == GraphemeBreak::LVT)) {
            join = true;  // GB6
        } else if ((p == GraphemeBreak::LV || p == GraphemeBreak::V) &&
                   (q == GraphemeBreak::V || q == GraphemeBreak::T)) {
            join = true;  // GB7
        } else if ((p == GraphemeBreak::LVT || p == GraphemeBreak::T) && q == GraphemeBreak::T) {
            join = true;  // GB8
        } else if (q == GraphemeBreak::Extend || q == GraphemeBreak::ZWJ || q == GraphemeBreak::SpacingMark) {
            join = true;  // GB9, GB9a
        } else if (p == GraphemeBreak::Prepend) {
            join = true;  // GB9b
        } else if (pictographic_zwj && current.extended_pictographic) {
            join = true;  // GB11
        } else if (p == GraphemeBreak::RegionalIndicator && q == GraphemeBreak::RegionalIndicator) {
            join = regional_indicators % 2 == 1;  // GB12, GB13
        } else {
            join = false;  // GB999
        }
        if (!join) break;

        // Update the GB11 and GB12/13 state for the character just joined.
        if (current.extended_pictographic) {
            pictographic_run = true;
            pictographic_zwj = false;
        } else if (q == GraphemeBreak::ZWJ) {
            pictographic_zwj = pictographic_run;
            pictographic_run = false;
        } else if (q != GraphemeBreak::Extend) {
            pictographic_run = pictographic_zwj = false;
        } else {
            pictographic_zwj = false;
        }
        regional_indicators = q == GraphemeBreak::RegionalIndicator ? regional_indicators + 1 : 0;
        previous = current;
        i = next;
    }
    return i;
}

}  // namespace gavel::text
