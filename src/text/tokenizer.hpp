// A Hugging Face tokenizer.json pipeline: added tokens, normalizer, pre-tokenizer, model (BPE or
// Unigram), post-processor, truncation, padding and decoder, giving the same ids as the HF
// `tokenizers` library. Immutable after loading; share one between threads.
//
// Input text must be valid UTF-8: encode throws gavel::Error naming the byte offset of the first
// invalid byte. Encoding::offsets are byte offsets into the text passed to encode.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json.hpp"
#include "core/thread_pool.hpp"

namespace gavel::text {

class Normalizer;
class PreTokenizer;
class Model;
class PostProcessor;
class Decoder;
class AddedVocabulary;

struct Encoding {
    std::vector<int32_t> ids;
    // The rest is filled by Tokenizer::encode; encode_ids leaves it empty (details = false).
    std::vector<int32_t> type_ids;
    std::vector<std::string> tokens;                 // each id's token text
    std::vector<std::pair<size_t, size_t>> offsets;  // byte offsets into the input; (0, 0) for added specials
    std::vector<uint8_t> special_tokens_mask;        // 1 for tokens the post-processor or padding added
    std::vector<uint8_t> attention_mask;             // 0 for padding
    bool details = true;
    size_t size() const { return ids.size(); }
};

struct TruncationParams {
    enum class Direction { Left, Right };
    size_t max_length = 0;
    size_t stride = 0;
    Direction direction = Direction::Right;
    bool only_second = false;  // strategy OnlySecond
};

struct PaddingParams {
    enum class Direction { Left, Right };
    bool fixed = false;  // false: pad a batch to its longest sequence
    size_t fixed_length = 0;
    size_t pad_to_multiple_of = 0;
    Direction direction = Direction::Right;
    int32_t pad_id = 0;
    int32_t pad_type_id = 0;
    std::string pad_token = "[PAD]";
};

class Tokenizer {
public:
    // Loads a tokenizer.json file; errors name the file and the field at fault.
    static Tokenizer from_file(const std::string& tokenizer_json_path);
    // `where` names the source in error messages.
    static Tokenizer from_json(const Json& config, const std::string& where);

    Tokenizer(Tokenizer&&) noexcept;
    Tokenizer& operator=(Tokenizer&&) noexcept;
    ~Tokenizer();

    Encoding encode(std::string_view text, bool add_special_tokens) const;
    std::vector<int32_t> encode_ids(std::string_view text, bool add_special_tokens) const;
    // One id list per text, in order, encoded on the pool's threads; padding (when the file sets
    // it) applies to the whole batch.
    std::vector<std::vector<int32_t>> encode_batch(const std::vector<std::string>& texts, bool add_special_tokens,
                                                   ThreadPool& pool) const;
    std::string decode(std::span<const int32_t> ids, bool skip_special_tokens) const;

    std::optional<int32_t> token_to_id(std::string_view token) const;
    // The token's text, or "" for an unknown id.
    std::string id_to_token(int32_t id) const;
    // One more than the largest id the tokenizer can produce (model vocabulary and added tokens).
    size_t vocab_size() const;

    const std::optional<TruncationParams>& truncation() const { return truncation_; }
    const std::optional<PaddingParams>& padding() const { return padding_; }

    // The pipeline's intermediate results, for debugging and for parity tests of single stages:
    // the normalized text of the whole input (added tokens included as they are), and the
    // pre-tokenized pieces with their byte offsets into the input.
    std::string normalize(std::string_view text) const;
    std::vector<std::pair<std::string, std::pair<size_t, size_t>>> pre_tokenize(std::string_view text) const;

private:
    Tokenizer();
    Encoding encode_impl(std::string_view text, bool add_special_tokens, bool details) const;
    void post_process(Encoding& encoding, bool add_special_tokens, std::string_view text) const;
    void pad(Encoding& encoding, size_t length) const;

    std::unique_ptr<Normalizer> normalizer_;
    std::unique_ptr<PreTokenizer> pre_tokenizer_;
    std::unique_ptr<Model> model_;
    std::unique_ptr<PostProcessor> post_processor_;
    std::unique_ptr<Decoder> decoder_;
    std::unique_ptr<AddedVocabulary> added_;
    std::optional<TruncationParams> truncation_;
    std::optional<PaddingParams> padding_;
    bool needs_alignments_ = false;
    bool byte_level_raw_ = false;  // pre-tokenizer ends with ByteLevel and the BPE model takes raw bytes
};

// Throws gavel::Error naming the byte offset of the first invalid UTF-8 byte in `text`.
void require_valid_utf8(std::string_view text, std::string_view where);

}  // namespace gavel::text
