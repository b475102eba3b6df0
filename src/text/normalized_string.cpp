#include "text/normalized_string.hpp"

#include "text/unicode.hpp"
#include "text/utf8.hpp"

namespace gavel::text {

NormalizedString::NormalizedString(std::string_view text, size_t original_begin, bool track_alignments)
    : text_(text),
      original_begin_(original_begin),
      original_end_(original_begin + text.size()),
      tracked_(track_alignments) {
    if (!tracked_) return;
    alignments_.resize(text.size());
    size_t i = 0;
    while (i < text.size()) {
        size_t len = utf8_sequence_length(static_cast<unsigned char>(text[i]));
        Alignment a{uint32_t(original_begin + i), uint32_t(original_begin + i + len)};
        for (size_t k = 0; k < len; ++k) alignments_[i + k] = a;
        i += len;
    }
}

std::pair<size_t, size_t> NormalizedString::original_range(size_t begin, size_t end) const {
    if (!tracked_ || alignments_.empty()) return {original_begin_, original_begin_};
    if (begin >= end) {
        // HF hands back the same (empty) range; pin it to the original offset of that position.
        size_t at = begin < alignments_.size() ? alignments_[begin].begin : alignments_.back().end;
        return {at, at};
    }
    return {alignments_[begin].begin, alignments_[end - 1].end};
}

NormalizedString NormalizedString::slice(size_t begin, size_t end) const {
    NormalizedString out;
    out.tracked_ = tracked_;
    out.text_.assign(text_, begin, end - begin);
    if (tracked_) {
        out.alignments_.assign(alignments_.begin() + begin, alignments_.begin() + end);
        auto [b, e] = original_range(begin, end);
        out.original_begin_ = b;
        out.original_end_ = e;
    } else {
        out.original_begin_ = out.original_end_ = 0;
    }
    return out;
}

void NormalizedString::assign(std::string text, std::vector<Alignment> alignments) {
    text_ = std::move(text);
    if (tracked_) alignments_ = std::move(alignments);
}

void NormalizedString::transform_range(size_t begin, size_t end, std::span<const CharChange> changes,
                                       size_t initial_removed) {
    // Positions in the old text: `offset` is the byte of the next old character to be consumed.
    size_t offset = begin;
    for (size_t k = 0; k < initial_removed && offset < end; ++k)
        offset += utf8_sequence_length(static_cast<unsigned char>(text_[offset]));
    std::string replacement;
    std::vector<Alignment> new_alignments;
    replacement.reserve(end - begin);
    if (tracked_) new_alignments.reserve(end - begin);
    for (const CharChange& ch : changes) {
        if (tracked_) {
            Alignment a;
            if (ch.change > 0) {
                a = offset < 1 ? Alignment{uint32_t(original_begin_), uint32_t(original_begin_)}
                               : alignments_[offset - 1];
            } else if (offset < alignments_.size()) {
                a = alignments_[offset];
            } else {
                a = alignments_.empty() ? Alignment{uint32_t(original_end_), uint32_t(original_end_)}
                                        : alignments_.back();
            }
            size_t len = utf8_encoded_length(ch.c);
            for (size_t k = 0; k < len; ++k) new_alignments.push_back(a);
        }
        if (ch.change <= 0 && offset < end) offset += utf8_sequence_length(static_cast<unsigned char>(text_[offset]));
        for (int32_t k = 0; k < -ch.change && offset < end; ++k)
            offset += utf8_sequence_length(static_cast<unsigned char>(text_[offset]));
        append_utf8(replacement, ch.c);
    }
    text_.replace(begin, end - begin, replacement);
    if (tracked_) {
        alignments_.erase(alignments_.begin() + begin, alignments_.begin() + end);
        alignments_.insert(alignments_.begin() + begin, new_alignments.begin(), new_alignments.end());
    }
}

void NormalizedString::prepend(std::string_view s) {
    if (text_.empty() || s.empty()) return;
    if (tracked_) alignments_.insert(alignments_.begin(), s.size(), alignments_.front());
    text_.insert(0, s);
}

void NormalizedString::append(std::string_view s) {
    if (text_.empty() || s.empty()) return;
    if (tracked_) alignments_.insert(alignments_.end(), s.size(), alignments_.back());
    text_.append(s);
}

void NormalizedString::replace_matches(std::span<const std::pair<size_t, size_t>> matches, std::string_view content) {
    if (matches.empty()) return;
    std::string out;
    std::vector<Alignment> out_alignments;
    out.reserve(text_.size());
    if (tracked_) out_alignments.reserve(text_.size());
    size_t previous = 0;
    for (auto [begin, end] : matches) {
        out.append(text_, previous, begin - previous);
        if (tracked_) {
            out_alignments.insert(out_alignments.end(), alignments_.begin() + previous, alignments_.begin() + begin);
            // HF gives inserted characters the alignment of the byte before the insertion point,
            // which is the last byte of the replaced match.
            Alignment a =
                end == 0 ? Alignment{uint32_t(original_begin_), uint32_t(original_begin_)} : alignments_[end - 1];
            out_alignments.insert(out_alignments.end(), content.size(), a);
        }
        out.append(content);
        previous = end;
    }
    out.append(text_, previous, std::string::npos);
    if (tracked_) out_alignments.insert(out_alignments.end(), alignments_.begin() + previous, alignments_.end());
    text_ = std::move(out);
    if (tracked_) alignments_ = std::move(out_alignments);
}

void NormalizedString::strip(bool left, bool right) {
    size_t begin = 0, end = text_.size();
    if (left) {
        while (begin < end) {
            size_t i = begin;
            char32_t c = decode_utf8(text_, i);
            if (!unicode::has(c, unicode::kWhiteSpace)) break;
            begin = i;
        }
    }
    if (right) {
        while (end > begin) {
            size_t start = end - 1;
            while (start > begin && (static_cast<unsigned char>(text_[start]) & 0xC0) == 0x80) --start;
            size_t i = start;
            char32_t c = decode_utf8(text_, i);
            if (!unicode::has(c, unicode::kWhiteSpace)) break;
            end = start;
        }
    }
    if (begin == 0 && end == text_.size()) return;
    text_ = text_.substr(begin, end - begin);
    if (tracked_) alignments_ = std::vector<Alignment>(alignments_.begin() + begin, alignments_.begin() + end);
}

void NormalizedString::lowercase() {
    bool ascii_only = true;
    for (char ch : text_) {
        if (static_cast<unsigned char>(ch) >= 0x80) {
            ascii_only = false;
            break;
        }
    }
    if (ascii_only) {
        // Same length, same alignments.
        for (char& ch : text_)
            if (ch >= 'A' && ch <= 'Z') ch = char(ch + 32);
        return;
    }
    NormalizedBuilder builder(tracked_, text_.size());
    size_t i = 0;
    while (i < text_.size()) {
        size_t start = i;
        char32_t c = decode_utf8(text_, i);
        Alignment a = tracked_ ? alignments_[start] : Alignment{};
        char32_t mapped[3];
        size_t n = unicode::lowercase(c, mapped);
        for (size_t k = 0; k < n; ++k) builder.push(mapped[k], a);
    }
    builder.finish_into(*this);
}

NormalizedBuilder::NormalizedBuilder(bool track, size_t reserve) : track_(track) {
    text_.reserve(reserve);
    if (track_) alignments_.reserve(reserve);
}

void NormalizedBuilder::push(char32_t c, Alignment a) {
    size_t before = text_.size();
    append_utf8(text_, c);
    if (track_) alignments_.insert(alignments_.end(), text_.size() - before, a);
}

void NormalizedBuilder::push_bytes(std::string_view utf8, Alignment a) {
    text_.append(utf8);
    if (track_) alignments_.insert(alignments_.end(), utf8.size(), a);
}

}  // namespace gavel::text
