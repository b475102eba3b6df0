// Byte-pair encoding (tokenizer.json model type "BPE"): starting from single characters, merge the
// adjacent pair with the lowest merge rank until no merge applies, as HF's Word::merge_all does.
// Supports merges written as "a b" or ["a", "b"], byte fallback (<0xXX> tokens), ignore_merges,
// unk (fused or not), continuing_subword_prefix and end_of_word_suffix.
#pragma once

#include <string>
#include <vector>

#include "text/model.hpp"
#include "text/piece_cache.hpp"
#include "text/string_id_map.hpp"

namespace gavel::text {

class BpeModel final : public Model {
public:
    BpeModel(const Json& config, const std::string& where);

    void tokenize(std::string_view piece, std::vector<PieceToken>& out) const override;
    std::optional<int32_t> token_to_id(std::string_view token) const override;
    const std::string* id_to_token(int32_t id) const override;
    size_t vocab_size() const override { return id_to_token_.size(); }

    // A piece whose characters are GPT-2 byte-level characters can be tokenized straight from its
    // raw bytes: the initial symbol of byte b is the id of byte_level_char(b). Returns false when
    // the vocabulary lacks one of those 256 tokens (then the caller maps the text first).
    bool supports_raw_bytes() const { return raw_bytes_supported_; }
    void tokenize_raw_bytes(std::string_view bytes, std::vector<PieceToken>& out) const;

private:
    struct Symbol {
        int32_t id;
        uint32_t len;  // bytes of the piece this symbol covers
    };
    struct MergeValue {
        uint32_t rank;
        int32_t new_id;
    };
    // Key and value share a slot, so a lookup touches one cache line.
    struct MergeSlot {
        uint64_t key;
        MergeValue value;
    };

    const MergeValue* find_merge(int32_t left, int32_t right) const;
    void merge(std::vector<Symbol>& symbols) const;
    void merge_with_queue(std::vector<Symbol>& symbols) const;
    int32_t vocab_find(std::string_view token) const;
    void emit(const std::vector<Symbol>& symbols, std::vector<PieceToken>& out) const;

    StringIdMap vocab_;
    std::vector<std::string> id_to_token_;
    std::vector<uint8_t> has_token_;
    // Open-addressing table of merges keyed by the (left, right) id pair.
    std::vector<MergeSlot> merges_;
    uint64_t merge_mask_ = 0;
    bool merge_results_unique_ = true;

    std::vector<int32_t> ascii_ids_;  // id of each single ASCII character token (-1 when absent)
    int32_t byte_ids_[256];           // id of each byte-level character token
    bool raw_bytes_supported_ = false;
    int32_t byte_fallback_ids_[256];
    bool byte_fallback_ = false;
    bool ignore_merges_ = false;
    bool fuse_unk_ = false;
    int32_t unk_id_ = -1;
    std::string continuing_subword_prefix_;
    std::string end_of_word_suffix_;
    PieceCache cache_, raw_cache_;
};

}  // namespace gavel::text
