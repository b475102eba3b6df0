#include "text/piece_cache.hpp"

#include <cstring>

#include "text/string_id_map.hpp"

namespace gavel::text {

bool PieceCache::lookup(std::string_view piece, std::vector<PieceToken>& out) const {
    if (piece.size() > kMaxPieceBytes) return false;
    uint64_t hash = StringIdMap::hash_of(piece);
    Shard& shard = shards_[hash % kShards];
    std::unique_lock lock(shard.mutex, std::try_to_lock);
    if (!lock.owns_lock() || shard.slots.empty()) return false;
    for (size_t at = (hash >> 8) & (kSlotsPerShard - 1);; at = (at + 1) & (kSlotsPerShard - 1)) {
        const Slot& s = shard.slots[at];
        if (!s.used) return false;
        if (s.hash == hash && s.key_length == piece.size() &&
            std::memcmp(shard.keys.data() + s.key_offset, piece.data(), piece.size()) == 0) {
            out.insert(out.end(), shard.tokens.begin() + s.token_offset,
                       shard.tokens.begin() + s.token_offset + s.token_count);
            return true;
        }
    }
}

void PieceCache::store(std::string_view piece, const std::vector<PieceToken>& out, size_t first) const {
    if (piece.size() > kMaxPieceBytes || out.size() - first > UINT16_MAX) return;
    uint64_t hash = StringIdMap::hash_of(piece);
    Shard& shard = shards_[hash % kShards];
    std::unique_lock lock(shard.mutex, std::try_to_lock);
    // Like the reference's cache, a full cache keeps what it has.
    if (!lock.owns_lock() || shard.entries >= kEntriesPerShard) return;
    if (shard.slots.empty()) shard.slots.resize(kSlotsPerShard);
    size_t at = (hash >> 8) & (kSlotsPerShard - 1);
    while (shard.slots[at].used) {
        const Slot& s = shard.slots[at];
        if (s.hash == hash && s.key_length == piece.size() &&
            std::memcmp(shard.keys.data() + s.key_offset, piece.data(), piece.size()) == 0)
            return;  // another thread stored it first
        at = (at + 1) & (kSlotsPerShard - 1);
    }
    Slot& slot = shard.slots[at];
    slot.hash = hash;
    slot.key_offset = uint32_t(shard.keys.size());
    slot.key_length = uint16_t(piece.size());
    slot.token_offset = uint32_t(shard.tokens.size());
    slot.token_count = uint16_t(out.size() - first);
    slot.used = true;
    shard.keys.append(piece);
    shard.tokens.insert(shard.tokens.end(), out.begin() + long(first), out.end());
    ++shard.entries;
}

}  // namespace gavel::text
