#include "text/pre_tokenizers.hpp"

#include <array>

#include "core/error.hpp"
#include "text/component_config.hpp"
#include "text/split_pattern.hpp"
#include "text/unicode.hpp"
#include "text/utf8.hpp"

namespace gavel::text {
namespace {

// HF's Pattern for a char predicate: every matching character is a match span of its own.
template <typename Predicate>
std::vector<PatternSpan> spans_where(std::string_view text, Predicate matches) {
    std::vector<PatternSpan> spans;
    if (text.empty()) {
        spans.push_back({0, 0, false});
        return spans;
    }
    size_t last = 0, i = 0;
    while (i < text.size()) {
        size_t start = i;
        char32_t c = decode_utf8(text, i);
        if (matches(c)) {
            if (last < start) spans.push_back({last, start, false});
            spans.push_back({start, i, true});
            last = i;
        }
    }
    if (last < text.size()) spans.push_back({last, text.size(), false});
    return spans;
}

class SplitPreTokenizer final : public PreTokenizer {
public:
    SplitPreTokenizer(SplitPattern pattern, SplitBehavior behavior, bool invert)
        : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}

protected:
    void split_piece(NormalizedString&& piece, std::vector<NormalizedString>& out) const override {
        auto spans = pattern_.find_matches(piece.get());
        if (invert_)
            for (auto& s : spans) s.is_match = !s.is_match;
        split_normalized(piece, std::move(spans), behavior_, out);
    }

private:
    SplitPattern pattern_;
    SplitBehavior behavior_;
    bool invert_;
};

class ByteLevelPreTokenizer final : public PreTokenizer {
public:
    ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex)
        : add_prefix_space_(add_prefix_space), use_regex_(use_regex), pattern_(SplitPattern::gpt2()) {}

    void pre_tokenize(std::vector<Split>& splits) const override {
        // Nothing to do when the model maps the bytes and there is no regex or prefix space.
        if (defer_mapping_ && !use_regex_ && !add_prefix_space_) return;
        PreTokenizer::pre_tokenize(splits);
    }
    bool defer_byte_level_mapping() override {
        defer_mapping_ = true;
        return true;
    }

protected:
    void split_piece(NormalizedString&& piece, std::vector<NormalizedString>& out) const override {
        if (add_prefix_space_ && (piece.empty() || piece.get()[0] != ' ')) piece.prepend(" ");
        size_t first = out.size();
        if (use_regex_) {
            split_normalized(piece, pattern_.find_matches(piece.get()), SplitBehavior::Isolated, out);
        } else {
            out.push_back(std::move(piece));
        }
        if (!defer_mapping_)
            for (size_t k = first; k < out.size(); ++k) map_bytes(out[k]);
    }

private:
    // Each byte becomes the printable character GPT-2's table assigns it; every character made from
    // one input character keeps that character's alignment.
    static void map_bytes(NormalizedString& piece) {
        const std::string& s = piece.get();
        NormalizedBuilder builder(piece.tracks_alignments(), s.size() * 2);
        for (size_t i = 0; i < s.size(); ++i) {
            Alignment a = piece.tracks_alignments() ? piece.alignment_at(i) : Alignment{};
            builder.push_bytes(byte_level_char(static_cast<uint8_t>(s[i])), a);
        }
        builder.finish_into(piece);
    }

    bool add_prefix_space_, use_regex_;
    bool defer_mapping_ = false;
    SplitPattern pattern_;
};

enum class PrependScheme { Always, Never, First };

class MetaspacePreTokenizer final : public PreTokenizer {
public:
    MetaspacePreTokenizer(std::string replacement, PrependScheme scheme, bool split)
        : replacement_(std::move(replacement)),
          scheme_(scheme),
          split_(split),
          delimiter_(SplitPattern::literal(replacement_)) {}

    bool needs_alignments() const override { return scheme_ == PrependScheme::First; }

protected:
    void split_piece(NormalizedString&& piece, std::vector<NormalizedString>& out) const override {
        std::vector<std::pair<size_t, size_t>> spaces;
        const std::string& s = piece.get();
        for (size_t i = 0; i < s.size(); ++i)
            if (s[i] == ' ') spaces.emplace_back(i, i + 1);
        piece.replace_matches(spaces, replacement_);
        bool starts_with_replacement = piece.get().compare(0, replacement_.size(), replacement_) == 0;
        if (!starts_with_replacement) {
            if (scheme_ == PrependScheme::Always || (scheme_ == PrependScheme::First && piece.original_begin() == 0))
                piece.prepend(replacement_);
        }
        if (split_) {
            split_normalized(piece, delimiter_.find_matches(piece.get()), SplitBehavior::MergedWithNext, out);
        } else {
            out.push_back(std::move(piece));
        }
    }

private:
    std::string replacement_;
    PrependScheme scheme_;
    bool split_;
    SplitPattern delimiter_;
};

// Splits on runs of \w and of [^\w\s] (the Rust regex crate's classes), dropping whitespace.
class WhitespacePreTokenizer final : public PreTokenizer {
protected:
    void split_piece(NormalizedString&& piece, std::vector<NormalizedString>& out) const override {
        const std::string& s = piece.get();
        std::vector<PatternSpan> spans;
        size_t i = 0, last = 0;
        auto kind = [](char32_t c) {
            uint16_t cls = unicode::classes(c);
            return (cls & unicode::kRegexWord) ? 1 : (cls & unicode::kWhiteSpace) ? 0 : 2;
        };
        while (i < s.size()) {
            size_t start = i;
            int k = kind(decode_utf8(s, i));
            if (k == 0) continue;
            size_t end = i;
            while (end < s.size()) {
                size_t next = end;
                if (kind(decode_utf8(s, next)) != k) break;
                end = next;
            }
            // Inverted matching: the runs are kept, what lies between them is removed.
            if (last < start) spans.push_back({last, start, true});
            spans.push_back({start, end, false});
            last = i = end;
        }
        if (last < s.size()) spans.push_back({last, s.size(), true});
        if (spans.empty()) spans.push_back({0, 0, true});
        split_normalized(piece, std::move(spans), SplitBehavior::Removed, out);
    }
};

class PredicatePreTokenizer final : public PreTokenizer {
public:
    PredicatePreTokenizer(uint16_t class_bits, SplitBehavior behavior) : bits_(class_bits), behavior_(behavior) {}

protected:
    void split_piece(NormalizedString&& piece, std::vector<NormalizedString>& out) const override {
        split_normalized(piece, spans_where(piece.get(), [&](char32_t c) { return unicode::has(c, bits_); }), behavior_,
                         out);
    }

private:
    uint16_t bits_;
    SplitBehavior behavior_;
};

class BertPreTokenizer final : public PreTokenizer {
protected:
    void split_piece(NormalizedString&& piece, std::vector<NormalizedString>& out) const override {
        std::vector<NormalizedString> words;
        split_normalized(piece,
                         spans_where(piece.get(), [](char32_t c) { return unicode::has(c, unicode::kWhiteSpace); }),
                         SplitBehavior::Removed, words);
        for (auto& word : words)
            split_normalized(word,
                             spans_where(word.get(), [](char32_t c) { return unicode::has(c, unicode::kPunctuation); }),
                             SplitBehavior::Isolated, out);
    }
};

class CharDelimiterPreTokenizer final : public PreTokenizer {
public:
    explicit CharDelimiterPreTokenizer(char32_t delimiter) : delimiter_(delimiter) {}

protected:
    void split_piece(NormalizedString&& piece, std::vector<NormalizedString>& out) const override {
        split_normalized(piece, spans_where(piece.get(), [&](char32_t c) { return c == delimiter_; }),
                         SplitBehavior::Removed, out);
    }

private:
    char32_t delimiter_;
};

class SequencePreTokenizer final : public PreTokenizer {
public:
    explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> parts) : parts_(std::move(parts)) {}
    void pre_tokenize(std::vector<Split>& splits) const override {
        for (const auto& part : parts_) part->pre_tokenize(splits);
    }
    bool needs_alignments() const override {
        for (const auto& part : parts_)
            if (part->needs_alignments()) return true;
        return false;
    }
    bool defer_byte_level_mapping() override { return !parts_.empty() && parts_.back()->defer_byte_level_mapping(); }

protected:
    void split_piece(NormalizedString&&, std::vector<NormalizedString>&) const override {}

private:
    std::vector<std::unique_ptr<PreTokenizer>> parts_;
};

std::array<std::string, 256> make_byte_level_table() {
    std::array<std::string, 256> table;
    uint32_t extra = 0;
    for (uint32_t b = 0; b < 256; ++b) {
        bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        char32_t c = printable ? char32_t(b) : char32_t(256 + extra++);
        append_utf8(table[b], c);
    }
    return table;
}

}  // namespace

const std::string& byte_level_char(uint8_t byte) {
    static const std::array<std::string, 256> table = make_byte_level_table();
    return table[byte];
}

int byte_level_byte(char32_t c) {
    if ((c >= 0x21 && c <= 0x7E) || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE && c <= 0xFF)) return int(c);
    if (c < 256 || c >= 256 + 68) return -1;
    // The 68 non-printable bytes, in increasing order, became U+0100.. U+0143.
    uint32_t index = c - 256, seen = 0;
    for (uint32_t b = 0; b < 256; ++b) {
        bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        if (printable) continue;
        if (seen++ == index) return int(b);
    }
    return -1;
}

std::string byte_level_encode(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size() * 2);
    for (char b : bytes) out += byte_level_char(static_cast<uint8_t>(b));
    return out;
}

void PreTokenizer::pre_tokenize(std::vector<Split>& splits) const {
    std::vector<Split> result;
    result.reserve(splits.size() * 2);
    std::vector<NormalizedString> pieces;
    for (Split& split : splits) {
        if (split.added_token_id >= 0) {
            result.push_back(std::move(split));
            continue;
        }
        pieces.clear();
        split_piece(std::move(split.normalized), pieces);
        for (auto& piece : pieces)
            if (!piece.empty()) result.push_back(Split{std::move(piece), -1});
    }
    splits = std::move(result);
}

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const Json& config, const std::string& where) {
    if (config.is_null()) return nullptr;
    std::string type = require_string(config, "type", where);
    if (type == "Split") {
        SplitPattern pattern = SplitPattern::from_json(require_field(config, "pattern", where), where + ".pattern");
        SplitBehavior behavior = parse_split_behavior(require_field(config, "behavior", where), where + ".behavior");
        return std::make_unique<SplitPreTokenizer>(std::move(pattern), behavior,
                                                   optional_bool(config, "invert", false, where));
    }
    if (type == "ByteLevel")
        return std::make_unique<ByteLevelPreTokenizer>(optional_bool(config, "add_prefix_space", true, where),
                                                       optional_bool(config, "use_regex", true, where));
    if (type == "Metaspace") {
        std::string replacement = require_string(config, "replacement", where);
        read_single_char(replacement, "replacement", where);
        PrependScheme scheme = PrependScheme::Always;
        std::string scheme_name = optional_string(config, "prepend_scheme", "always", where);
        if (scheme_name == "always")
            scheme = PrependScheme::Always;
        else if (scheme_name == "never")
            scheme = PrependScheme::Never;
        else if (scheme_name == "first")
            scheme = PrependScheme::First;
        else
            fail("{}: field 'prepend_scheme' must be \"always\", \"never\" or \"first\", got '{}'", where, scheme_name);
        // Files written before prepend_scheme existed say add_prefix_space; false means "never".
        if (config.contains("add_prefix_space") && !optional_bool(config, "add_prefix_space", true, where)) {
            if (scheme != PrependScheme::Never && config.contains("prepend_scheme") &&
                !config["prepend_scheme"].is_null())
                fail("{}: add_prefix_space false does not match prepend_scheme '{}'", where, scheme_name);
            scheme = PrependScheme::Never;
        }
        return std::make_unique<MetaspacePreTokenizer>(replacement, scheme,
                                                       optional_bool(config, "split", true, where));
    }
    if (type == "Whitespace") return std::make_unique<WhitespacePreTokenizer>();
    if (type == "WhitespaceSplit")
        return std::make_unique<PredicatePreTokenizer>(unicode::kWhiteSpace, SplitBehavior::Removed);
    if (type == "Digits")
        return std::make_unique<PredicatePreTokenizer>(
            unicode::kNumeric, optional_bool(config, "individual_digits", false, where) ? SplitBehavior::Isolated
                                                                                        : SplitBehavior::Contiguous);
    if (type == "Punctuation") {
        SplitBehavior behavior = SplitBehavior::Isolated;
        if (config.contains("behavior") && !config["behavior"].is_null())
            behavior = parse_split_behavior(config["behavior"], where + ".behavior");
        return std::make_unique<PredicatePreTokenizer>(unicode::kPunctuation, behavior);
    }
    if (type == "BertPreTokenizer") return std::make_unique<BertPreTokenizer>();
    if (type == "CharDelimiterSplit")
        return std::make_unique<CharDelimiterPreTokenizer>(
            read_single_char(require_string(config, "delimiter", where), "delimiter", where));
    if (type == "Sequence") {
        return std::make_unique<SequencePreTokenizer>(
            read_component_list<PreTokenizer>(config, "pretokenizers", where, make_pre_tokenizer));
    }
    fail(
        "{}: pre-tokenizer type '{}' is not supported (gavel supports Split, ByteLevel, Metaspace, Whitespace, "
        "WhitespaceSplit, Digits, Punctuation, BertPreTokenizer, CharDelimiterSplit, Sequence)",
        where, type);
}

}  // namespace gavel::text
