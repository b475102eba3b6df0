// A read-only memory map of a whole file: checkpoints are used in place, never copied.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

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
    // Lets the kernel drop the resident pages that lie wholly inside [p, p + bytes) (madvise
    // MADV_DONTNEED; touched again, they are read back from the file, page by page: MADV_RANDOM):
    // for bytes a model has copied into another form and reads again sparsely if at all. False,
    // doing nothing, when the range is not inside this map.
    bool release(const void* p, size_t bytes) const;

private:
    std::string path_;
    const uint8_t* data_ = nullptr;
    size_t size_ = 0;
};

}  // namespace gavel
