#include "core/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/huge_page_allocator.hpp"

namespace gavel {

namespace {

using detail::kHugePageBytes;

// Maps the file at a kHugePageBytes boundary and asks for transparent huge pages (MADV_HUGEPAGE; a
// no-op where THP is off): the kernel can then read a checkpoint into 2 MiB page-cache folios and
// map each with one page-table entry, so the decode GEMV, which streams every weight once a token,
// takes one TLB miss per 2 MiB rather than per 4 KiB. Read through such a map, a Qwen2-0.5B BF16
// checkpoint's decode weight stream ran at 52 GB/s against 37-48 GB/s through a 4 KiB-page map of
// the same cached file, interleaved in one process (bench/decode_stream's linear()). A file the
// page cache already holds in small folios (one just written, say) stays in them until evicted:
// gavel's own writers evict what they write (write_back_and_evict). Files under kHugePageBytes map
// as usual.
void* map_huge_aligned(int fd, size_t size) {
    if (size < kHugePageBytes) return ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    // Reserve room to slide to the boundary, map the file over the reservation there, and hand
    // the reservation's unused head and tail back.
    void* reserved =
        ::mmap(nullptr, size + kHugePageBytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (reserved == MAP_FAILED) return MAP_FAILED;
    const uintptr_t start = uintptr_t(reserved), end = start + size + kHugePageBytes;
    const uintptr_t at = (start + kHugePageBytes - 1) & ~uintptr_t(kHugePageBytes - 1);
    void* p = ::mmap(reinterpret_cast<void*>(at), size, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
    if (p == MAP_FAILED) {
        const int e = errno;
        ::munmap(reserved, size + kHugePageBytes);
        errno = e;
        return MAP_FAILED;
    }
    const uintptr_t page = uintptr_t(::sysconf(_SC_PAGESIZE));
    const uintptr_t mapped_end = (at + size + page - 1) & ~(page - 1);
    if (at > start) ::munmap(reserved, at - start);
    if (end > mapped_end) ::munmap(reinterpret_cast<void*>(mapped_end), end - mapped_end);
    ::madvise(p, size, MADV_HUGEPAGE);
    return p;
}

// The pages [first, last) are read sparsely: no fault-around, which would map 64 KiB in for every
// row looked up, and no huge pages, which would map (and read) 2 MiB.
void advise_sparse(uintptr_t first, uintptr_t last) {
    if (first >= last) return;
    ::madvise(reinterpret_cast<void*>(first), last - first, MADV_RANDOM);
    ::madvise(reinterpret_cast<void*>(first), last - first, MADV_NOHUGEPAGE);
}

}  // namespace

MappedFile::MappedFile(const std::string& path) : path_(path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail("{}: cannot open: {}", path, std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        int e = errno;
        ::close(fd);
        fail("{}: cannot stat: {}", path, std::strerror(e));
    }
    size_ = size_t(st.st_size);
    if (size_ > 0) {
        void* p = map_huge_aligned(fd, size_);
        if (p == MAP_FAILED) {
            int e = errno;
            ::close(fd);
            fail("{}: cannot mmap {} bytes: {}", path, size_, std::strerror(e));
        }
        data_ = static_cast<const uint8_t*>(p);
        try {
            reread_if_cached_in_small_pages(fd);
        } catch (...) {
            ::close(fd);
            throw;
        }
    }
    ::close(fd);
}

namespace detail {

int64_t smaps_file_pmd_bytes(std::string_view smaps, uintptr_t start) {
    // A mapping's block starts with "start-end perms ..." in lower-case hex (8 digits or more), and
    // its fields follow as "Name:   value kB" lines, up to the next mapping's header.
    const std::string header = fmt::format("{:08x}-", start);
    size_t at = 0;
    while (at < smaps.size() && smaps.compare(at, header.size(), header) != 0) {
        at = smaps.find('\n', at);
        if (at == std::string_view::npos) return -1;
        ++at;
    }
    if (at >= smaps.size()) return -1;
    for (at = smaps.find('\n', at); at != std::string_view::npos && at + 1 < smaps.size();
         at = smaps.find('\n', at + 1)) {
        const std::string_view line = smaps.substr(at + 1, smaps.find('\n', at + 1) - at - 1);
        const size_t colon = line.find(':');
        if (colon == std::string_view::npos || line.find(' ') < colon) return -1;  // the next mapping's header
        if (line.substr(0, colon) != "FilePmdMapped") continue;
        const size_t value = line.find_first_not_of(' ', colon + 1);
        int64_t kib = 0;
        if (value == std::string_view::npos ||
            std::from_chars(line.data() + value, line.data() + line.size(), kib).ec != std::errc())
            return -1;
        return kib * 1024;
    }
    return -1;
}

bool worth_rereading_in_huge_pages(int cached, int huge) {
    return cached >= 4 && huge >= 1 && huge * 4 < cached * 3;
}

}  // namespace detail

// A file the page cache holds in small folios (written or downloaded by another program, or read
// before through a map without huge pages) maps in 4 KiB pages however it is mapped, until the
// kernel evicts it, and the decode GEMV then streams it about a quarter slower (write_back_and_evict
// in mapped_file.hpp). When the file is cached and its sampled 2 MiB regions come out mostly in
// small pages although some come out huge, drop it from the page cache and map it again: the
// first touches then read it from disk in huge folios. That costs one read of the file, once;
// later loads find it cached in huge folios. Pages another process has mapped stay as they are.
void MappedFile::reread_if_cached_in_small_pages(int fd) {
#if defined(__linux__)
    constexpr size_t kSamples = 8;
    const size_t regions = size_ / kHugePageBytes;
    if (regions < kSamples) return;
    auto* base = const_cast<uint8_t*>(data_);
    std::vector<unsigned char> in_core(kHugePageBytes / size_t(::sysconf(_SC_PAGESIZE)));
    int cached = 0;
    for (size_t i = 0; i < kSamples; ++i) {
        uint8_t* region = base + (i * regions / kSamples) * kHugePageBytes;
        if (::mincore(region, kHugePageBytes, in_core.data()) != 0) return;
        if (!std::all_of(in_core.begin(), in_core.end(), [](unsigned char c) { return c & 1; })) continue;
        ++cached;
        (void)*static_cast<volatile const uint8_t*>(region);  // maps the region, huge if its folio is
    }
    if (cached == 0) return;
    std::ifstream in("/proc/self/smaps");
    const std::string smaps((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const int64_t huge_bytes = detail::smaps_file_pmd_bytes(smaps, uintptr_t(base));
    if (huge_bytes < 0 || !detail::worth_rereading_in_huge_pages(cached, int(huge_bytes / int64_t(kHugePageBytes))))
        return;
    // Unmap our pages (an anonymous placeholder keeps the addresses), drop the file's cached pages,
    // and map the file again where it was.
    if (::mmap(base, size_, PROT_NONE, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0) == MAP_FAILED)
        return;  // the file's map is left as it was
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    if (::mmap(base, size_, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0) == MAP_FAILED) {
        const int e = errno;
        ::munmap(base, size_);
        data_ = nullptr;
        fail("{}: cannot map again after dropping it from the page cache: {}", path_, std::strerror(e));
    }
    ::madvise(base, size_, MADV_HUGEPAGE);
#else
    (void)fd;
#endif
}

// The whole pages inside [p, p + bytes) of this map (possibly none); false when the range is not
// inside the map.
bool MappedFile::inner_pages(const void* p, size_t bytes, uintptr_t& first, uintptr_t& last) const {
    const auto* begin = static_cast<const uint8_t*>(p);
    if (!data_ || begin < data_ || bytes > size_ || begin - data_ > std::ptrdiff_t(size_ - bytes)) return false;
    const uintptr_t page = uintptr_t(::sysconf(_SC_PAGESIZE));
    first = (uintptr_t(begin) + page - 1) & ~(page - 1);
    last = (uintptr_t(begin) + bytes) & ~(page - 1);
    return true;
}

bool MappedFile::read_sparsely(const void* p, size_t bytes) const {
    uintptr_t first = 0, last = 0;
    if (!inner_pages(p, bytes, first, last)) return false;
    advise_sparse(first, last);
    return true;
}

bool MappedFile::release(const void* p, size_t bytes) const {
    uintptr_t first = 0, last = 0;
    if (!inner_pages(p, bytes, first, last)) return false;
    advise_sparse(first, last);
    if (first < last) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
    return true;
}

void write_back_and_evict(int fd, const std::string& path) {
    struct stat st {};
    if (::fstat(fd, &st) != 0 || size_t(st.st_size) < kHugePageBytes) return;
    if (::fdatasync(fd) != 0) fail("{}: cannot write back to disk: {}", path, std::strerror(errno));
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
}

MappedFile::~MappedFile() {
    if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : path_(std::move(other.path_)), data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
    if (this != &other) {
        if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
        path_ = std::move(other.path_);
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

}  // namespace gavel
