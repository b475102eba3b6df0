// One model repo inside the Hugging Face hub cache, laid out exactly as huggingface_hub writes it
// so that gavel and Python tools share downloads:
//   $HF_HUB_CACHE/models--org--name/blobs/<etag>             file contents (+ .incomplete while downloading)
//   $HF_HUB_CACHE/models--org--name/refs/<revision>          the commit a branch or tag pointed at
//   $HF_HUB_CACHE/models--org--name/snapshots/<commit>/<f>   relative symlink to ../../blobs/<etag>
//   $HF_HUB_CACHE/.locks/models--org--name/<etag>.lock       flock held while a blob is written
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace gavel {

// An exclusive flock(2) on a lock file, held for the object's lifetime. Python's filelock uses
// the same call, so gavel and huggingface_hub never write one blob at the same time.
class FileLock {
public:
    // Blocks until the lock is free; `on_wait` is called first when another process holds it.
    explicit FileLock(const std::filesystem::path& path, const std::function<void()>& on_wait = {});
    ~FileLock();
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;

private:
    int fd_ = -1;
};

class HubRepoCache {
public:
    HubRepoCache(std::filesystem::path cache_dir, const std::string& repo_id);

    const std::filesystem::path& cache_dir() const { return cache_dir_; }
    const std::filesystem::path& repo_dir() const { return repo_dir_; }
    std::filesystem::path blob_path(const std::string& etag) const;
    std::filesystem::path incomplete_path(const std::string& etag) const;
    std::filesystem::path lock_path(const std::string& etag) const;
    std::filesystem::path snapshot_dir(const std::string& commit) const;

    // The commit refs/<revision> records, if any.
    std::optional<std::string> read_ref(const std::string& revision) const;
    // Records that `revision` is `commit` (replaced atomically; untouched when already equal).
    void write_ref(const std::string& revision, const std::string& commit) const;

    // snapshots/<commit>/<filename> exists and leads to a regular file.
    bool has_file(const std::string& commit, const std::string& filename) const;
    // Every file in the snapshot, '/'-separated relative names; empty if there is no snapshot.
    std::vector<std::string> snapshot_files(const std::string& commit) const;
    // Points snapshots/<commit>/<filename> at blobs/<etag> with a relative symlink (a copy where
    // the file system has no symlinks), replacing a dangling one.
    void link(const std::string& commit, const std::string& filename, const std::string& etag) const;

private:
    std::filesystem::path cache_dir_, repo_dir_, locks_dir_;
};

// "models--org--name", huggingface_hub's folder name for a model repo.
std::string hub_repo_folder_name(const std::string& repo_id);
// A full 40-hex-digit git commit id (what huggingface_hub accepts as a pinned revision).
bool is_commit_hash(const std::string& revision);
// Names from the hub become paths on disk; these reject anything that could leave the cache
// (absolute paths, "..", empty components) so a hostile server cannot write elsewhere.
bool is_safe_repo_filename(const std::string& filename);
bool is_safe_etag(const std::string& etag);
bool is_safe_revision(const std::string& revision);

}  // namespace gavel
