#include "text/unicode_normalization.hpp"

#include <algorithm>
#include <cstring>

#include "text/unicode.hpp"
#include "text/utf8.hpp"

namespace gavel::text {
namespace {

// A character of the normalized output with the reference's change count (see CharChange): a
// decomposition's first character replaces the source character (0), the others are inserted (1);
// composing two characters gives the sum of their changes minus one. Alignments are not carried
// along: like HF's transform, normalize_unicode hands them out by position afterwards.
struct ChangedChar {
    char32_t c;
    uint8_t ccc;
    int32_t change;
};

uint16_t stable_bit(NormalizationForm form) {
    switch (form) {
        case NormalizationForm::NFC:
            return unicode::kNfcStable;
        case NormalizationForm::NFD:
            return unicode::kNfdStable;
        case NormalizationForm::NFKC:
            return unicode::kNfkcStable;
        case NormalizationForm::NFKD:
            return unicode::kNfkdStable;
    }
    return 0;
}

void decompose_into(std::vector<ChangedChar>& out, char32_t c, bool compat) {
    if (unicode::is_hangul_syllable(c)) {
        uint32_t s = c - unicode::kHangulSBase;
        out.push_back({unicode::kHangulLBase + s / unicode::kHangulNCount, 0, 0});
        out.push_back({unicode::kHangulVBase + (s % unicode::kHangulNCount) / unicode::kHangulTCount, 0, 1});
        if (s % unicode::kHangulTCount != 0) out.push_back({unicode::kHangulTBase + s % unicode::kHangulTCount, 0, 1});
        return;
    }
    auto parts = compat ? unicode::compatibility_decomposition(c) : unicode::canonical_decomposition(c);
    if (parts.empty()) {
        out.push_back({c, unicode::combining_class(c), 0});
        return;
    }
    int32_t change = 0;
    for (char32_t p : parts) {
        out.push_back({p, unicode::combining_class(p), change});
        change = 1;
    }
}

// Canonical ordering: a stable sort of every run of non-starters by combining class (the changes
// move with their characters).
void reorder(std::vector<ChangedChar>& chars) {
    size_t i = 0;
    while (i < chars.size()) {
        if (chars[i].ccc == 0) {
            ++i;
            continue;
        }
        size_t j = i;
        while (j < chars.size() && chars[j].ccc != 0) ++j;
        if (j - i > 1)
            std::stable_sort(chars.begin() + i, chars.begin() + j,
                             [](const ChangedChar& a, const ChangedChar& b) { return a.ccc < b.ccc; });
        i = j;
    }
}

// Canonical composition (UAX #15): a character joins the last starter unless a character between
// them is blocking (a starter, or one of the same or a higher combining class).
void compose(std::vector<ChangedChar>& chars) {
    size_t out = 0;
    size_t starter = SIZE_MAX;
    uint8_t previous_ccc = 0;
    for (size_t i = 0; i < chars.size(); ++i) {
        ChangedChar ch = chars[i];
        if (starter != SIZE_MAX && (out - 1 == starter || (previous_ccc != 0 && previous_ccc < ch.ccc))) {
            char32_t composite = unicode::compose(chars[starter].c, ch.c);
            if (composite != 0) {
                chars[starter].c = composite;
                chars[starter].change += ch.change - 1;
                continue;
            }
        }
        if (ch.ccc == 0) starter = out;
        previous_ccc = ch.ccc;
        chars[out++] = ch;
    }
    chars.resize(out);
}

// Appends the normalized characters of the old bytes [begin, end) of `text` with the alignments HF's
// NormalizedString::transform gives them: a cursor walks the old characters; a character with
// change <= 0 takes the alignment of the old character under the cursor, which then moves past it
// and past -change more; an inserted one (change 1) takes the alignment of the byte before the
// cursor. So alignments follow positions, not characters: when canonical ordering moves a mark to
// the front of a word, the first normalized character still maps to the word's first original
// character. Each region's changes consume exactly its old characters, so regions are independent.
void push_by_position(NormalizedBuilder& builder, const NormalizedString& text, const std::vector<ChangedChar>& chars,
                      size_t begin, size_t end) {
    const std::string& s = text.get();
    auto step = [&](size_t at) { return at + utf8_sequence_length(static_cast<unsigned char>(s[at])); };
    size_t cursor = begin;
    for (const ChangedChar& ch : chars) {
        Alignment a;
        if (ch.change > 0) {
            a = cursor == 0 ? Alignment{uint32_t(text.original_begin()), uint32_t(text.original_begin())}
                            : text.alignment_at(cursor - 1);
        } else {
            a = text.alignment_at(cursor < end ? cursor : end - 1);
            if (cursor < end) cursor = step(cursor);
            for (int32_t k = 0; k < -ch.change && cursor < end; ++k) cursor = step(cursor);
        }
        builder.push(ch.c, a);
    }
}

}  // namespace

void normalize_unicode(NormalizedString& text, NormalizationForm form) {
    const std::string& s = text.get();
    const uint16_t stable = stable_bit(form);
    const bool compat = form == NormalizationForm::NFKC || form == NormalizationForm::NFKD;
    const bool composes = form == NormalizationForm::NFC || form == NormalizationForm::NFKC;
    const bool tracked = text.tracks_alignments();
    const size_t n = s.size();

    // Find the first character the form may change; most text has none.
    size_t i = 0, last_stable = SIZE_MAX, first_unstable = SIZE_MAX;
    while (i < n) {
        if (static_cast<unsigned char>(s[i]) < 0x80) {
            last_stable = i;
            ++i;
            continue;
        }
        size_t start = i;
        char32_t c = decode_utf8(s, i);
        if (unicode::has(c, stable)) {
            last_stable = start;
        } else {
            first_unstable = start;
            break;
        }
    }
    if (first_unstable == SIZE_MAX) return;

    NormalizedBuilder builder(tracked, n + n / 4);
    std::vector<ChangedChar> region;
    size_t copied_until = 0;
    auto copy_through = [&](size_t end) {
        builder.text().append(s, copied_until, end - copied_until);
        if (tracked)
            for (size_t k = copied_until; k < end; ++k) builder.alignments().push_back(text.alignment_at(k));
        copied_until = end;
    };
    // A stable character right before the unstable one may compose with what follows it.
    bool previous_is_stable =
        last_stable != SIZE_MAX &&
        last_stable + utf8_sequence_length(static_cast<unsigned char>(s[last_stable])) == first_unstable;
    size_t region_start = previous_is_stable ? last_stable : first_unstable;
    copy_through(region_start);
    i = region_start;
    while (i < n) {
        // The region runs from i to the next stable character after at least one unstable one.
        region.clear();
        size_t j = i;
        bool seen_unstable = false;
        while (j < n) {
            size_t start = j;
            char32_t c = decode_utf8(s, j);
            bool is_stable = unicode::has(c, stable);
            if (is_stable && seen_unstable) {
                j = start;
                break;
            }
            if (!is_stable) seen_unstable = true;
            decompose_into(region, c, compat);
        }
        reorder(region);
        if (composes) compose(region);
        if (tracked) {
            push_by_position(builder, text, region, i, j);
        } else {
            for (const ChangedChar& ch : region) builder.push(ch.c, Alignment{});
        }
        i = j;
        // Copy the following run of stable characters, keeping the last one for the next region
        // (it may compose with the unstable characters after it).
        size_t run_start = i, last = SIZE_MAX;
        while (i < n) {
            size_t start = i;
            char32_t c = static_cast<unsigned char>(s[i]) < 0x80 ? char32_t(s[i++]) : decode_utf8(s, i);
            if (!unicode::has(c, stable)) {
                i = start;
                break;
            }
            last = start;
        }
        copied_until = run_start;
        if (i >= n) {
            copy_through(n);
            break;
        }
        size_t next_region = (last != SIZE_MAX) ? last : i;
        copy_through(next_region);
        i = next_region;
    }
    builder.finish_into(text);
}

}  // namespace gavel::text
