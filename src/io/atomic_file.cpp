#include "io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "core/error.hpp"
#include "core/mapped_file.hpp"

namespace gavel {

AtomicFile::AtomicFile(std::filesystem::path path) : path_(std::move(path)) {
    std::filesystem::path dir = path_.parent_path().empty() ? "." : path_.parent_path();
    std::string temp_name = path_.filename().string();
    temp_name.insert(temp_name.begin(), '.');
    temp_name += ".tmp-XXXXXX";
    std::string pattern = (dir / temp_name).string();
    fd_ = ::mkstemp(pattern.data());
    if (fd_ < 0) fail("{}: cannot create a temporary file in {}: {}", path_.string(), dir.string(), std::strerror(errno));
    temp_path_ = pattern;
    // mkstemp creates 0600; a written model should be as readable as any other file.
    ::fchmod(fd_, 0644);
}

AtomicFile::~AtomicFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
}

void AtomicFile::write_at(uint64_t offset, const void* bytes, size_t size) {
    const auto* p = static_cast<const uint8_t*>(bytes);
    while (size > 0) {
        ssize_t n = ::pwrite(fd_, p, size, off_t(offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("{}: cannot write {} bytes at offset {}: {}", path_.string(), size, offset, std::strerror(errno));
        }
        p += n;
        offset += uint64_t(n);
        size -= size_t(n);
    }
}

void AtomicFile::resize(uint64_t size) {
    if (::ftruncate(fd_, off_t(size)) != 0)
        fail("{}: cannot set the size to {} bytes: {}", path_.string(), size, std::strerror(errno));
}

void AtomicFile::commit() {
    int fd = fd_;
    fd_ = -1;
    try {
        write_back_and_evict(fd, path_.string());
    } catch (...) {
        ::close(fd);
        throw;
    }
    if (::close(fd) != 0) fail("{}: cannot close: {}", path_.string(), std::strerror(errno));
    if (std::rename(temp_path_.c_str(), path_.c_str()) != 0)
        fail("{}: cannot rename {} onto it: {}", path_.string(), temp_path_.string(), std::strerror(errno));
    temp_path_.clear();
}

void write_file_atomically(const std::filesystem::path& path, std::string_view content) {
    AtomicFile file(path);
    file.write_at(0, content.data(), content.size());
    file.commit();
}

}  // namespace gavel
