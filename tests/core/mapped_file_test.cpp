// MappedFile: a file of any size reads back byte for byte; one of 2 MiB or more is mapped at a
// 2 MiB boundary (so that the kernel may back it with huge pages); release() and read_sparsely()
// act only on ranges inside the map, and what they touched reads back from the file;
// write_back_and_evict leaves a large file out of the page cache and a small one alone.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/mapped_file.hpp"

namespace gavel {
namespace {

std::vector<uint8_t> pattern(size_t n) {
    std::vector<uint8_t> bytes(n);
    uint32_t state = 7;
    for (auto& b : bytes) {
        state = state * 1664525u + 1013904223u;
        b = uint8_t(state >> 24);
    }
    return bytes;
}

std::string write_file(const std::string& name, const std::vector<uint8_t>& bytes) {
    const std::string path = ::testing::TempDir() + name;
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    return path;
}

bool same_bytes(const MappedFile& f, const std::vector<uint8_t>& bytes) {
    return f.size() == bytes.size() && std::equal(bytes.begin(), bytes.end(), f.data());
}

TEST(MappedFile, SmallAndLargeFilesReadBackWhole) {
    for (size_t size : {size_t(1), size_t(4097), (size_t(2) << 20) - 1, (size_t(5) << 20) + 123}) {
        const auto bytes = pattern(size);
        MappedFile f(write_file("mapped_" + std::to_string(size), bytes));
        EXPECT_TRUE(same_bytes(f, bytes)) << size << " bytes";
        if (size >= (size_t(2) << 20)) {
            EXPECT_EQ(0u, uintptr_t(f.data()) % (size_t(2) << 20)) << size << " bytes";
        }
    }
}

TEST(MappedFile, ReleasedAndSparseRangesReadBackFromTheFile) {
    const auto bytes = pattern((size_t(6) << 20) + 5);
    MappedFile f(write_file("mapped_release", bytes));
    EXPECT_TRUE(same_bytes(f, bytes));
    EXPECT_TRUE(f.release(f.data() + 1000, size_t(3) << 20));
    EXPECT_TRUE(f.read_sparsely(f.data() + (size_t(4) << 20), 100000));
    EXPECT_TRUE(f.read_sparsely(f.data() + 5, 10));  // inside one page: nothing to mark
    EXPECT_TRUE(same_bytes(f, bytes));
    EXPECT_FALSE(f.release(f.data() + f.size() - 10, 11));  // runs past the end
    EXPECT_FALSE(f.read_sparsely(f.data() + f.size() - 10, 11));
    const uint8_t outside = 0;
    EXPECT_FALSE(f.release(&outside, 1));
    EXPECT_FALSE(f.read_sparsely(&outside, 1));
}

TEST(MappedFile, EmptyAndMissingFiles) {
    MappedFile empty(write_file("mapped_empty", {}));
    EXPECT_EQ(0u, empty.size());
    try {
        MappedFile missing(::testing::TempDir() + "no_such_file.safetensors");
        FAIL() << "a missing file mapped";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("no_such_file.safetensors: cannot open"), std::string::npos) << e.what();
    }
}

TEST(MappedFile, MovedMapKeepsTheBytes) {
    const auto bytes = pattern((size_t(3) << 20) + 1);
    MappedFile a(write_file("mapped_move", bytes));
    MappedFile b(std::move(a));
    EXPECT_EQ(nullptr, a.data());
    EXPECT_TRUE(same_bytes(b, bytes));
    MappedFile c(write_file("mapped_move_small", pattern(10)));
    c = std::move(b);
    EXPECT_TRUE(same_bytes(c, bytes));
}

// Pages of [data, data + size) the page cache holds, by mincore (the map is never touched).
size_t resident_pages(const std::string& path, size_t size) {
    const int fd = ::open(path.c_str(), O_RDONLY);
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    ::close(fd);
    const size_t page = size_t(::sysconf(_SC_PAGESIZE)), pages = (size + page - 1) / page;
    std::vector<unsigned char> in_core(pages);
    ::mincore(p, size, in_core.data());
    ::munmap(p, size);
    size_t n = 0;
    for (unsigned char c : in_core) n += c & 1;
    return n;
}

TEST(WriteBackAndEvict, LargeFilesLeaveThePageCacheSmallOnesStay) {
    struct statfs fs {};
    ASSERT_EQ(0, ::statfs(::testing::TempDir().c_str(), &fs));
    // The eviction is advice: tmpfs keeps its files in the page cache, and overlayfs before Linux 6.5
    // did not pass the advice on to the file underneath.
    if (fs.f_type == TMPFS_MAGIC || fs.f_type == OVERLAYFS_SUPER_MAGIC)
        GTEST_SKIP() << "the page cache here does not take eviction advice";
    for (size_t size : {size_t(4) << 20, size_t(64) << 10}) {
        const auto bytes = pattern(size);
        const std::string path = write_file("evict_" + std::to_string(size), bytes);
        const size_t pages = resident_pages(path, size);
        ASSERT_GT(pages, 0u) << "a file just written is cached";
        const int fd = ::open(path.c_str(), O_RDWR);
        ASSERT_GE(fd, 0);
        write_back_and_evict(fd, path);
        ::close(fd);
        if (size >= (size_t(2) << 20))
            EXPECT_LT(resident_pages(path, size), pages / 4) << size << " bytes";
        else
            EXPECT_EQ(resident_pages(path, size), pages) << size << " bytes";
        MappedFile f(path);
        EXPECT_TRUE(same_bytes(f, bytes));
    }
}

// The smaps block of one mapping: its FilePmdMapped, and nothing from a neighbour's block.
TEST(SmapsFilePmdBytes, ReadsTheFieldOfTheMappingThatStartsThere) {
    const std::string smaps =
        "55d0c0a00000-55d0c0a21000 r--p 00000000 fe:00 123 /usr/bin/gavel\n"
        "Size:                132 kB\n"
        "FilePmdMapped:        0 kB\n"
        "VmFlags: rd mr mw me dw sd\n"
        "7f8207a00000-7f8243e5a000 r--p 00000000 fe:00 10952827   /m/model.safetensors\n"
        "Size:             988128 kB\n"
        "Rss:              994592 kB\n"
        "FilePmdMapped:    964608 kB\n"
        "VmFlags: rd mr mw me hg\n"
        "7f8300000000-7f8300001000 rw-p 00000000 00:00 0\n"
        "Size:                  4 kB\n";
    EXPECT_EQ(detail::smaps_file_pmd_bytes(smaps, 0x7f8207a00000), int64_t(964608) * 1024);
    EXPECT_EQ(detail::smaps_file_pmd_bytes(smaps, 0x55d0c0a00000), 0);
    EXPECT_EQ(detail::smaps_file_pmd_bytes(smaps, 0x7f8300000000), -1) << "no such field before the next header";
    EXPECT_EQ(detail::smaps_file_pmd_bytes(smaps, 0x7f8207a01000), -1) << "no mapping starts there";
    EXPECT_EQ(detail::smaps_file_pmd_bytes("", 0x1000), -1);
    EXPECT_EQ(detail::smaps_file_pmd_bytes("00001000-00002000 r--p 0 0:0 0\nFilePmdMapped:    12 kB\n", 0x1000), 12 * 1024)
        << "addresses padded to 8 digits";
    EXPECT_EQ(detail::smaps_file_pmd_bytes("00001000-00002000 r--p 0 0:0 0\nFilePmdMapped:\n", 0x1000), -1) << "no value";
}

TEST(WorthRereadingInHugePages, OnlyWhenSomeSamplesProveHugePagesPossibleAndMostAreSmall) {
    EXPECT_TRUE(detail::worth_rereading_in_huge_pages(8, 1));
    EXPECT_TRUE(detail::worth_rereading_in_huge_pages(8, 5));
    EXPECT_FALSE(detail::worth_rereading_in_huge_pages(8, 6)) << "3 in 4 huge already";
    EXPECT_FALSE(detail::worth_rereading_in_huge_pages(8, 0)) << "this file system may not map files in huge pages";
    EXPECT_FALSE(detail::worth_rereading_in_huge_pages(3, 1)) << "too few cached samples to judge";
}

// A file just written (cached, in whatever folios the writes made) maps and reads back whole,
// whether or not MappedFile re-reads it.
TEST(MappedFile, ACachedLargeFileReadsBackWhole) {
    const auto bytes = pattern((size_t(40) << 20) + 4099);
    const std::string path = write_file("cached_large", bytes);
    MappedFile f(path);
    EXPECT_TRUE(same_bytes(f, bytes));
    MappedFile again(path);
    EXPECT_TRUE(same_bytes(again, bytes));
}

}  // namespace
}  // namespace gavel
