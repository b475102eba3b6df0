// A read-mostly map from token text to id: open addressing over one contiguous buffer of keys, so
// that loading a 250k-entry vocabulary costs no allocation per entry and lookups take a string_view.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gavel::text {

class StringIdMap {
public:
    void reserve(size_t n);
    // Inserts or replaces (the last insertion of a key wins, like HF's HashMap::insert).
    void insert(std::string_view key, int32_t id);
    // The id of `key`, or -1.
    int32_t find(std::string_view key) const;
    size_t size() const { return size_; }
    // The hash used for keys (also by PieceCache).
    static uint64_t hash_of(std::string_view key);

    // Calls f(key, id) for every entry (in no particular order).
    template <typename F>
    void for_each(F&& f) const {
        for (const Slot& s : slots_)
            if (s.id >= 0) f(std::string_view(keys_.data() + s.offset, s.length), s.id);
    }

private:
    struct Slot {
        uint64_t hash;
        uint32_t offset;
        uint32_t length;
        int32_t id = -1;
    };
    void grow();

    std::vector<Slot> slots_;
    std::string keys_;
    size_t size_ = 0;
};

}  // namespace gavel::text
