#include "text/unigram_model.hpp"

#include <algorithm>
#include <limits>
#include <numeric>

#include "core/error.hpp"
#include "text/utf8.hpp"

namespace gavel::text {
namespace {

constexpr double kUnknownPenalty = 10.0;  // HF K_UNK_PENALTY
constexpr uint32_t kNoNode = UINT32_MAX;

}  // namespace

UnigramModel::UnigramModel(const Json& config, const std::string& where) {
    const Json& vocab = require_field(config, "vocab", where);
    if (!vocab.is_array()) fail("{}: field 'vocab' must be an array of [piece, score] pairs", where);
    pieces_.reserve(vocab.size());
    scores_.reserve(vocab.size());
    token_to_id_.reserve(vocab.size());
    min_score_ = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < vocab.size(); ++i) {
        const Json& entry = vocab[i];
        if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string() || !entry[1].is_number())
            fail("{}: vocab[{}] must be a [piece, score] pair, got {}", where, i, entry.dump());
        pieces_.push_back(entry[0].get<std::string>());
        double score = entry[1].get<double>();
        scores_.push_back(score);
        token_to_id_.insert(pieces_.back(), int32_t(i));  // a repeated piece keeps its last id, as in HF
        min_score_ = std::min(min_score_, score);
    }
    if (config.contains("unk_id") && !config["unk_id"].is_null()) {
        int64_t unk = require_int(config, "unk_id", where);
        if (pieces_.empty()) fail("{}: the vocabulary is empty but unk_id is set", where);
        if (unk < 0 || size_t(unk) >= pieces_.size())
            fail("{}: field 'unk_id' is {} but the vocabulary has {} pieces", where, unk, pieces_.size());
        unk_id_ = int32_t(unk);
    }
    byte_fallback_ = optional_bool(config, "byte_fallback", false, where);
    for (int b = 0; b < 256; ++b) {
        byte_ids_[b] = token_to_id_.find(fmt::format("<0x{:02X}>", b));
    }
    build_trie();
}

void UnigramModel::build_trie() {
    // The distinct pieces in byte order; each text maps to the id HF's token_to_ids gives it (the
    // last one for a repeated piece).
    std::vector<int32_t> order;
    order.reserve(token_to_id_.size());
    token_to_id_.for_each([&](std::string_view piece, int32_t id) {
        if (!piece.empty()) order.push_back(id);
    });
    std::sort(order.begin(), order.end(),
              [&](int32_t a, int32_t b) { return pieces_[size_t(a)] < pieces_[size_t(b)]; });

    // Breadth-first over ranges of the sorted pieces: a node at depth d owns the range of pieces
    // that share its d-byte prefix; its children (one per distinct next byte) are laid out together.
    struct Pending {
        uint32_t node;
        size_t begin, end, depth;
    };
    nodes_.assign(1, Node{0, 0, -1});
    edges_.clear();
    std::vector<Pending> queue{{0, 0, order.size(), 0}};
    for (size_t q = 0; q < queue.size(); ++q) {
        Pending p = queue[q];
        size_t i = p.begin;
        // The piece equal to the prefix itself comes first in byte order.
        if (i < p.end && pieces_[size_t(order[i])].size() == p.depth) nodes_[p.node].piece = order[i++];
        nodes_[p.node].first_child = uint32_t(edges_.size());
        while (i < p.end) {
            auto byte = static_cast<uint8_t>(pieces_[size_t(order[i])][p.depth]);
            size_t j = i + 1;
            while (j < p.end && static_cast<uint8_t>(pieces_[size_t(order[j])][p.depth]) == byte) ++j;
            uint32_t child = uint32_t(nodes_.size());
            nodes_.push_back(Node{0, 0, -1});
            edges_.push_back({byte, child});
            queue.push_back({child, i, j, p.depth + 1});
            i = j;
        }
        nodes_[p.node].child_count = uint16_t(edges_.size() - nodes_[p.node].first_child);
    }
    std::fill(std::begin(root_children_), std::end(root_children_), kNoNode);
    for (uint32_t e = nodes_[0].first_child; e < nodes_[0].first_child + nodes_[0].child_count; ++e)
        root_children_[edges_[e].byte] = edges_[e].node;
}

template <typename F>
void UnigramModel::for_each_prefix(std::string_view text, size_t begin, F&& on_piece) const {
    uint32_t node = root_children_[static_cast<uint8_t>(text[begin])];
    size_t i = begin + 1;
    while (node != kNoNode) {
        const Node& n = nodes_[node];
        if (n.piece >= 0) on_piece(n.piece, i - begin);
        if (i >= text.size() || n.child_count == 0) break;
        auto byte = static_cast<uint8_t>(text[i]);
        const Edge* first = edges_.data() + n.first_child;
        const Edge* last = first + n.child_count;
        const Edge* found;
        if (n.child_count <= 8) {
            found = first;
            while (found != last && found->byte < byte) ++found;
        } else {
            found = std::lower_bound(first, last, byte, [](const Edge& e, uint8_t b) { return e.byte < b; });
        }
        if (found == last || found->byte != byte) break;
        node = found->node;
        ++i;
    }
}

void UnigramModel::tokenize(std::string_view piece, std::vector<PieceToken>& out) const {
    if (piece.empty()) return;
    const size_t first = out.size();
    if (cache_.lookup(piece, out)) return;
    // HF Unigram::encode_optimized: best[i] is the best path over piece[0, i).
    struct Best {
        double score;
        int32_t id;
        int32_t start;  // -1 while no path ends here
    };
    const size_t n = piece.size();
    std::vector<Best> best(n + 1, Best{0.0, 0, -1});
    const double unknown_score = min_score_ - kUnknownPenalty;
    size_t start = 0;
    while (start < n) {
        const double base = best[start].score;
        const size_t char_len = utf8_sequence_length(static_cast<unsigned char>(piece[start]));
        bool has_single = false;
        for_each_prefix(piece, start, [&](int32_t id, size_t length) {
            Best& target = best[start + length];
            double candidate = scores_[size_t(id)] + base;
            if (target.start < 0 || candidate > target.score) target = {candidate, id, int32_t(start)};
            if (length == char_len) has_single = true;
        });
        if (!has_single) {
            if (unk_id_ < 0)
                fail("the Unigram model has no unk_id but the text holds '{}', which no piece covers",
                     std::string(piece.substr(start, char_len)));
            Best& target = best[start + char_len];
            double candidate = unknown_score + base;
            if (target.start < 0 || candidate > target.score) target = {candidate, unk_id_, int32_t(start)};
        }
        start += char_len;
    }

    // Walk back; consecutive unknown pieces are fused into one.
    struct Span {
        size_t begin, end;
        int32_t id;  // -1: a fused unknown span, looked up again by its text
    };
    std::vector<Span> spans;
    size_t end = n;
    size_t unk_end = 0;
    bool in_unk = false;
    while (end > 0) {
        const Best& node = best[end];
        size_t begin = size_t(node.start);
        if (unk_id_ >= 0 && node.id == unk_id_) {
            if (!in_unk) {
                unk_end = end;
                in_unk = true;
            }
        } else {
            if (in_unk) {
                spans.push_back({end, unk_end, -1});
                in_unk = false;
            }
            spans.push_back({begin, end, node.id});
        }
        end = begin;
    }
    if (in_unk) spans.push_back({0, unk_end, -1});
    std::reverse(spans.begin(), spans.end());

    for (const Span& s : spans) {
        int32_t id = s.id;
        if (id < 0) {
            std::string_view text = piece.substr(s.begin, s.end - s.begin);
            id = token_to_id_.find(text);
            if (id < 0) {
                if (byte_fallback_) {
                    bool all = true;
                    for (char b : text) all = all && byte_ids_[static_cast<unsigned char>(b)] >= 0;
                    if (all) {
                        for (char b : text)
                            out.push_back(
                                {byte_ids_[static_cast<unsigned char>(b)], uint32_t(s.begin), uint32_t(s.end)});
                        continue;
                    }
                }
                id = unk_id_;
            }
        }
        out.push_back({id, uint32_t(s.begin), uint32_t(s.end)});
    }
    cache_.store(piece, out, first);
}

std::optional<int32_t> UnigramModel::token_to_id(std::string_view token) const {
    int32_t id = token_to_id_.find(token);
    if (id < 0) return std::nullopt;
    return id;
}

const std::string* UnigramModel::id_to_token(int32_t id) const {
    if (id < 0 || size_t(id) >= pieces_.size()) return nullptr;
    return &pieces_[size_t(id)];
}

}  // namespace gavel::text
