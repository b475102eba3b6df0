// A bounded, thread-safe memo of how a model tokenized a piece (word), as the reference keeps one
// in its BPE and Unigram models: natural text repeats words, and a hit skips the merge loop or the
// Viterbi search. It never changes results: a model is a pure function of the piece. This is the
// only mutable state of a loaded tokenizer; lookups never wait (a busy shard counts as a miss).
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "text/model.hpp"

namespace gavel::text {

class PieceCache {
public:
    // Pieces longer than this are not cached (they rarely repeat).
    static constexpr size_t kMaxPieceBytes = 48;

    // Appends the cached tokens of `piece` to `out` and returns true, or returns false.
    bool lookup(std::string_view piece, std::vector<PieceToken>& out) const;
    // Remembers tokens [first, out.size()) of `out` as the tokenization of `piece`.
    void store(std::string_view piece, const std::vector<PieceToken>& out, size_t first) const;

private:
    static constexpr size_t kShards = 32;
    static constexpr size_t kEntriesPerShard = 2048;
    static constexpr size_t kSlotsPerShard = 4096;  // open addressing, at most half full

    struct Slot {
        uint64_t hash = 0;
        uint32_t key_offset = 0, token_offset = 0;
        uint16_t key_length = 0, token_count = 0;
        bool used = false;
    };
    struct Shard {
        std::mutex mutex;
        std::vector<Slot> slots;  // allocated on first store
        std::string keys;
        std::vector<PieceToken> tokens;
        size_t entries = 0;
    };
    mutable std::array<Shard, kShards> shards_;
};

}  // namespace gavel::text
