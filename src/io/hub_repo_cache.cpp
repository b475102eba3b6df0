#include "io/hub_repo_cache.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <system_error>

#include "core/error.hpp"

namespace fs = std::filesystem;

namespace gavel {
namespace {

bool has_unsafe_component(const std::string& name) {
    if (name.empty() || name.front() == '/' || name.size() > 4096) return true;
    for (unsigned char c : name)
        if (c < 0x20 || c == 0x7f || c == '\\') return true;
    size_t start = 0;
    while (start <= name.size()) {
        size_t end = name.find('/', start);
        if (end == std::string::npos) end = name.size();
        std::string_view part(name.data() + start, end - start);
        if (part.empty() || part == "." || part == "..") return true;
        start = end + 1;
    }
    return false;
}

void write_all(int fd, const std::string& data, const fs::path& path) {
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("{}: cannot write: {}", path.string(), std::strerror(errno));
        done += size_t(n);
    }
}

}  // namespace

std::string hub_repo_folder_name(const std::string& repo_id) {
    std::string name = "models--";
    for (char c : repo_id) {
        if (c == '/')
            name += "--";
        else
            name += c;
    }
    return name;
}

bool is_commit_hash(const std::string& revision) {
    return revision.size() == 40 && std::all_of(revision.begin(), revision.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

bool is_safe_repo_filename(const std::string& filename) { return !has_unsafe_component(filename); }

bool is_safe_revision(const std::string& revision) {
    if (revision.size() > 255 || has_unsafe_component(revision)) return false;
    return revision.find(' ') == std::string::npos;
}

bool is_safe_etag(const std::string& etag) {
    if (etag.empty() || etag.size() > 255 || etag.front() == '.') return false;
    return std::all_of(etag.begin(), etag.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' ||
               c == '.';
    });
}

FileLock::FileLock(const fs::path& path, const std::function<void()>& on_wait) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd_ < 0) fail("{}: cannot open lock file: {}", path.string(), std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
    if (errno == EWOULDBLOCK && on_wait) on_wait();
    while (::flock(fd_, LOCK_EX) != 0) {
        if (errno == EINTR) continue;
        int err = errno;
        ::close(fd_);
        fail("{}: cannot lock: {}", path.string(), std::strerror(err));
    }
}

FileLock::~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

HubRepoCache::HubRepoCache(fs::path cache_dir, const std::string& repo_id)
    : cache_dir_(std::move(cache_dir)),
      repo_dir_(cache_dir_ / hub_repo_folder_name(repo_id)),
      locks_dir_(cache_dir_ / ".locks" / hub_repo_folder_name(repo_id)) {}

fs::path HubRepoCache::blob_path(const std::string& etag) const { return repo_dir_ / "blobs" / etag; }

fs::path HubRepoCache::incomplete_path(const std::string& etag) const {
    return repo_dir_ / "blobs" / (etag + ".incomplete");
}

fs::path HubRepoCache::lock_path(const std::string& etag) const { return locks_dir_ / (etag + ".lock"); }

fs::path HubRepoCache::snapshot_dir(const std::string& commit) const { return repo_dir_ / "snapshots" / commit; }

std::optional<std::string> HubRepoCache::read_ref(const std::string& revision) const {
    fs::path path = repo_dir_ / "refs" / revision;
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) return std::nullopt;
    std::ifstream in(path, std::ios::binary);
    std::string commit;
    std::getline(in, commit);
    while (!commit.empty() && (commit.back() == '\r' || commit.back() == ' ')) commit.pop_back();
    // A ref that does not hold a plain commit id is treated as absent rather than trusted as a path.
    if (!is_commit_hash(commit)) return std::nullopt;
    return commit;
}

void HubRepoCache::write_ref(const std::string& revision, const std::string& commit) const {
    if (read_ref(revision) == commit) return;
    fs::path path = repo_dir_ / "refs" / revision;
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    fs::create_directories(locks_dir_, ec);
    // Written beside the lock files and renamed into place: readers (and a crash) never see half a
    // ref, and a stray temporary never shows up as a ref to huggingface_hub's cache scanner.
    auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    fs::path temp = locks_dir_ / fmt::format("ref.{}.{}.tmp", ::getpid(), stamp);
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) fail("{}: cannot create: {}", temp.string(), std::strerror(errno));
    try {
        write_all(fd, commit, temp);
    } catch (...) {
        ::close(fd);
        fs::remove(temp, ec);
        throw;
    }
    ::close(fd);
    fs::rename(temp, path, ec);
    if (ec) {
        fs::remove(temp, ec);
        fail("{}: cannot write ref: {}", path.string(), ec.message());
    }
}

bool HubRepoCache::has_file(const std::string& commit, const std::string& filename) const {
    std::error_code ec;
    return fs::is_regular_file(snapshot_dir(commit) / filename, ec);
}

std::vector<std::string> HubRepoCache::snapshot_files(const std::string& commit) const {
    std::vector<std::string> files;
    fs::path dir = snapshot_dir(commit);
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return files;
    for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
         !ec && it != end; it.increment(ec)) {
        std::error_code file_ec;
        if (fs::is_regular_file(it->path(), file_ec))
            files.push_back(it->path().lexically_relative(dir).generic_string());
    }
    std::sort(files.begin(), files.end());
    return files;
}

void HubRepoCache::link(const std::string& commit, const std::string& filename, const std::string& etag) const {
    fs::path pointer = snapshot_dir(commit) / filename;
    std::error_code ec;
    fs::create_directories(pointer.parent_path(), ec);
    if (ec) fail("{}: cannot create directory: {}", pointer.parent_path().string(), ec.message());
    // Relative, as huggingface_hub makes them, so the cache still works after being moved or copied.
    std::string target = "../../";
    for (char c : filename)
        if (c == '/') target += "../";
    target += "blobs/" + etag;
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (fs::is_symlink(fs::symlink_status(pointer, ec))) fs::remove(pointer, ec);
        fs::create_symlink(target, pointer, ec);
        if (!ec) return;
        // Another process may have linked it at the same moment: that is as good.
        if (has_file(commit, filename)) return;
        if (ec == std::errc::operation_not_permitted || ec == std::errc::function_not_supported) break;
    }
    // No symlinks on this file system: a copy works, at the cost of disk space (huggingface_hub
    // degrades the same way).
    std::error_code copy_ec;
    fs::copy_file(blob_path(etag), pointer, fs::copy_options::overwrite_existing, copy_ec);
    if (copy_ec)
        fail("{}: cannot link or copy the downloaded blob {}: {}", pointer.string(), blob_path(etag).string(),
             copy_ec.message());
}

}  // namespace gavel
