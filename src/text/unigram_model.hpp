// SentencePiece Unigram (tokenizer.json model type "Unigram"): the segmentation of a piece that
// maximises the sum of piece scores (Viterbi over a trie of the vocabulary), with unknown
// characters scored min_score - 10 and fused, and optional byte fallback, as HF's Unigram does.
#pragma once

#include <string>
#include <vector>

#include "text/model.hpp"
#include "text/piece_cache.hpp"
#include "text/string_id_map.hpp"

namespace gavel::text {

class UnigramModel final : public Model {
public:
    UnigramModel(const Json& config, const std::string& where);

    void tokenize(std::string_view piece, std::vector<PieceToken>& out) const override;
    std::optional<int32_t> token_to_id(std::string_view token) const override;
    const std::string* id_to_token(int32_t id) const override;
    size_t vocab_size() const override { return pieces_.size(); }

private:
    // A byte trie of all pieces, children of a node sorted by byte; the root indexes bytes directly.
    struct Node {
        uint32_t first_child;
        uint16_t child_count;
        int32_t piece;  // id of the piece ending here, or -1
    };
    struct Edge {
        uint8_t byte;
        uint32_t node;
    };
    void build_trie();
    template <typename F>
    void for_each_prefix(std::string_view text, size_t begin, F&& on_piece) const;

    std::vector<std::string> pieces_;
    std::vector<double> scores_;
    StringIdMap token_to_id_;
    std::vector<Node> nodes_;
    std::vector<Edge> edges_;
    uint32_t root_children_[256];
    double min_score_ = 0;
    int32_t unk_id_ = -1;
    bool byte_fallback_ = false;
    int32_t byte_ids_[256];
    PieceCache cache_;
};

}  // namespace gavel::text
