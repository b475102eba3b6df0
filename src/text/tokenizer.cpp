#include "text/tokenizer.hpp"

#include <algorithm>
#include <limits>

#include "core/error.hpp"
#include "text/added_vocabulary.hpp"
#include "text/bpe_model.hpp"
#include "text/decoders.hpp"
#include "text/model.hpp"
#include "text/normalizers.hpp"
#include "text/post_processor.hpp"
#include "text/pre_tokenizers.hpp"
#include "text/utf8.hpp"

namespace gavel::text {
namespace {

// Padding allocates every position up front: lengths beyond this are refused at load.
constexpr int64_t kMaxPaddingLength = int64_t(1) << 20;

TruncationParams parse_truncation(const Json& config, const std::string& where) {
    TruncationParams p;
    int64_t max_length = require_int(config, "max_length", where);
    int64_t stride = optional_int(config, "stride", 0, where);
    if (max_length < 0) fail("{}: field 'max_length' must not be negative, got {}", where, max_length);
    if (stride < 0) fail("{}: field 'stride' must not be negative, got {}", where, stride);
    p.max_length = size_t(max_length);
    p.stride = size_t(stride);
    std::string strategy = optional_string(config, "strategy", "LongestFirst", where);
    p.only_second = strategy == "OnlySecond";
    if (strategy != "LongestFirst" && strategy != "OnlyFirst" && strategy != "OnlySecond")
        fail("{}: field 'strategy' must be LongestFirst, OnlyFirst or OnlySecond, got '{}'", where, strategy);
    std::string direction = optional_string(config, "direction", "Right", where);
    if (direction == "Left")
        p.direction = TruncationParams::Direction::Left;
    else if (direction != "Right")
        fail("{}: field 'direction' must be Left or Right, got '{}'", where, direction);
    return p;
}

PaddingParams parse_padding(const Json& config, const std::string& where) {
    PaddingParams p;
    const Json& strategy = require_field(config, "strategy", where);
    if (strategy.is_string() && strategy.get<std::string>() == "BatchLongest") {
        p.fixed = false;
    } else if (strategy.is_object() && strategy.contains("Fixed") && strategy["Fixed"].is_number_integer() &&
               strategy["Fixed"].get<int64_t>() >= 0) {
        p.fixed = true;
        if (strategy["Fixed"].get<int64_t>() > kMaxPaddingLength)
            fail("{}: padding length {} is larger than gavel supports ({})", where, strategy["Fixed"].get<int64_t>(),
                 kMaxPaddingLength);
        p.fixed_length = size_t(strategy["Fixed"].get<int64_t>());
    } else {
        fail("{}: field 'strategy' must be \"BatchLongest\" or {{\"Fixed\": N}}, got {}", where, strategy.dump());
    }
    std::string direction = optional_string(config, "direction", "Right", where);
    if (direction == "Left")
        p.direction = PaddingParams::Direction::Left;
    else if (direction != "Right")
        fail("{}: field 'direction' must be Left or Right, got '{}'", where, direction);
    int64_t multiple = optional_int(config, "pad_to_multiple_of", 0, where);
    if (multiple < 0 || multiple > kMaxPaddingLength)
        fail("{}: field 'pad_to_multiple_of' must be between 0 and {}, got {}", where, kMaxPaddingLength, multiple);
    p.pad_to_multiple_of = size_t(multiple);
    p.pad_id = int32_t(optional_int(config, "pad_id", 0, where));
    p.pad_type_id = int32_t(optional_int(config, "pad_type_id", 0, where));
    p.pad_token = optional_string(config, "pad_token", "[PAD]", where);
    return p;
}

const Json& field_or_null(const Json& config, const char* key) {
    static const Json null_json;
    auto it = config.find(key);
    return it == config.end() ? null_json : *it;
}

}  // namespace

void require_valid_utf8(std::string_view text, std::string_view where) {
    size_t bad = find_invalid_utf8(text);
    if (bad != std::string_view::npos)
        fail("{}: invalid UTF-8 at byte offset {} (byte 0x{:02X})", where, bad, static_cast<unsigned char>(text[bad]));
}

Tokenizer::Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::from_file(const std::string& tokenizer_json_path) {
    return from_json(read_json_file(tokenizer_json_path), tokenizer_json_path);
}

Tokenizer Tokenizer::from_json(const Json& config, const std::string& where) {
    if (!config.is_object()) fail("{}: expected a JSON object", where);
    Tokenizer t;
    t.normalizer_ = make_normalizer(field_or_null(config, "normalizer"), where + ": normalizer");
    t.pre_tokenizer_ = make_pre_tokenizer(field_or_null(config, "pre_tokenizer"), where + ": pre_tokenizer");
    t.model_ = make_model(require_field(config, "model", where), where + ": model");
    t.post_processor_ = make_post_processor(field_or_null(config, "post_processor"), where + ": post_processor");
    t.decoder_ = make_decoder(field_or_null(config, "decoder"), where + ": decoder");
    t.added_ = std::make_unique<AddedVocabulary>(field_or_null(config, "added_tokens"), *t.model_, t.normalizer_.get(),
                                                 where + ": added_tokens");
    const Json& truncation = field_or_null(config, "truncation");
    if (!truncation.is_null()) t.truncation_ = parse_truncation(truncation, where + ": truncation");
    const Json& padding = field_or_null(config, "padding");
    if (!padding.is_null()) t.padding_ = parse_padding(padding, where + ": padding");
    t.needs_alignments_ = t.pre_tokenizer_ && t.pre_tokenizer_->needs_alignments();
    // Byte-level BPE: the model maps raw bytes itself, so the pre-tokenizer need not rewrite them.
    if (const auto* bpe = dynamic_cast<const BpeModel*>(t.model_.get());
        bpe != nullptr && bpe->supports_raw_bytes() && t.pre_tokenizer_)
        t.byte_level_raw_ = t.pre_tokenizer_->defer_byte_level_mapping();
    return t;
}

Encoding Tokenizer::encode_impl(std::string_view text, bool add_special_tokens, bool details) const {
    require_valid_utf8(text, "input text");
    if (text.size() >= std::numeric_limits<uint32_t>::max())
        fail("input text is {} bytes; gavel tokenizes texts under 4 GiB", text.size());
    const bool track = details || needs_alignments_;
    std::vector<Split> splits;
    added_->extract_and_normalize(text, normalizer_.get(), track, splits);
    if (pre_tokenizer_) pre_tokenizer_->pre_tokenize(splits);

    Encoding e;
    e.details = details;
    std::vector<PieceToken> pieces;
    for (const Split& split : splits) {
        if (split.added_token_id >= 0) {
            e.ids.push_back(split.added_token_id);
            if (details) {
                e.tokens.push_back(id_to_token(split.added_token_id));
                e.offsets.emplace_back(split.normalized.original_begin(), split.normalized.original_end());
            }
            continue;
        }
        pieces.clear();
        if (byte_level_raw_) {
            static_cast<const BpeModel&>(*model_).tokenize_raw_bytes(split.normalized.get(), pieces);
        } else {
            model_->tokenize(split.normalized.get(), pieces);
        }
        for (const PieceToken& p : pieces) {
            e.ids.push_back(p.id);
            if (details) {
                e.tokens.push_back(id_to_token(p.id));
                e.offsets.push_back(split.normalized.original_range(p.begin, p.end));
            }
        }
    }
    if (details) {
        e.type_ids.assign(e.ids.size(), 0);
        e.special_tokens_mask.assign(e.ids.size(), 0);
        e.attention_mask.assign(e.ids.size(), 1);
    }
    post_process(e, add_special_tokens, text);
    return e;
}

void Tokenizer::post_process(Encoding& e, bool add_special_tokens, std::string_view text) const {
    if (truncation_) {
        size_t added = post_processor_ ? post_processor_->added_tokens() : 0;
        size_t max_length = truncation_->max_length;
        if (add_special_tokens && added > 0) {
            if (max_length < added)
                fail("truncation max_length {} is smaller than the {} special tokens the post-processor adds",
                     max_length, added);
            max_length -= added;
        }
        if (e.ids.size() > max_length) {
            // HF: OnlySecond truncates the second sequence of a pair and fails for a single one.
            if (truncation_->only_second)
                fail("truncation strategy OnlySecond needs a second sequence to truncate, and gavel encodes one");
            if (max_length > 0 && truncation_->stride >= max_length)
                fail("truncation stride {} must be smaller than the length it truncates to ({})", truncation_->stride,
                     max_length);
            size_t drop = e.ids.size() - max_length;
            bool left = truncation_->direction == TruncationParams::Direction::Left;
            auto cut = [&](auto& v) {
                if (v.empty()) return;
                if (left)
                    v.erase(v.begin(), v.begin() + long(drop));
                else
                    v.resize(max_length);
            };
            cut(e.ids);
            cut(e.type_ids);
            cut(e.tokens);
            cut(e.offsets);
            cut(e.special_tokens_mask);
            cut(e.attention_mask);
        }
    }
    if (post_processor_) post_processor_->process(e, add_special_tokens, text);
    if (padding_) {
        size_t length = padding_->fixed ? padding_->fixed_length : e.ids.size();
        size_t m = padding_->pad_to_multiple_of;
        if (m > 0 && length % m > 0) length += m - length % m;
        pad(e, length);
    }
}

void Tokenizer::pad(Encoding& e, size_t length) const {
    if (e.ids.size() >= length) return;
    size_t n = length - e.ids.size();
    bool left = padding_->direction == PaddingParams::Direction::Left;
    auto grow = [&](auto& v, const auto& value) {
        if (left)
            v.insert(v.begin(), n, value);
        else
            v.insert(v.end(), n, value);
    };
    grow(e.ids, padding_->pad_id);
    if (!e.details) return;
    grow(e.type_ids, padding_->pad_type_id);
    grow(e.tokens, padding_->pad_token);
    grow(e.offsets, std::pair<size_t, size_t>{0, 0});
    grow(e.special_tokens_mask, uint8_t(1));
    grow(e.attention_mask, uint8_t(0));
}

Encoding Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
    return encode_impl(text, add_special_tokens, true);
}

std::vector<int32_t> Tokenizer::encode_ids(std::string_view text, bool add_special_tokens) const {
    return std::move(encode_impl(text, add_special_tokens, false).ids);
}

std::vector<std::vector<int32_t>> Tokenizer::encode_batch(const std::vector<std::string>& texts,
                                                          bool add_special_tokens, ThreadPool& pool) const {
    std::vector<Encoding> encodings(texts.size());
    pool.parallel_for(texts.size(), [&](size_t begin, size_t end) {
        for (size_t i = begin; i < end; ++i) encodings[i] = encode_impl(texts[i], add_special_tokens, false);
    });
    if (padding_ && !encodings.empty()) {
        size_t length = padding_->fixed_length;
        if (!padding_->fixed) {
            length = 0;
            for (const auto& e : encodings) length = std::max(length, e.ids.size());
        }
        size_t m = padding_->pad_to_multiple_of;
        if (m > 0 && length % m > 0) length += m - length % m;
        for (auto& e : encodings) pad(e, length);
    }
    std::vector<std::vector<int32_t>> ids(texts.size());
    for (size_t i = 0; i < texts.size(); ++i) ids[i] = std::move(encodings[i].ids);
    return ids;
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special_tokens) const {
    std::vector<std::string> tokens;
    tokens.reserve(ids.size());
    for (int32_t id : ids) {
        const std::string* token = added_->id_to_token(id);
        if (token == nullptr) token = model_->id_to_token(id);
        if (token == nullptr) continue;  // HF drops ids it does not know
        if (skip_special_tokens && added_->is_special(*token)) continue;
        tokens.push_back(*token);
    }
    if (!decoder_) {
        std::string out;
        for (size_t i = 0; i < tokens.size(); ++i) {
            if (i > 0) out += ' ';
            out += tokens[i];
        }
        return out;
    }
    decoder_->decode_chain(tokens);
    std::string out;
    for (const auto& t : tokens) out += t;
    return out;
}

std::optional<int32_t> Tokenizer::token_to_id(std::string_view token) const {
    if (auto id = added_->token_to_id(token)) return id;
    return model_->token_to_id(token);
}

std::string Tokenizer::id_to_token(int32_t id) const {
    if (const std::string* t = added_->id_to_token(id)) return *t;
    if (const std::string* t = model_->id_to_token(id)) return *t;
    return {};
}

size_t Tokenizer::vocab_size() const {
    size_t n = model_->vocab_size();
    for (const AddedToken& t : added_->tokens()) n = std::max(n, size_t(t.id) + 1);
    return n;
}

std::string Tokenizer::normalize(std::string_view text) const {
    require_valid_utf8(text, "input text");
    std::vector<Split> splits;
    added_->extract_and_normalize(text, normalizer_.get(), needs_alignments_, splits);
    std::string out;
    for (const Split& s : splits) out += s.normalized.get();
    return out;
}

std::vector<std::pair<std::string, std::pair<size_t, size_t>>> Tokenizer::pre_tokenize(std::string_view text) const {
    require_valid_utf8(text, "input text");
    std::vector<Split> splits;
    added_->extract_and_normalize(text, normalizer_.get(), true, splits);
    if (pre_tokenizer_) pre_tokenizer_->pre_tokenize(splits);
    std::vector<std::pair<std::string, std::pair<size_t, size_t>>> out;
    for (const Split& s : splits) {
        const std::string& piece = s.normalized.get();
        bool raw = byte_level_raw_ && s.added_token_id < 0;
        out.push_back(
            {raw ? byte_level_encode(piece) : piece, {s.normalized.original_begin(), s.normalized.original_end()}});
    }
    return out;
}

}  // namespace gavel::text
