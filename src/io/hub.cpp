#include "io/hub.hpp"

#include <fnmatch.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "io/hub_client.hpp"
#include "io/hub_repo_cache.hpp"

namespace fs = std::filesystem;

namespace gavel {
namespace {

// huggingface_hub's _is_true.
bool is_true(const std::optional<std::string>& value) {
    if (!value) return false;
    std::string v = *value;
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return char(std::toupper(c)); });
    return v == "1" || v == "ON" || v == "YES" || v == "TRUE";
}

std::string trim_whitespace(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    size_t start = 0;
    while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start]))) ++start;
    return s.substr(start);
}

std::string home_directory(const HubOptions::EnvLookup& getenv) {
    if (auto home = getenv("HOME"); home && !home->empty()) return *home;
    // No HOME (a service account): ask the password database, as Python's expanduser does.
    std::vector<char> buffer(16384);
    passwd entry{};
    passwd* found = nullptr;
    if (getpwuid_r(getuid(), &entry, buffer.data(), buffer.size(), &found) == 0 && found && found->pw_dir)
        return found->pw_dir;
    return "/";
}

fs::path expand_user(const std::string& path, const HubOptions::EnvLookup& getenv) {
    if (path == "~") return home_directory(getenv);
    if (path.rfind("~/", 0) == 0) return fs::path(home_directory(getenv)) / path.substr(2);
    return path;
}

long timeout_seconds(const HubOptions::EnvLookup& getenv, const std::string& name, long fallback) {
    auto text = getenv(name);
    if (!text || trim_whitespace(*text).empty()) return fallback;
    char* end = nullptr;
    double seconds = std::strtod(text->c_str(), &end);
    if (end == text->c_str() || trim_whitespace(end) != "" || !(seconds > 0) || seconds > 1e6)
        fail("{}: expected a positive number of seconds, got '{}'", name, *text);
    return std::max(1L, long(std::ceil(seconds)));
}

bool is_repo_part(const std::string& part) {
    if (part.empty()) return false;
    auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    if (!word(part.front()) || !word(part.back())) return false;
    for (char c : part)
        if (!word(c) && c != '-' && c != '.') return false;
    return part.find("--") == std::string::npos && part.find("..") == std::string::npos;
}

std::string quoted_list(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "'" : ", '") + item + "'";
    return out;
}

// Progress in MB over all files of one download (core's bar counts whole units).
class DownloadProgress {
public:
    DownloadProgress(bool enabled, const std::string& label, uint64_t total_bytes)
        : total_(size_t((total_bytes + kMegabyte - 1) / kMegabyte)) {
        if (enabled) bar_.emplace(label, total_, "MB");
    }
    // Every byte arrived: show the bar full, whatever the rounding to MB left over.
    void complete() {
        if (bar_ && total_ > reported_) bar_->advance(total_ - reported_);
        reported_ = total_;
        if (bar_) bar_->finish();
    }
    void add(size_t bytes) {
        bytes_ += bytes;
        size_t megabytes = size_t(bytes_ / kMegabyte);
        if (bar_ && megabytes > reported_) {
            bar_->advance(megabytes - reported_);
            reported_ = megabytes;
        }
    }

private:
    static constexpr uint64_t kMegabyte = 1000 * 1000;
    size_t total_;
    std::optional<Progress> bar_;
    uint64_t bytes_ = 0;
    size_t reported_ = 0;
};

// The patterns no file in `files` matches (every pattern when `files` is empty).
std::vector<std::string> unmatched_patterns(const std::vector<std::string>& files,
                                            const std::vector<std::string>& patterns) {
    std::vector<std::string> wanted = patterns.empty() ? std::vector<std::string>{"*"} : patterns;
    std::vector<std::string> unmatched;
    for (const auto& pattern : wanted) {
        bool any = std::any_of(files.begin(), files.end(),
                               [&](const std::string& f) { return matches_any_pattern(f, {pattern}); });
        if (!any) unmatched.push_back(pattern);
    }
    return unmatched;
}

// A repo folder of the cache (models--org--name) given as the model: its snapshot for `revision`.
fs::path snapshot_of_cache_folder(const fs::path& folder, const std::string& revision) {
    std::string name = folder.filename().string();
    std::string repo_id = name.substr(std::string("models--").size());
    if (auto sep = repo_id.find("--"); sep != std::string::npos)
        repo_id = repo_id.substr(0, sep) + "/" + repo_id.substr(sep + 2);
    HubRepoCache cache(folder.parent_path(), repo_id);
    std::optional<std::string> commit = is_commit_hash(revision) ? revision : cache.read_ref(revision);
    std::error_code ec;
    if (commit && fs::is_directory(cache.snapshot_dir(*commit), ec)) return cache.snapshot_dir(*commit);
    std::vector<std::string> snapshots;
    for (const auto& entry : fs::directory_iterator(folder / "snapshots", ec))
        if (entry.is_directory(ec)) snapshots.push_back(entry.path().filename().string());
    if (snapshots.size() == 1) return folder / "snapshots" / snapshots.front();
    fail(
        "{} is a Hugging Face cache folder without a snapshot for revision '{}' (snapshots: {}): pass the snapshot "
        "directory itself",
        folder.string(), revision, snapshots.empty() ? std::string("none") : quoted_list(snapshots));
}

void print_warning(const HubOptions& options, const std::string& message) {
    if (options.warn)
        options.warn(message);
    else
        std::fprintf(stderr, "gavel: warning: %s\n", message.c_str());
}

class RepoResolver {
public:
    RepoResolver(const HubRepoSpec& spec, const std::vector<std::string>& patterns, const HubOptions& options)
        : spec_(spec),
          patterns_(patterns),
          options_(options),
          revision_(spec.revision.value_or(options.revision)),
          cache_(options.cache_dir, spec.repo_id),
          display_(spec.repo_id + (revision_ != "main" ? "@" + revision_ : "")) {}

    fs::path resolve() {
        if (!is_safe_revision(revision_))
            fail("model '{}': '{}' is not a usable git revision (branch, tag or commit)", display_, revision_);
        // 1. The cache alone, when it already answers.
        std::optional<std::string> cached_commit = is_commit_hash(revision_) ? revision_ : cache_.read_ref(revision_);
        std::vector<std::string> unmatched = unmatched_patterns({}, patterns_);
        std::error_code ec;
        bool have_snapshot = cached_commit && fs::is_directory(cache_.snapshot_dir(*cached_commit), ec);
        if (have_snapshot) unmatched = unmatched_patterns(cache_.snapshot_files(*cached_commit), patterns_);
        bool cache_answers = have_snapshot && unmatched.empty();
        if (cache_answers && (!options_.refresh || options_.offline)) return cache_.snapshot_dir(*cached_commit);
        if (options_.offline) fail_unreachable("HF_HUB_OFFLINE is set", have_snapshot, unmatched);

        // 2. Ask the hub what the revision is and which files it has.
        HubClient client(options_);
        HubRepoListing listing;
        try {
            listing = client.list_files(spec_.repo_id, revision_);
        } catch (const HttpError& e) {
            if (e.kind() != HttpError::Kind::unreachable) throw;
            if (cache_answers) {
                print_warning(options_, fmt::format("the hub cannot be reached ({}); using the cached snapshot of '{}'",
                                                    e.what(), display_));
                return cache_.snapshot_dir(*cached_commit);
            }
            fail_unreachable(e.what(), have_snapshot, unmatched);
        }
        std::vector<std::string> wanted;
        for (const auto& f : listing.files)
            if (matches_any_pattern(f, patterns_)) wanted.push_back(f);
        for (const auto& pattern : unmatched_patterns(listing.files, patterns_))
            print_warning(options_, fmt::format("no file of repo '{}' at revision '{}' matches '{}'", spec_.repo_id,
                                                revision_, pattern));
        const std::string& commit = listing.commit;
        if (revision_ != commit) cache_.write_ref(revision_, commit);
        fs::path snapshot = cache_.snapshot_dir(commit);
        fs::create_directories(snapshot, ec);
        if (ec) fail("{}: cannot create the snapshot directory: {}", snapshot.string(), ec.message());

        // 3. Metadata of the files not in the snapshot yet, then the blobs not in the cache yet.
        std::vector<HubFileInfo> missing;
        for (const auto& f : wanted)
            if (!cache_.has_file(commit, f)) missing.push_back(client.file_info(spec_.repo_id, commit, f));
        fetch_blobs(client, missing);
        // Only now, with every blob present, do the files appear in the snapshot: an interrupted
        // run must not leave a snapshot that looks complete to the cache-only check above.
        for (const auto& file : missing) cache_.link(commit, file.filename, file.etag);
        return snapshot;
    }

private:
    void fetch_blobs(HubClient& client, const std::vector<HubFileInfo>& files) {
        std::vector<const HubFileInfo*> to_fetch;
        uint64_t total = 0;
        std::error_code ec;
        for (const auto& file : files) {
            if (fs::exists(cache_.blob_path(file.etag), ec)) continue;
            // The same blob may back two file names; fetch it once.
            if (std::any_of(to_fetch.begin(), to_fetch.end(),
                            [&](const HubFileInfo* f) { return f->etag == file.etag; }))
                continue;
            to_fetch.push_back(&file);
            uint64_t partial = fs::exists(cache_.incomplete_path(file.etag), ec)
                                   ? fs::file_size(cache_.incomplete_path(file.etag), ec)
                                   : 0;
            if (ec) partial = 0;
            if (file.size && *file.size > partial) total += *file.size - partial;
        }
        if (to_fetch.empty()) return;
        fs::create_directories(cache_.repo_dir() / "blobs", ec);
        if (ec) fail("{}: cannot create: {}", (cache_.repo_dir() / "blobs").string(), ec.message());
        DownloadProgress progress(options_.progress, spec_.repo_id, total);
        for (const HubFileInfo* file : to_fetch) {
            FileLock lock(cache_.lock_path(file->etag), [&] {
                print_warning(options_,
                              fmt::format("waiting for another download of '{}' of '{}' to finish (lock {})",
                                          file->filename, spec_.repo_id, cache_.lock_path(file->etag).string()));
            });
            fs::path blob = cache_.blob_path(file->etag);
            if (fs::exists(blob, ec)) continue;  // another process finished it while we waited
            fs::path incomplete = cache_.incomplete_path(file->etag);
            client.download(spec_.repo_id, *file, incomplete, [&](size_t n) { progress.add(n); });
            fs::rename(incomplete, blob, ec);
            if (ec) fail("{}: cannot move the finished download into place: {}", blob.string(), ec.message());
        }
        progress.complete();
    }

    [[noreturn]] void fail_unreachable(const std::string& reason, bool have_snapshot,
                                       const std::vector<std::string>& unmatched) const {
        std::string state = have_snapshot
                                ? fmt::format("is only partly in the Hugging Face cache at {} (no file matches {})",
                                              options_.cache_dir.string(), quoted_list(unmatched))
                                : fmt::format("is not in the Hugging Face cache at {}", options_.cache_dir.string());
        fail(
            "model '{}' {} and the hub cannot be reached ({}): download it on a machine with network (e.g. 'gavel "
            "download {}') and copy the cache, or pass --model /path/to/local/copy",
            display_, state, reason, display_);
    }

    const HubRepoSpec& spec_;
    const std::vector<std::string>& patterns_;
    const HubOptions& options_;
    std::string revision_;
    HubRepoCache cache_;
    std::string display_;
};

}  // namespace

HubOptions HubOptions::from_environment() {
    return from_environment([](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        if (!value) return std::nullopt;
        return std::string(value);
    });
}

HubOptions HubOptions::from_environment(const EnvLookup& getenv) {
    auto nonempty = [&](const std::string& name) -> std::optional<std::string> {
        auto v = getenv(name);
        if (v && !v->empty()) return v;
        return std::nullopt;
    };
    HubOptions options;
    fs::path hf_home;
    if (auto home = nonempty("HF_HOME"))
        hf_home = expand_user(*home, getenv);
    else if (auto xdg = nonempty("XDG_CACHE_HOME"))
        hf_home = expand_user(*xdg, getenv) / "huggingface";
    else
        hf_home = expand_user("~/.cache/huggingface", getenv);
    if (auto cache = nonempty("HF_HUB_CACHE"))
        options.cache_dir = expand_user(*cache, getenv);
    else if (auto legacy = nonempty("HUGGINGFACE_HUB_CACHE"))
        options.cache_dir = expand_user(*legacy, getenv);
    else
        options.cache_dir = hf_home / "hub";

    if (auto endpoint = nonempty("HF_ENDPOINT")) options.endpoint = *endpoint;
    while (!options.endpoint.empty() && options.endpoint.back() == '/') options.endpoint.pop_back();

    if (auto token = getenv("HF_TOKEN"); token && !trim_whitespace(*token).empty()) {
        options.token = trim_whitespace(*token);
        options.token_source = "HF_TOKEN";
    } else {
        fs::path token_file =
            nonempty("HF_TOKEN_PATH") ? expand_user(*getenv("HF_TOKEN_PATH"), getenv) : hf_home / "token";
        std::ifstream in(token_file);
        std::string line;
        if (in && std::getline(in, line) && !trim_whitespace(line).empty()) {
            options.token = trim_whitespace(line);
            options.token_source = token_file.string();
        }
    }

    options.offline = is_true(nonempty("HF_HUB_OFFLINE") ? getenv("HF_HUB_OFFLINE") : getenv("TRANSFORMERS_OFFLINE"));
    options.progress = !is_true(getenv("HF_HUB_DISABLE_PROGRESS_BARS"));
    options.connect_timeout_s = timeout_seconds(getenv, "HF_HUB_ETAG_TIMEOUT", options.connect_timeout_s);
    options.stall_timeout_s = timeout_seconds(getenv, "HF_HUB_DOWNLOAD_TIMEOUT", options.stall_timeout_s);
    return options;
}

std::optional<HubRepoSpec> parse_repo_spec(const std::string& spec) {
    HubRepoSpec out;
    std::string id = spec;
    if (auto at = spec.find('@'); at != std::string::npos) {
        id = spec.substr(0, at);
        out.revision = spec.substr(at + 1);
        if (!is_safe_revision(*out.revision)) return std::nullopt;
    }
    auto slash = id.find('/');
    if (id.size() > 96 || slash == std::string::npos) return std::nullopt;
    if (!is_repo_part(id.substr(0, slash)) || !is_repo_part(id.substr(slash + 1))) return std::nullopt;
    out.repo_id = id;
    return out;
}

bool matches_any_pattern(const std::string& filename, const std::vector<std::string>& patterns) {
    if (patterns.empty()) return true;
    for (const auto& pattern : patterns) {
        std::string p = !pattern.empty() && pattern.back() == '/' ? pattern + "*" : pattern;
        // No FNM_PATHNAME or FNM_PERIOD, and backslash is literal: Python's fnmatch semantics.
        if (::fnmatch(p.c_str(), filename.c_str(), FNM_NOESCAPE) == 0) return true;
    }
    return false;
}

fs::path resolve_model(const std::string& spec, const std::vector<std::string>& patterns, const HubOptions& options) {
    if (spec.empty()) fail("no model given: pass a model directory or a Hugging Face repo id (org/name)");
    std::error_code ec;
    fs::path path(spec);
    if (fs::exists(path, ec)) {
        if (fs::is_directory(path / "snapshots", ec) && path.filename().string().rfind("models--", 0) == 0)
            return snapshot_of_cache_folder(path, options.revision);
        return path;
    }
    auto repo = parse_repo_spec(spec);
    if (!repo) {
        if (spec.front() == '/' || spec.front() == '.' || spec.front() == '~')
            fail("model directory '{}' does not exist", spec);
        fail("model '{}' is neither an existing path nor a Hugging Face repo id (org/name or org/name@revision)", spec);
    }
    if (options.cache_dir.empty())
        fail("model '{}': no Hugging Face cache directory is set (HF_HOME / HF_HUB_CACHE)", spec);
    return RepoResolver(*repo, patterns, options).resolve();
}

}  // namespace gavel
