// Text on its way through normalizers and pre-tokenizers. When asked to, it keeps for every byte of
// the normalized text the byte range of the original input it came from (as HF's NormalizedString
// does), so that tokens get byte offsets into the input and Metaspace(prepend_scheme "first") can
// tell whether a piece starts the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gavel::text {

// A byte range [begin, end) of the original input.
struct Alignment {
    uint32_t begin = 0;
    uint32_t end = 0;
    bool operator==(const Alignment&) const = default;
};

// One character of a transformation, as HF's NormalizedString::transform takes them: `change` is
// 0 when the character replaces one of the old text, 1 when it is inserted, and -N when it replaces
// one character and N more old characters are removed after it.
struct CharChange {
    char32_t c;
    int32_t change;
};

class NormalizedString {
public:
    NormalizedString() = default;
    // `text` is the part of the original input that starts at byte `original_begin`.
    NormalizedString(std::string_view text, size_t original_begin, bool track_alignments);

    const std::string& get() const { return text_; }
    size_t size() const { return text_.size(); }
    bool empty() const { return text_.empty(); }
    bool tracks_alignments() const { return tracked_; }

    // The original input's byte range this piece covers (HF offsets_original()). Meaningful only
    // when alignments are tracked.
    size_t original_begin() const { return original_begin_; }
    size_t original_end() const { return original_end_; }
    // Original byte range of normalized bytes [begin, end) (tracked strings only).
    std::pair<size_t, size_t> original_range(size_t begin, size_t end) const;
    Alignment alignment_at(size_t byte) const { return alignments_[byte]; }

    // A new string for normalized bytes [begin, end) (char boundaries).
    NormalizedString slice(size_t begin, size_t end) const;

    // HF's transform_range: replaces normalized bytes [begin, end) with `changes`, after removing
    // `initial_removed` characters at the start of the range.
    void transform_range(size_t begin, size_t end, std::span<const CharChange> changes, size_t initial_removed);
    void transform(std::span<const CharChange> changes, size_t initial_removed) {
        transform_range(0, text_.size(), changes, initial_removed);
    }

    // Replaces the whole text. `alignments` has one entry per byte of `text` (ignored, and may be
    // empty, when alignments are not tracked).
    void assign(std::string text, std::vector<Alignment> alignments);

    // HF prepend/append: no effect on an empty string; the new characters share the alignment of
    // the first (last) character.
    void prepend(std::string_view s);
    void append(std::string_view s);

    // HF replace with a literal or a list of matches: each [begin, end) of the normalized text is
    // replaced by `content`. Matches must be sorted and not overlap.
    void replace_matches(std::span<const std::pair<size_t, size_t>> matches, std::string_view content);

    // Removes leading and/or trailing characters for which Rust's char::is_whitespace holds.
    void strip(bool left, bool right);

    // Lowercases with Rust's char::to_lowercase.
    void lowercase();

private:
    std::string text_;
    std::vector<Alignment> alignments_;  // one per byte of text_, when tracked_
    size_t original_begin_ = 0, original_end_ = 0;
    bool tracked_ = false;
};

// Builds a normalized text with its alignments, one character at a time.
class NormalizedBuilder {
public:
    explicit NormalizedBuilder(bool track, size_t reserve = 0);
    void push(char32_t c, Alignment a);
    void push_bytes(std::string_view utf8, Alignment a);
    std::string& text() { return text_; }
    std::vector<Alignment>& alignments() { return alignments_; }
    void finish_into(NormalizedString& target) { target.assign(std::move(text_), std::move(alignments_)); }

private:
    std::string text_;
    std::vector<Alignment> alignments_;
    bool track_;
};

}  // namespace gavel::text
