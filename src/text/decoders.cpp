#include "text/decoders.hpp"

#include "core/error.hpp"
#include "text/component_config.hpp"
#include "text/pre_tokenizers.hpp"
#include "text/split_pattern.hpp"
#include "text/utf8.hpp"

namespace gavel::text {
namespace {

void replace_all(std::string& s, std::string_view from, std::string_view to) {
    if (from.empty()) return;
    std::string out;
    size_t previous = 0, at;
    while ((at = s.find(from, previous)) != std::string::npos) {
        out.append(s, previous, at - previous);
        out.append(to);
        previous = at + from.size();
    }
    if (previous == 0) return;
    out.append(s, previous, std::string::npos);
    s = std::move(out);
}

// Byte-level characters back to bytes; tokens holding other characters keep their UTF-8 bytes.
// The bytes of all tokens are decoded together, lossily (HF decodes with from_utf8_lossy).
class ByteLevelDecoder final : public Decoder {
public:
    void decode_chain(std::vector<std::string>& tokens) const override {
        std::string bytes;
        for (const std::string& token : tokens) {
            size_t mark = bytes.size();
            bool all = true;
            for (size_t i = 0; i < token.size();) {
                int b = byte_level_byte(decode_utf8(token, i));
                if (b < 0) {
                    all = false;
                    break;
                }
                bytes.push_back(char(b));
            }
            if (!all) {
                bytes.resize(mark);
                bytes.append(token);
            }
        }
        tokens.assign(1, utf8_lossy(bytes));
    }
};

class MetaspaceDecoder final : public Decoder {
public:
    MetaspaceDecoder(std::string replacement, bool strip_first)
        : replacement_(std::move(replacement)), strip_first_(strip_first) {}
    void decode_chain(std::vector<std::string>& tokens) const override {
        for (size_t i = 0; i < tokens.size(); ++i)
            replace_all(tokens[i], replacement_, i == 0 && strip_first_ ? "" : " ");
    }

private:
    std::string replacement_;
    bool strip_first_;
};

// Runs of <0xXX> tokens become the bytes they name: one string when valid UTF-8, otherwise one
// U+FFFD per byte.
class ByteFallbackDecoder final : public Decoder {
public:
    void decode_chain(std::vector<std::string>& tokens) const override {
        std::vector<std::string> out;
        std::string pending;
        size_t pending_count = 0;
        auto flush = [&] {
            if (pending_count == 0) return;
            if (find_invalid_utf8(pending) == std::string::npos) {
                out.push_back(pending);
            } else {
                for (size_t k = 0; k < pending_count; ++k) out.emplace_back("\xEF\xBF\xBD");
            }
            pending.clear();
            pending_count = 0;
        };
        for (std::string& token : tokens) {
            int byte = parse_byte(token);
            if (byte >= 0) {
                pending.push_back(char(byte));
                ++pending_count;
            } else {
                flush();
                out.push_back(std::move(token));
            }
        }
        flush();
        tokens = std::move(out);
    }

private:
    // "<0xXX>" (Rust's u8::from_str_radix also takes "+X" for the two characters).
    static int parse_byte(const std::string& t) {
        if (t.size() != 6 || t.compare(0, 3, "<0x") != 0 || t[5] != '>') return -1;
        auto hex = [](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        };
        if (t[3] == '+') {
            int v = hex(t[4]);
            return v;
        }
        int hi = hex(t[3]), lo = hex(t[4]);
        if (hi < 0 || lo < 0) return -1;
        return hi * 16 + lo;
    }
};

class FuseDecoder final : public Decoder {
public:
    void decode_chain(std::vector<std::string>& tokens) const override {
        std::string all;
        for (const auto& t : tokens) all += t;
        tokens.assign(1, std::move(all));
    }
};

class StripDecoder final : public Decoder {
public:
    StripDecoder(char32_t content, size_t start, size_t stop) : content_(content), start_(start), stop_(stop) {}
    void decode_chain(std::vector<std::string>& tokens) const override {
        for (std::string& token : tokens) {
            std::u32string chars;
            for (size_t i = 0; i < token.size();) chars.push_back(decode_utf8(token, i));
            size_t start_cut = 0;
            for (size_t i = 0; i < start_ && i < chars.size(); ++i) {
                if (chars[i] != content_) break;
                start_cut = i + 1;
            }
            size_t stop_cut = chars.size();
            for (size_t i = 0; i < stop_ && i < chars.size(); ++i) {
                size_t index = chars.size() - i - 1;
                if (chars[index] != content_) break;
                stop_cut = index;
            }
            std::string out;
            for (size_t i = start_cut; i < stop_cut; ++i) append_utf8(out, chars[i]);
            token = std::move(out);
        }
    }

private:
    char32_t content_;
    size_t start_, stop_;
};

class ReplaceDecoder final : public Decoder {
public:
    ReplaceDecoder(SplitPattern pattern, std::string content)
        : pattern_(std::move(pattern)), content_(std::move(content)) {}
    void decode_chain(std::vector<std::string>& tokens) const override {
        std::vector<std::pair<size_t, size_t>> matches;
        for (std::string& token : tokens) {
            matches.clear();
            pattern_.find_all(token, matches);
            if (matches.empty()) continue;
            std::string out;
            size_t previous = 0;
            for (auto [b, e] : matches) {
                out.append(token, previous, b - previous);
                out.append(content_);
                previous = e;
            }
            out.append(token, previous, std::string::npos);
            token = std::move(out);
        }
    }

private:
    SplitPattern pattern_;
    std::string content_;
};

class WordPieceDecoder final : public Decoder {
public:
    WordPieceDecoder(std::string prefix, bool cleanup) : prefix_(std::move(prefix)), cleanup_(cleanup) {}
    void decode_chain(std::vector<std::string>& tokens) const override {
        for (size_t i = 0; i < tokens.size(); ++i) {
            std::string& t = tokens[i];
            if (i != 0) {
                if (t.compare(0, prefix_.size(), prefix_) == 0) {
                    t.erase(0, prefix_.size());
                } else {
                    t.insert(t.begin(), ' ');
                }
            }
            if (cleanup_) {
                replace_all(t, " .", ".");
                replace_all(t, " ?", "?");
                replace_all(t, " !", "!");
                replace_all(t, " ,", ",");
                replace_all(t, " ' ", "'");
                replace_all(t, " n't", "n't");
                replace_all(t, " 'm", "'m");
                replace_all(t, " do not", " don't");
                replace_all(t, " 's", "'s");
                replace_all(t, " 've", "'ve");
                replace_all(t, " 're", "'re");
            }
        }
    }

private:
    std::string prefix_;
    bool cleanup_;
};

class BpeDecoder final : public Decoder {
public:
    explicit BpeDecoder(std::string suffix) : suffix_(std::move(suffix)) {}
    void decode_chain(std::vector<std::string>& tokens) const override {
        for (size_t i = 0; i < tokens.size(); ++i) replace_all(tokens[i], suffix_, i + 1 == tokens.size() ? "" : " ");
    }

private:
    std::string suffix_;
};

class SequenceDecoder final : public Decoder {
public:
    explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> parts) : parts_(std::move(parts)) {}
    void decode_chain(std::vector<std::string>& tokens) const override {
        for (const auto& part : parts_) part->decode_chain(tokens);
    }

private:
    std::vector<std::unique_ptr<Decoder>> parts_;
};

size_t non_negative(const Json& config, std::string_view key, std::string_view where) {
    int64_t v = require_int(config, key, where);
    if (v < 0) fail("{}: field '{}' must not be negative, got {}", where, key, v);
    return size_t(v);
}

}  // namespace

std::unique_ptr<Decoder> make_decoder(const Json& config, const std::string& where) {
    if (config.is_null()) return nullptr;
    std::string type = require_string(config, "type", where);
    if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
    if (type == "Metaspace") {
        std::string replacement = require_string(config, "replacement", where);
        read_single_char(replacement, "replacement", where);
        std::string scheme = optional_string(config, "prepend_scheme", "always", where);
        if (scheme != "always" && scheme != "never" && scheme != "first")
            fail("{}: field 'prepend_scheme' must be \"always\", \"never\" or \"first\", got '{}'", where, scheme);
        if (config.contains("add_prefix_space") && !optional_bool(config, "add_prefix_space", true, where))
            scheme = "never";
        return std::make_unique<MetaspaceDecoder>(replacement, scheme != "never");
    }
    if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
    if (type == "Fuse") return std::make_unique<FuseDecoder>();
    if (type == "Strip") {
        char32_t content = read_single_char(require_string(config, "content", where), "content", where);
        return std::make_unique<StripDecoder>(content, non_negative(config, "start", where),
                                              non_negative(config, "stop", where));
    }
    if (type == "Replace")
        return std::make_unique<ReplaceDecoder>(
            SplitPattern::from_json(require_field(config, "pattern", where), where + ".pattern"),
            require_string(config, "content", where));
    if (type == "WordPiece")
        return std::make_unique<WordPieceDecoder>(optional_string(config, "prefix", "##", where),
                                                  optional_bool(config, "cleanup", true, where));
    if (type == "BPEDecoder") return std::make_unique<BpeDecoder>(optional_string(config, "suffix", "</w>", where));
    if (type == "Sequence") {
        return std::make_unique<SequenceDecoder>(read_component_list<Decoder>(config, "decoders", where, make_decoder));
    }
    fail(
        "{}: decoder type '{}' is not supported (gavel supports ByteLevel, Metaspace, ByteFallback, Fuse, Strip, "
        "Replace, WordPiece, BPEDecoder, Sequence)",
        where, type);
}

}  // namespace gavel::text
