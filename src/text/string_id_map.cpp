#include "text/string_id_map.hpp"

#include <cstring>

#include "core/error.hpp"

namespace gavel::text {

uint64_t StringIdMap::hash_of(std::string_view key) {
    // FNV-1a over 8-byte words, then a final mix: fast for the short keys of vocabularies.
    uint64_t h = 0xcbf29ce484222325ull ^ key.size();
    size_t i = 0;
    for (; i + 8 <= key.size(); i += 8) {
        uint64_t w;
        std::memcpy(&w, key.data() + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
        h ^= h >> 29;
    }
    uint64_t tail = 0;
    if (i < key.size()) std::memcpy(&tail, key.data() + i, key.size() - i);
    h = (h ^ tail) * 0x100000001b3ull;
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ull;
    h ^= h >> 32;
    return h;
}

void StringIdMap::reserve(size_t n) {
    size_t capacity = 16;
    while (capacity < n * 2) capacity <<= 1;
    if (capacity <= slots_.size()) return;
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(capacity, Slot{});
    size_t mask = capacity - 1;
    for (const Slot& s : old) {
        if (s.id < 0) continue;
        size_t at = s.hash & mask;
        while (slots_[at].id >= 0) at = (at + 1) & mask;
        slots_[at] = s;
    }
}

void StringIdMap::grow() { reserve(slots_.empty() ? 8 : slots_.size()); }

void StringIdMap::insert(std::string_view key, int32_t id) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    if (keys_.size() + key.size() > UINT32_MAX) fail("vocabulary text exceeds 4 GiB");
    uint64_t h = hash_of(key);
    size_t mask = slots_.size() - 1;
    size_t at = h & mask;
    while (slots_[at].id >= 0) {
        Slot& s = slots_[at];
        if (s.hash == h && std::string_view(keys_.data() + s.offset, s.length) == key) {
            s.id = id;
            return;
        }
        at = (at + 1) & mask;
    }
    slots_[at] = Slot{h, uint32_t(keys_.size()), uint32_t(key.size()), id};
    keys_.append(key);
    ++size_;
}

int32_t StringIdMap::find(std::string_view key) const {
    if (slots_.empty()) return -1;
    uint64_t h = hash_of(key);
    size_t mask = slots_.size() - 1;
    size_t at = h & mask;
    while (slots_[at].id >= 0) {
        const Slot& s = slots_[at];
        if (s.hash == h && s.length == key.size() && std::memcmp(keys_.data() + s.offset, key.data(), key.size()) == 0)
            return s.id;
        at = (at + 1) & mask;
    }
    return -1;
}

}  // namespace gavel::text
