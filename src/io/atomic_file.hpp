// A file that appears under its name only once completely written: data goes to a temporary file
// in the same folder, renamed over the target on commit(), removed if never committed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

namespace gavel {

class AtomicFile {
public:
    explicit AtomicFile(std::filesystem::path path);
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    // Writes all of `bytes` at `offset` (retrying short writes); errors name the target path.
    void write_at(uint64_t offset, const void* bytes, size_t size);
    // Sets the file size; growing leaves a hole that reads as zeros and costs no disk.
    void resize(uint64_t size);
    // Closes and renames onto the target. The rename alone keeps readers from seeing a partial
    // file; a file of 2 MiB or more (a checkpoint) is also written back and dropped from the page
    // cache first (write_back_and_evict, mapped_file.hpp), so that it is mapped in huge pages.
    void commit();

private:
    std::filesystem::path path_, temp_path_;
    int fd_ = -1;
};

// Writes `content` to `path` through an AtomicFile.
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

}  // namespace gavel
