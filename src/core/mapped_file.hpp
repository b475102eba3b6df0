// A read-only memory map of a whole file: checkpoints are used in place, never copied.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gavel {

class MappedFile {
public:
    // Maps `path` read-only; throws gavel::Error naming the path on failure.
    explicit MappedFile(const std::string& path);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    MappedFile(MappedFile&& other) noexcept;
    MappedFile& operator=(MappedFile&& other) noexcept;

    const uint8_t* data() const { return data_; }
    size_t size() const { return size_; }
    const std::string& path() const { return path_; }
    // Marks the whole pages inside [p, p + bytes) as read sparsely (an embedding table looked up
    // row by row): each fault there maps the one page it needs (madvise MADV_RANDOM and
    // MADV_NOHUGEPAGE), not 64 KiB around it or a 2 MiB huge page. False, doing nothing, when the
    // range is not inside this map.
    bool read_sparsely(const void* p, size_t bytes) const;
    // read_sparsely, and lets the kernel drop the resident pages that lie wholly inside the range
    // (MADV_DONTNEED; touched again, they are read back from the file): for bytes a model has
    // copied into another form and reads again sparsely if at all.
    bool release(const void* p, size_t bytes) const;

private:
    bool inner_pages(const void* p, size_t bytes, uintptr_t& first, uintptr_t& last) const;
    void reread_if_cached_in_small_pages(int fd);

    std::string path_;
    const uint8_t* data_ = nullptr;
    size_t size_ = 0;
};

namespace detail {
// The FilePmdMapped bytes of the mapping that starts at `start` in `smaps` (the text of
// /proc/self/smaps), or -1 when no mapping starts there or it has no such field.
int64_t smaps_file_pmd_bytes(std::string_view smaps, uintptr_t start);
// Of `cached` sampled 2 MiB regions of a file that the page cache already held, `huge` were mapped
// in huge pages: true when re-reading the file from disk is worth it (this kernel and file system
// can map the file in huge pages, and fewer than 3 in 4 of the samples are).
bool worth_rereading_in_huge_pages(int cached, int huge);
}  // namespace detail

// For a writer of a file MappedFile will map (a checkpoint just written or downloaded): writes the
// open file `fd` back to disk (fdatasync) and drops its pages from the page cache, so that the
// first map reads it back in huge page-cache folios. Pages the writer leaves cached stay in the
// small folios the write made, and a map of them takes a TLB miss every 4 KiB: a Qwen2-0.5B BF16
// checkpoint just written decoded at 42 tok/s against 57 tok/s once read back (interleaved,
// gavel bench, 2026-12-05). Files under 2 MiB are left alone. Throws gavel::Error naming `path`
// when the data cannot be written back; the eviction itself is only advice.
void write_back_and_evict(int fd, const std::string& path);

}  // namespace gavel
