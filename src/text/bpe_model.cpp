#include "text/bpe_model.hpp"

#include <algorithm>
#include <queue>

#include "core/error.hpp"
#include "text/pre_tokenizers.hpp"
#include "text/utf8.hpp"

namespace gavel::text {
namespace {

// Ids index tables as large as the largest id: larger ones are refused at load.
constexpr int64_t kMaxBpeId = int64_t(1) << 22;

inline uint64_t pair_key(int32_t left, int32_t right) { return (uint64_t(uint32_t(left)) << 32) | uint32_t(right); }

inline uint64_t hash_key(uint64_t key) {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdull;
    key ^= key >> 33;
    return key;
}

constexpr uint64_t kEmptyKey = ~0ull;

std::string byte_fallback_token(uint8_t b) { return fmt::format("<0x{:02X}>", b); }

// Word::merge_all's queue entry: lowest rank first, then leftmost position.
struct QueuedMerge {
    uint32_t rank;
    uint32_t pos;
    int32_t new_id;
    bool operator<(const QueuedMerge& other) const {
        if (rank != other.rank) return rank > other.rank;
        return pos > other.pos;
    }
};

// Words up to this many symbols are merged with a plain scan, longer ones with a priority queue.
constexpr size_t kScanLimit = 48;

}  // namespace

BpeModel::BpeModel(const Json& config, const std::string& where) {
    const Json& vocab = require_field(config, "vocab", where);
    if (!vocab.is_object()) fail("{}: field 'vocab' must be an object mapping tokens to ids", where);
    int64_t max_id = -1;
    vocab_.reserve(vocab.size());
    for (auto it = vocab.begin(); it != vocab.end(); ++it) {
        if (!it.value().is_number_integer() || it.value().get<int64_t>() < 0)
            fail("{}: vocab entry '{}' must have a non-negative integer id, got {}", where, it.key(),
                 it.value().dump());
        if (it.value().get<int64_t>() >= kMaxBpeId)
            fail("{}: vocab entry '{}' has id {}; gavel supports ids below {}", where, it.key(), it.value().dump(),
                 kMaxBpeId);
        int32_t id = int32_t(it.value().get<int64_t>());
        vocab_.insert(it.key(), id);
        max_id = std::max<int64_t>(max_id, id);
    }
    id_to_token_.resize(size_t(max_id + 1));
    has_token_.assign(size_t(max_id + 1), 0);
    vocab_.for_each([&](std::string_view token, int32_t id) {
        id_to_token_[size_t(id)] = token;
        has_token_[size_t(id)] = 1;
    });

    double dropout = optional_number(config, "dropout", 0.0, where);
    if (dropout != 0.0)
        fail("{}: field 'dropout' is {}; BPE dropout makes tokenization random and is not supported", where, dropout);
    byte_fallback_ = optional_bool(config, "byte_fallback", false, where);
    ignore_merges_ = optional_bool(config, "ignore_merges", false, where);
    fuse_unk_ = optional_bool(config, "fuse_unk", false, where);
    continuing_subword_prefix_ = optional_string(config, "continuing_subword_prefix", "", where);
    end_of_word_suffix_ = optional_string(config, "end_of_word_suffix", "", where);
    if (config.contains("unk_token") && !config["unk_token"].is_null()) {
        std::string unk = require_string(config, "unk_token", where);
        unk_id_ = vocab_.find(unk);
        if (unk_id_ < 0) fail("{}: unk_token '{}' is not in the vocabulary", where, unk);
    }

    // Merges: "a b" strings (legacy) or ["a", "b"] pairs; the rank is the position in the list.
    const Json& merges = require_field(config, "merges", where);
    if (!merges.is_array()) fail("{}: field 'merges' must be an array", where);
    size_t capacity = 16;
    while (capacity < merges.size() * 2) capacity <<= 1;
    merges_.assign(capacity, MergeSlot{kEmptyKey, MergeValue{0, -1}});
    merge_mask_ = capacity - 1;
    std::vector<uint8_t> is_result(id_to_token_.size(), 0);
    std::string merged;
    for (size_t rank = 0; rank < merges.size(); ++rank) {
        const Json& m = merges[rank];
        std::string_view a, b;
        if (m.is_string()) {
            std::string_view line = m.get_ref<const std::string&>();
            size_t space = line.find(' ');
            if (space == std::string_view::npos || line.find(' ', space + 1) != std::string_view::npos)
                fail("{}: merges[{}] '{}' must be two tokens separated by one space", where, rank, line);
            a = line.substr(0, space);
            b = line.substr(space + 1);
        } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
            a = m[0].get_ref<const std::string&>();
            b = m[1].get_ref<const std::string&>();
        } else {
            fail("{}: merges[{}] must be a string \"a b\" or a pair [\"a\", \"b\"], got {}", where, rank, m.dump());
        }
        int32_t ia = vocab_.find(a), ib = vocab_.find(b);
        if (ia < 0) fail("{}: merges[{}]: token '{}' is not in the vocabulary", where, rank, a);
        if (ib < 0) fail("{}: merges[{}]: token '{}' is not in the vocabulary", where, rank, b);
        merged.assign(a);
        size_t skip = (!continuing_subword_prefix_.empty() &&
                       b.substr(0, continuing_subword_prefix_.size()) == continuing_subword_prefix_)
                          ? continuing_subword_prefix_.size()
                          : 0;
        merged.append(b.substr(skip));
        int32_t im = vocab_.find(merged);
        if (im < 0) fail("{}: merges[{}]: merged token '{}' is not in the vocabulary", where, rank, merged);
        if (is_result[size_t(im)]) merge_results_unique_ = false;
        is_result[size_t(im)] = 1;
        // A later duplicate of the same pair replaces the earlier one (HF collects into a map).
        uint64_t key = pair_key(ia, ib);
        uint64_t slot = hash_key(key) & merge_mask_;
        while (merges_[slot].key != kEmptyKey && merges_[slot].key != key) slot = (slot + 1) & merge_mask_;
        merges_[slot] = MergeSlot{key, MergeValue{uint32_t(rank), im}};
    }

    ascii_ids_.assign(128, -1);
    for (int c = 0; c < 128; ++c) ascii_ids_[size_t(c)] = vocab_.find(std::string(1, char(c)));
    raw_bytes_supported_ = continuing_subword_prefix_.empty() && end_of_word_suffix_.empty();
    for (int b = 0; b < 256; ++b) {
        byte_ids_[b] = vocab_.find(byte_level_char(uint8_t(b)));
        if (byte_ids_[b] < 0) raw_bytes_supported_ = false;
        byte_fallback_ids_[b] = vocab_.find(byte_fallback_token(uint8_t(b)));
    }
}

std::optional<int32_t> BpeModel::token_to_id(std::string_view token) const {
    int32_t id = vocab_find(token);
    if (id < 0) return std::nullopt;
    return id;
}

const std::string* BpeModel::id_to_token(int32_t id) const {
    if (id < 0 || size_t(id) >= id_to_token_.size() || !has_token_[size_t(id)]) return nullptr;
    return &id_to_token_[size_t(id)];
}

int32_t BpeModel::vocab_find(std::string_view token) const {
    if (token.size() == 1 && static_cast<unsigned char>(token[0]) < 128)
        return ascii_ids_[static_cast<unsigned char>(token[0])];
    return vocab_.find(token);
}

const BpeModel::MergeValue* BpeModel::find_merge(int32_t left, int32_t right) const {
    uint64_t key = pair_key(left, right);
    uint64_t slot = hash_key(key) & merge_mask_;
    while (true) {
        const MergeSlot& s = merges_[slot];
        if (s.key == key) return &s.value;
        if (s.key == kEmptyKey) return nullptr;
        slot = (slot + 1) & merge_mask_;
    }
}

void BpeModel::merge(std::vector<Symbol>& symbols) const {
    if (symbols.size() < 2) return;
    if (symbols.size() > kScanLimit || !merge_results_unique_) {
        merge_with_queue(symbols);
        return;
    }
    // With unique merge results, HF's queue always applies the current pair of lowest (rank,
    // position); for short words a scan over the pairs finds it faster than a heap.
    uint32_t ranks[kScanLimit];
    int32_t results[kScanLimit];
    size_t n = symbols.size();
    auto refresh = [&](size_t i) {
        const MergeValue* m = find_merge(symbols[i].id, symbols[i + 1].id);
        ranks[i] = m ? m->rank : UINT32_MAX;
        results[i] = m ? m->new_id : -1;
    };
    for (size_t i = 0; i + 1 < n; ++i) refresh(i);
    while (n > 1) {
        size_t best = 0;
        uint32_t best_rank = UINT32_MAX;
        for (size_t i = 0; i + 1 < n; ++i) {
            if (ranks[i] < best_rank) {
                best_rank = ranks[i];
                best = i;
            }
        }
        if (best_rank == UINT32_MAX) break;
        symbols[best].id = results[best];
        symbols[best].len += symbols[best + 1].len;
        for (size_t i = best + 1; i + 1 < n; ++i) {
            symbols[i] = symbols[i + 1];
            ranks[i] = ranks[i + 1];
            results[i] = results[i + 1];
        }
        --n;
        if (best > 0) refresh(best - 1);
        if (best + 1 < n) refresh(best);
    }
    symbols.resize(n);
}

void BpeModel::merge_with_queue(std::vector<Symbol>& symbols) const {
    // HF Word::merge_all, including its test for stale queue entries.
    struct Linked {
        int32_t id;
        uint32_t len;
        int64_t prev, next;
    };
    std::vector<Linked> word(symbols.size());
    for (size_t i = 0; i < symbols.size(); ++i)
        word[i] = {symbols[i].id, symbols[i].len, int64_t(i) - 1, i + 1 < symbols.size() ? int64_t(i + 1) : -1};
    std::priority_queue<QueuedMerge> queue;
    for (size_t i = 0; i + 1 < word.size(); ++i)
        if (const MergeValue* m = find_merge(word[i].id, word[i + 1].id)) queue.push({m->rank, uint32_t(i), m->new_id});
    while (!queue.empty()) {
        QueuedMerge top = queue.top();
        queue.pop();
        Linked& current = word[top.pos];
        if (current.len == 0 || current.next == -1) continue;
        size_t next_pos = size_t(current.next);
        Linked right = word[next_pos];
        const MergeValue* target = find_merge(current.id, right.id);
        if (target == nullptr || target->new_id != top.new_id) continue;
        current.id = top.new_id;
        current.len += right.len;
        current.next = right.next;
        word[next_pos].len = 0;
        if (right.next >= 0) word[size_t(right.next)].prev = top.pos;
        if (current.prev >= 0)
            if (const MergeValue* m = find_merge(word[size_t(current.prev)].id, current.id))
                queue.push({m->rank, uint32_t(current.prev), m->new_id});
        if (current.next >= 0)
            if (const MergeValue* m = find_merge(current.id, word[size_t(current.next)].id))
                queue.push({m->rank, top.pos, m->new_id});
    }
    symbols.clear();
    for (const Linked& s : word)
        if (s.len != 0) symbols.push_back({s.id, s.len});
}

void BpeModel::emit(const std::vector<Symbol>& symbols, std::vector<PieceToken>& out) const {
    uint32_t offset = 0;
    for (const Symbol& s : symbols) {
        out.push_back({s.id, offset, offset + s.len});
        offset += s.len;
    }
}

void BpeModel::tokenize(std::string_view piece, std::vector<PieceToken>& out) const {
    if (piece.empty()) return;
    if (ignore_merges_) {
        int32_t id = vocab_find(piece);
        if (id >= 0) {
            out.push_back({id, 0, uint32_t(piece.size())});
            return;
        }
    }
    const size_t first = out.size();
    if (cache_.lookup(piece, out)) return;
    // HF BPE::merge_word: one symbol per character (with prefix/suffix), byte fallback or unk for
    // characters outside the vocabulary.
    std::vector<Symbol> symbols;
    symbols.reserve(piece.size());
    bool have_unk = false;
    Symbol pending_unk{};
    std::string scratch;
    size_t i = 0;
    while (i < piece.size()) {
        size_t start = i;
        i += utf8_sequence_length(static_cast<unsigned char>(piece[i]));
        uint32_t byte_len = uint32_t(i - start);
        std::string_view ch = piece.substr(start, byte_len);
        int32_t id;
        bool is_first = start == 0, is_last = i >= piece.size();
        if ((is_first || continuing_subword_prefix_.empty()) && (!is_last || end_of_word_suffix_.empty())) {
            id = vocab_find(ch);
        } else {
            scratch.clear();
            if (!is_first) scratch += continuing_subword_prefix_;
            scratch += ch;
            if (is_last) scratch += end_of_word_suffix_;
            id = vocab_find(scratch);
        }
        if (id >= 0) {
            if (have_unk) {
                symbols.push_back(pending_unk);
                have_unk = false;
            }
            symbols.push_back({id, byte_len});
            continue;
        }
        if (byte_fallback_) {
            // HF builds the <0xXX> tokens from the bytes of the (prefixed) symbol text.
            std::string_view text = ch;
            if (!(is_first || continuing_subword_prefix_.empty()) || (is_last && !end_of_word_suffix_.empty()))
                text = scratch;
            bool all = true;
            for (char b : text) all = all && byte_fallback_ids_[static_cast<unsigned char>(b)] >= 0;
            if (all) {
                for (char b : text) symbols.push_back({byte_fallback_ids_[static_cast<unsigned char>(b)], 1});
                continue;
            }
        }
        if (unk_id_ >= 0) {
            if (have_unk && fuse_unk_) {
                pending_unk.len += byte_len;
            } else {
                if (have_unk) symbols.push_back(pending_unk);
                pending_unk = {unk_id_, byte_len};
                have_unk = true;
            }
        }
        // Without an unk token HF drops the character.
    }
    if (have_unk) symbols.push_back(pending_unk);
    merge(symbols);
    emit(symbols, out);
    cache_.store(piece, out, first);
}

void BpeModel::tokenize_raw_bytes(std::string_view bytes, std::vector<PieceToken>& out) const {
    if (bytes.empty()) return;
    if (ignore_merges_) {
        int32_t id = vocab_find(byte_level_encode(bytes));
        if (id >= 0) {
            out.push_back({id, 0, uint32_t(bytes.size())});
            return;
        }
    }
    const size_t first = out.size();
    if (raw_cache_.lookup(bytes, out)) return;
    std::vector<Symbol> symbols(bytes.size());
    for (size_t i = 0; i < bytes.size(); ++i) symbols[i] = {byte_ids_[static_cast<unsigned char>(bytes[i])], 1};
    merge(symbols);
    emit(symbols, out);
    raw_cache_.store(bytes, out, first);
}

}  // namespace gavel::text
