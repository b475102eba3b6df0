#include "text/normalizers.hpp"

#include <vector>

#include "core/error.hpp"
#include "text/component_config.hpp"
#include "text/precompiled_normalizer.hpp"
#include "text/split_pattern.hpp"
#include "text/unicode.hpp"
#include "text/unicode_normalization.hpp"
#include "text/utf8.hpp"

namespace gavel::text {
namespace {

class UnicodeFormNormalizer final : public Normalizer {
public:
    explicit UnicodeFormNormalizer(NormalizationForm form) : form_(form) {}
    void normalize(NormalizedString& text) const override { normalize_unicode(text, form_); }

private:
    NormalizationForm form_;
};

class LowercaseNormalizer final : public Normalizer {
public:
    void normalize(NormalizedString& text) const override { text.lowercase(); }
};

class StripNormalizer final : public Normalizer {
public:
    StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
    void normalize(NormalizedString& text) const override { text.strip(left_, right_); }

private:
    bool left_, right_;
};

class ReplaceNormalizer final : public Normalizer {
public:
    ReplaceNormalizer(SplitPattern pattern, std::string content)
        : pattern_(std::move(pattern)), content_(std::move(content)) {}
    void normalize(NormalizedString& text) const override {
        std::vector<std::pair<size_t, size_t>> matches;
        pattern_.find_all(text.get(), matches);
        text.replace_matches(matches, content_);
    }

private:
    SplitPattern pattern_;
    std::string content_;
};

class PrependNormalizer final : public Normalizer {
public:
    explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
    void normalize(NormalizedString& text) const override { text.prepend(prefix_); }

private:
    std::string prefix_;
};

class PrecompiledNormalizer final : public Normalizer {
public:
    explicit PrecompiledNormalizer(PrecompiledCharsmap map) : map_(std::move(map)) {}
    void normalize(NormalizedString& text) const override { map_.normalize(text); }

private:
    PrecompiledCharsmap map_;
};

class SequenceNormalizer final : public Normalizer {
public:
    explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> parts) : parts_(std::move(parts)) {}
    void normalize(NormalizedString& text) const override {
        for (const auto& part : parts_) part->normalize(text);
    }

private:
    std::vector<std::unique_ptr<Normalizer>> parts_;
};

// Keeps the characters for which keep(c) holds and maps them with map(c) (HF filter + map).
template <typename Keep, typename Map>
void filter_map(NormalizedString& text, Keep keep, Map map) {
    const std::string& s = text.get();
    bool changed = false;
    for (size_t i = 0; i < s.size() && !changed;) {
        char32_t c = decode_utf8(s, i);
        changed = !keep(c) || map(c) != c;
    }
    if (!changed) return;
    NormalizedBuilder builder(text.tracks_alignments(), s.size());
    for (size_t i = 0; i < s.size();) {
        size_t start = i;
        char32_t c = decode_utf8(s, i);
        if (!keep(c)) continue;
        builder.push(map(c), text.tracks_alignments() ? text.alignment_at(start) : Alignment{});
    }
    builder.finish_into(text);
}

class StripAccentsNormalizer final : public Normalizer {
public:
    void normalize(NormalizedString& text) const override {
        filter_map(
            text, [](char32_t c) { return !unicode::has(c, unicode::kMark); }, [](char32_t c) { return c; });
    }
};

// SentencePiece's NMT normalization: drop ASCII control characters, map space-like ones to ' '.
class NmtNormalizer final : public Normalizer {
public:
    void normalize(NormalizedString& text) const override {
        filter_map(
            text,
            [](char32_t c) {
                return !((c >= 0x01 && c <= 0x08) || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F || c == 0x8F ||
                         c == 0x9F);
            },
            [](char32_t c) -> char32_t {
                bool space_like = c == 0x09 || c == 0x0A || c == 0x0C || c == 0x0D || c == 0x1680 ||
                                  (c >= 0x200B && c <= 0x200F) || c == 0x2028 || c == 0x2029 || c == 0x2581 ||
                                  c == 0xFEFF || c == 0xFFFD;
                return space_like ? U' ' : c;
            });
    }
};

// BERT's normalizer: clean control characters, pad CJK ideographs with spaces, strip accents,
// lowercase.
class BertNormalizer final : public Normalizer {
public:
    BertNormalizer(bool clean_text, bool handle_chinese_chars, bool strip_accents, bool lowercase)
        : clean_text_(clean_text),
          handle_chinese_chars_(handle_chinese_chars),
          strip_accents_(strip_accents),
          lowercase_(lowercase) {}

    void normalize(NormalizedString& text) const override {
        if (clean_text_) {
            filter_map(
                text, [](char32_t c) { return !(c == 0 || c == 0xFFFD || unicode::has(c, unicode::kBertControl)); },
                [](char32_t c) { return unicode::has(c, unicode::kWhiteSpace) ? U' ' : c; });
        }
        if (handle_chinese_chars_) pad_chinese(text);
        if (strip_accents_) {
            // Unlike the StripAccents normalizer, BERT drops nonspacing marks only.
            normalize_unicode(text, NormalizationForm::NFD);
            filter_map(
                text, [](char32_t c) { return !unicode::has(c, unicode::kNonspacingMark); },
                [](char32_t c) { return c; });
        }
        if (lowercase_) text.lowercase();
    }

private:
    static bool is_chinese(char32_t c) {
        return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
               (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
               (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
    }
    static void pad_chinese(NormalizedString& text) {
        const std::string& s = text.get();
        std::vector<CharChange> changes;
        bool any = false;
        for (size_t i = 0; i < s.size();) {
            char32_t c = decode_utf8(s, i);
            if (is_chinese(c)) {
                any = true;
                changes.push_back({U' ', 0});
                changes.push_back({c, 1});
                changes.push_back({U' ', 1});
            } else {
                changes.push_back({c, 0});
            }
        }
        if (any) text.transform(changes, 0);
    }

    bool clean_text_, handle_chinese_chars_, strip_accents_, lowercase_;
};

}  // namespace

std::unique_ptr<Normalizer> make_normalizer(const Json& config, const std::string& where) {
    if (config.is_null()) return nullptr;
    std::string type = require_string(config, "type", where);
    if (type == "NFC") return std::make_unique<UnicodeFormNormalizer>(NormalizationForm::NFC);
    if (type == "NFD") return std::make_unique<UnicodeFormNormalizer>(NormalizationForm::NFD);
    if (type == "NFKC") return std::make_unique<UnicodeFormNormalizer>(NormalizationForm::NFKC);
    if (type == "NFKD") return std::make_unique<UnicodeFormNormalizer>(NormalizationForm::NFKD);
    if (type == "Lowercase") return std::make_unique<LowercaseNormalizer>();
    if (type == "Strip")
        return std::make_unique<StripNormalizer>(optional_bool(config, "strip_left", true, where),
                                                 optional_bool(config, "strip_right", true, where));
    if (type == "StripAccents") return std::make_unique<StripAccentsNormalizer>();
    if (type == "Nmt") return std::make_unique<NmtNormalizer>();
    if (type == "Replace") {
        SplitPattern pattern = SplitPattern::from_json(require_field(config, "pattern", where), where + ".pattern");
        return std::make_unique<ReplaceNormalizer>(std::move(pattern), require_string(config, "content", where));
    }
    if (type == "Prepend") return std::make_unique<PrependNormalizer>(require_string(config, "prepend", where));
    if (type == "Precompiled") {
        std::string encoded = require_string(config, "precompiled_charsmap", where);
        auto decoded = decode_base64(encoded);
        if (!decoded) fail("{}: field 'precompiled_charsmap' is not valid base64", where);
        return std::make_unique<PrecompiledNormalizer>(PrecompiledCharsmap(std::move(*decoded), where));
    }
    if (type == "BertNormalizer") {
        bool lowercase = optional_bool(config, "lowercase", true, where);
        // HF: strip_accents null means "follow lowercase".
        bool strip_accents = optional_bool(config, "strip_accents", lowercase, where);
        return std::make_unique<BertNormalizer>(optional_bool(config, "clean_text", true, where),
                                                optional_bool(config, "handle_chinese_chars", true, where),
                                                strip_accents, lowercase);
    }
    if (type == "Sequence") {
        return std::make_unique<SequenceNormalizer>(
            read_component_list<Normalizer>(config, "normalizers", where, make_normalizer));
    }
    fail(
        "{}: normalizer type '{}' is not supported (gavel supports NFC, NFD, NFKC, NFKD, Lowercase, Strip, "
        "StripAccents, Nmt, Replace, Prepend, Precompiled, BertNormalizer, Sequence)",
        where, type);
}

}  // namespace gavel::text
