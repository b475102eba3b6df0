#include "text/post_processor.hpp"

#include <map>

#include "core/error.hpp"
#include "text/component_config.hpp"
#include "text/tokenizer.hpp"
#include "text/unicode.hpp"
#include "text/utf8.hpp"

namespace gavel::text {
namespace {

struct SpecialTokenIds {
    std::vector<int32_t> ids;
    std::vector<std::string> tokens;
};

void insert_special(Encoding& e, size_t at, const SpecialTokenIds& special, int32_t type_id) {
    e.ids.insert(e.ids.begin() + long(at), special.ids.begin(), special.ids.end());
    if (!e.details) return;
    size_t n = special.ids.size();
    e.type_ids.insert(e.type_ids.begin() + long(at), n, type_id);
    e.tokens.insert(e.tokens.begin() + long(at), special.tokens.begin(), special.tokens.end());
    e.offsets.insert(e.offsets.begin() + long(at), n, {0, 0});
    e.special_tokens_mask.insert(e.special_tokens_mask.begin() + long(at), n, 1);
    e.attention_mask.insert(e.attention_mask.begin() + long(at), n, 1);
}

// HF byte_level::process_offsets: move offsets past the spaces a byte-level token starts or ends with.
void trim_offsets(Encoding& e, bool add_prefix_space) {
    if (!e.details) return;
    // U+0120 is the byte-level character of ' '.
    auto is_space = [](char32_t c) { return c == U'\u0120' || unicode::has(c, unicode::kWhiteSpace); };
    for (size_t i = 0; i < e.ids.size(); ++i) {
        if (e.special_tokens_mask[i]) continue;
        const std::string& token = e.tokens[i];
        std::u32string chars;
        for (size_t k = 0; k < token.size();) chars.push_back(decode_utf8(token, k));
        size_t leading = 0, trailing = 0;
        while (leading < chars.size() && is_space(chars[leading])) ++leading;
        while (trailing < chars.size() && is_space(chars[chars.size() - 1 - trailing])) ++trailing;
        auto& [begin, end] = e.offsets[i];
        if (leading > 0) {
            bool is_first = i == 0 || begin == 0;
            if (is_first && add_prefix_space && leading == 1) leading = 0;
            begin = std::min(begin + leading, end);
        }
        if (trailing > 0 && end >= trailing) end = std::max(end - trailing, begin);
    }
}

SpecialTokenIds pair_token(const Json& value, const std::string& field, const std::string& where) {
    if (!value.is_array() || value.size() != 2 || !value[0].is_string() || !value[1].is_number_integer())
        fail("{}: field '{}' must be a [token, id] pair, got {}", where, field, value.dump());
    return {{int32_t(value[1].get<int64_t>())}, {value[0].get<std::string>()}};
}

class TemplateProcessor final : public PostProcessor {
public:
    struct Piece {
        bool is_sequence;
        std::string name;  // "A"/"B" or the special token's name
        int32_t type_id;
    };

    TemplateProcessor(std::vector<Piece> single, std::map<std::string, SpecialTokenIds> specials)
        : single_(std::move(single)), specials_(std::move(specials)) {
        for (const Piece& p : single_)
            if (!p.is_sequence) added_ += specials_.at(p.name).ids.size();
    }
    size_t added_tokens() const override { return added_; }
    void process(Encoding& e, bool add_special_tokens, std::string_view) const override {
        Encoding out;
        out.details = e.details;
        for (const Piece& p : single_) {
            if (p.is_sequence) {
                out.ids.insert(out.ids.end(), e.ids.begin(), e.ids.end());
                if (e.details) {
                    out.type_ids.insert(out.type_ids.end(), e.ids.size(), p.type_id);
                    out.tokens.insert(out.tokens.end(), e.tokens.begin(), e.tokens.end());
                    out.offsets.insert(out.offsets.end(), e.offsets.begin(), e.offsets.end());
                    out.special_tokens_mask.insert(out.special_tokens_mask.end(), e.special_tokens_mask.begin(),
                                                   e.special_tokens_mask.end());
                    out.attention_mask.insert(out.attention_mask.end(), e.attention_mask.begin(),
                                              e.attention_mask.end());
                }
            } else if (add_special_tokens) {
                insert_special(out, out.ids.size(), specials_.at(p.name), p.type_id);
            }
        }
        e = std::move(out);
    }

private:
    std::vector<Piece> single_;
    std::map<std::string, SpecialTokenIds> specials_;
    size_t added_ = 0;
};

// RobertaProcessing and BertProcessing: <cls> A <sep>; Roberta also trims byte-level offsets.
class ClsSepProcessor final : public PostProcessor {
public:
    ClsSepProcessor(SpecialTokenIds cls, SpecialTokenIds sep, bool trim, bool add_prefix_space)
        : cls_(std::move(cls)), sep_(std::move(sep)), trim_(trim), add_prefix_space_(add_prefix_space) {}
    size_t added_tokens() const override { return 2; }
    void process(Encoding& e, bool add_special_tokens, std::string_view) const override {
        if (trim_) trim_offsets(e, add_prefix_space_);
        if (!add_special_tokens) return;
        insert_special(e, 0, cls_, 0);
        insert_special(e, e.ids.size(), sep_, 0);
    }

private:
    SpecialTokenIds cls_, sep_;
    bool trim_, add_prefix_space_;
};

class ByteLevelProcessor final : public PostProcessor {
public:
    ByteLevelProcessor(bool trim, bool add_prefix_space) : trim_(trim), add_prefix_space_(add_prefix_space) {}
    size_t added_tokens() const override { return 0; }
    void process(Encoding& e, bool, std::string_view) const override {
        if (trim_) trim_offsets(e, add_prefix_space_);
    }

private:
    bool trim_, add_prefix_space_;
};

class SequenceProcessor final : public PostProcessor {
public:
    explicit SequenceProcessor(std::vector<std::unique_ptr<PostProcessor>> parts) : parts_(std::move(parts)) {}
    size_t added_tokens() const override {
        size_t n = 0;
        for (const auto& p : parts_) n += p->added_tokens();
        return n;
    }
    void process(Encoding& e, bool add_special_tokens, std::string_view input) const override {
        for (const auto& p : parts_) p->process(e, add_special_tokens, input);
    }

private:
    std::vector<std::unique_ptr<PostProcessor>> parts_;
};

std::vector<TemplateProcessor::Piece> parse_template(const Json& value, const std::string& where) {
    std::vector<TemplateProcessor::Piece> pieces;
    if (!value.is_array()) fail("{}: must be an array of template pieces", where);
    for (size_t i = 0; i < value.size(); ++i) {
        const Json& p = value[i];
        std::string pw = fmt::format("{}[{}]", where, i);
        if (p.contains("Sequence")) {
            const Json& s = p["Sequence"];
            std::string id = require_string(s, "id", pw + ".Sequence");
            if (id != "A" && id != "B") fail("{}.Sequence: field 'id' must be \"A\" or \"B\", got '{}'", pw, id);
            pieces.push_back({true, id, int32_t(require_int(s, "type_id", pw + ".Sequence"))});
        } else if (p.contains("SpecialToken")) {
            const Json& s = p["SpecialToken"];
            pieces.push_back({false, require_string(s, "id", pw + ".SpecialToken"),
                              int32_t(require_int(s, "type_id", pw + ".SpecialToken"))});
        } else {
            fail("{}: must hold \"Sequence\" or \"SpecialToken\"", pw);
        }
    }
    return pieces;
}

}  // namespace

std::unique_ptr<PostProcessor> make_post_processor(const Json& config, const std::string& where) {
    if (config.is_null()) return nullptr;
    std::string type = require_string(config, "type", where);
    if (type == "TemplateProcessing") {
        auto single = parse_template(require_field(config, "single", where), where + ".single");
        std::map<std::string, SpecialTokenIds> specials;
        if (config.contains("special_tokens") && !config["special_tokens"].is_null()) {
            const Json& map = config["special_tokens"];
            if (!map.is_object()) fail("{}: field 'special_tokens' must be an object", where);
            for (auto it = map.begin(); it != map.end(); ++it) {
                std::string sw = fmt::format("{}.special_tokens['{}']", where, it.key());
                SpecialTokenIds s;
                const Json& ids = require_field(it.value(), "ids", sw);
                const Json& tokens = require_field(it.value(), "tokens", sw);
                if (!ids.is_array() || !tokens.is_array() || ids.size() != tokens.size())
                    fail("{}: 'ids' and 'tokens' must be arrays of the same length", sw);
                for (size_t k = 0; k < ids.size(); ++k) {
                    if (!ids[k].is_number_integer() || !tokens[k].is_string())
                        fail("{}: ids[{}] must be an integer and tokens[{}] a string", sw, k, k);
                    s.ids.push_back(int32_t(ids[k].get<int64_t>()));
                    s.tokens.push_back(tokens[k].get<std::string>());
                }
                specials[it.key()] = std::move(s);
            }
        }
        for (const auto& p : single)
            if (!p.is_sequence && !specials.count(p.name))
                fail("{}: template uses special token '{}' which special_tokens does not define", where, p.name);
        return std::make_unique<TemplateProcessor>(std::move(single), std::move(specials));
    }
    if (type == "RobertaProcessing" || type == "BertProcessing") {
        auto sep = pair_token(require_field(config, "sep", where), "sep", where);
        auto cls = pair_token(require_field(config, "cls", where), "cls", where);
        bool roberta = type == "RobertaProcessing";
        return std::make_unique<ClsSepProcessor>(std::move(cls), std::move(sep),
                                                 roberta && optional_bool(config, "trim_offsets", true, where),
                                                 roberta && optional_bool(config, "add_prefix_space", true, where));
    }
    if (type == "ByteLevel")
        return std::make_unique<ByteLevelProcessor>(optional_bool(config, "trim_offsets", true, where),
                                                    optional_bool(config, "add_prefix_space", true, where));
    if (type == "Sequence") {
        return std::make_unique<SequenceProcessor>(
            read_component_list<PostProcessor>(config, "processors", where, make_post_processor));
    }
    fail(
        "{}: post-processor type '{}' is not supported (gavel supports TemplateProcessing, RobertaProcessing, "
        "BertProcessing, ByteLevel, Sequence)",
        where, type);
}

}  // namespace gavel::text
