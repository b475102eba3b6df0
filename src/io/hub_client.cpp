#include "io/hub_client.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "core/json.hpp"
#include "core/mapped_file.hpp"
#include "io/hub_repo_cache.hpp"

#ifndef GAVEL_VERSION
#define GAVEL_VERSION "unknown"
#endif

namespace fs = std::filesystem;

namespace gavel {
namespace {

// A redirect within the hub (a renamed repo) is followed by hand; more than this is a loop.
constexpr int kMaxHubRedirects = 5;

std::optional<uint64_t> parse_size(const std::optional<std::string>& text) {
    if (!text || text->empty()) return std::nullopt;
    uint64_t value = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc() || end != text->data() + text->size()) return std::nullopt;
    return value;
}

// ETag: W/"abc" or "abc" -> abc, as huggingface_hub normalises it for the blob's file name.
std::string normalize_etag(std::string etag) {
    if (etag.rfind("W/", 0) == 0) etag.erase(0, 2);
    if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
    return etag;
}

// A server message for an error line: one line, bounded.
std::string one_line(std::string text, size_t max = 200) {
    for (char& c : text)
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (text.size() > max) text = text.substr(0, max) + "...";
    return text;
}

std::string server_message(const HttpResponse& r) {
    if (auto m = r.header("x-error-message"); m && !m->empty()) return one_line(*m);
    if (r.body.empty()) return "";
    try {
        Json body = Json::parse(r.body);
        if (body.is_object() && body.contains("error") && body["error"].is_string())
            return one_line(body["error"].get<std::string>());
    } catch (const Json::exception&) {
    }
    return one_line(r.body);
}

class FileDescriptor {
public:
    explicit FileDescriptor(int fd) : fd_(fd) {}
    ~FileDescriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

}  // namespace

std::string percent_encode(const std::string& text, bool keep_slash) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                          c == '.' || c == '_' || c == '~' || (keep_slash && c == '/');
        if (unreserved) {
            out += char(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

HubClient::HubClient(const HubOptions& options)
    : endpoint_(options.endpoint),
      token_source_(options.token_source.empty() ? "HF_TOKEN" : options.token_source),
      has_token_(!options.token.empty()),
      http_(HttpSettings{options.user_agent.empty() ? std::string("gavel/") + GAVEL_VERSION : options.user_agent,
                         options.connect_timeout_s, options.stall_timeout_s, options.token, options.endpoint}) {
    while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
    std::string origin = HttpClient::origin_of(endpoint_);
    if (origin.rfind("http://", 0) != 0 && origin.rfind("https://", 0) != 0)
        fail("HF_ENDPOINT: '{}' is not an http(s) URL such as https://huggingface.co", endpoint_);
}

std::string HubClient::listing_url(const std::string& repo_id, const std::string& revision) const {
    return endpoint_ + "/api/models/" + repo_id + "/revision/" + percent_encode(revision, false);
}

std::string HubClient::resolve_url(const std::string& repo_id, const std::string& revision,
                                   const std::string& filename) const {
    return endpoint_ + "/" + repo_id + "/resolve/" + percent_encode(revision, false) + "/" +
           percent_encode(filename, true);
}

void HubClient::fail_for_status(const HttpResponse& r, const std::string& repo_id, const std::string& revision,
                                const std::string* filename) const {
    std::string code = r.header("x-error-code").value_or("");
    std::string where = fmt::format("HTTP {} from {}", r.status, r.url);
    std::string set_token = "set HF_TOKEN (or log in with 'huggingface-cli login') to an access token that can read it";
    if (code == "GatedRepo")
        fail("repo '{}' is gated: accept its conditions at {}/{} with your account, then {} ({})", repo_id, endpoint_,
             repo_id,
             has_token_ ? "make sure " + token_source_ + " holds that account's token"
                        : "set HF_TOKEN to that account's token",
             where);
    if (r.status == 401 || r.status == 403) {
        if (has_token_)
            fail(
                "repo '{}' cannot be read with the token from {}: check that the repo exists and the token has access "
                "({})",
                repo_id, token_source_, where);
        if (code == "RepoNotFound")
            fail("repo '{}' was not found on {}, or it is private and needs a token: {} ({})", repo_id, endpoint_,
                 set_token, where);
        fail("repo '{}' needs a token: {} ({})", repo_id, set_token, where);
    }
    if (r.status == 404) {
        if (code == "RevisionNotFound") fail("revision '{}' not found in repo '{}' ({})", revision, repo_id, where);
        if (code == "RepoNotFound" || (!filename && code.empty()))
            fail("repo '{}' not found on {} ({})", repo_id, endpoint_, where);
        if (filename)
            fail("file '{}' not found in repo '{}' at revision '{}' ({})", *filename, repo_id, revision, where);
        fail("repo '{}' or its revision '{}' not found on {} ({})", repo_id, revision, endpoint_, where);
    }
    std::string message = server_message(r);
    fail("the hub refused {}{} of repo '{}' ({}{}{})", filename ? "file '" + *filename + "'" : "the file list",
         filename ? "" : " at revision '" + revision + "'", repo_id, where, message.empty() ? "" : ": ", message);
}

HubRepoListing HubClient::list_files(const std::string& repo_id, const std::string& revision) {
    std::string url = listing_url(repo_id, revision);
    HttpResponse r = http_.get_text(url);
    if (!r.is_success()) fail_for_status(r, repo_id, revision, nullptr);
    Json listing = parse_json(r.body, url);
    HubRepoListing out;
    out.commit = require_string(listing, "sha", url);
    if (!is_commit_hash(out.commit))
        fail("{}: field 'sha' is not a 40-hex-digit commit id: '{}'", url, one_line(out.commit));
    const Json& siblings = require_field(listing, "siblings", url);
    if (!siblings.is_array()) fail("{}: field 'siblings' must be an array", url);
    for (const Json& sibling : siblings) {
        std::string name = require_string(sibling, "rfilename", url);
        if (!is_safe_repo_filename(name))
            fail("{}: file name '{}' would leave the repo's folder; refusing it", url, one_line(name));
        out.files.push_back(std::move(name));
    }
    return out;
}

HubFileInfo HubClient::file_info(const std::string& repo_id, const std::string& revision, const std::string& filename) {
    std::string url = resolve_url(repo_id, revision, filename);
    for (int hop = 0; hop <= kMaxHubRedirects; ++hop) {
        HttpResponse r;
        try {
            r = http_.head(url);
        } catch (const HttpError& e) {
            fail("cannot get file '{}' of repo '{}': {}", filename, repo_id, e.what());
        }
        if (!r.is_success() && !r.is_redirect()) fail_for_status(r, repo_id, revision, &filename);
        auto linked_etag = r.header("x-linked-etag");
        auto commit = r.header("x-repo-commit");
        auto location = r.header("location");
        if (r.is_redirect()) {
            if (!location || location->empty())
                fail("file '{}' of repo '{}': HTTP {} from {} without a Location", filename, repo_id, r.status, url);
            // Without file metadata this is a redirect within the hub (a renamed repo): follow it.
            // With metadata it points at storage (the LFS CDN), which is what we download from.
            if (!linked_etag && !commit) {
                url = HttpClient::resolve_url(url, *location);
                continue;
            }
        }
        HubFileInfo info;
        info.filename = filename;
        info.commit = commit.value_or(revision);
        std::string etag = normalize_etag(linked_etag ? *linked_etag : r.header("etag").value_or(""));
        if (etag.empty())
            fail("file '{}' of repo '{}': the hub sent no ETag ({}), so the file cannot be cached reliably", filename,
                 repo_id, url);
        if (!is_safe_etag(etag))
            fail("file '{}' of repo '{}': the hub sent an ETag unfit as a file name: '{}'", filename, repo_id,
                 one_line(etag));
        info.etag = etag;
        // A redirect's Content-Length is that of its own small body, never the file's.
        info.size = parse_size(r.header("x-linked-size"));
        if (!info.size && r.is_success()) info.size = parse_size(r.header("content-length"));
        info.download_url = r.is_redirect() ? HttpClient::resolve_url(url, *location) : url;
        return info;
    }
    fail("file '{}' of repo '{}': more than {} redirects within the hub, starting from {}", filename, repo_id,
         kMaxHubRedirects, resolve_url(repo_id, revision, filename));
}

void HubClient::download(const std::string& repo_id, const HubFileInfo& file, const fs::path& incomplete,
                         const std::function<void(size_t)>& on_bytes) {
    fetch_into(repo_id, file, incomplete, on_bytes, true);
}

void HubClient::fetch_into(const std::string& repo_id, const HubFileInfo& file, const fs::path& incomplete,
                           const std::function<void(size_t)>& on_bytes, bool allow_restart) {
    std::error_code ec;
    uint64_t offset = fs::exists(incomplete, ec) ? fs::file_size(incomplete, ec) : 0;
    if (ec) offset = 0;
    if (file.size && offset > *file.size) {
        // Longer than the file can be: not a prefix of it, so start over.
        fs::resize_file(incomplete, 0, ec);
        offset = 0;
    }
    if (file.size && offset == *file.size && offset > 0) return;  // an earlier run got every byte

    FileDescriptor fd(::open(incomplete.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666));
    if (fd.get() < 0) fail("{}: cannot open for writing: {}", incomplete.string(), std::strerror(errno));

    std::vector<std::string> headers;
    if (offset > 0) headers.push_back(fmt::format("Range: bytes={}-", offset));
    uint64_t written = offset;
    bool started = false;
    auto sink = [&](const HttpResponse& response, std::string_view chunk) {
        if (!started) {
            started = true;
            if (response.status == 206) {
                // "bytes START-END/TOTAL": the server must continue exactly where our file ends.
                std::string range = response.header("content-range").value_or("");
                uint64_t start = 0;
                auto begin = range.find_first_of("0123456789");
                bool ok = range.rfind("bytes ", 0) == 0 && begin != std::string::npos &&
                          std::from_chars(range.data() + begin, range.data() + range.size(), start).ec == std::errc();
                if (!ok || start != offset)
                    fail("file '{}' of repo '{}': asked to resume at byte {} but the server sent range '{}'",
                         file.filename, repo_id, offset, one_line(range));
            } else if (offset > 0) {
                // The server ignored the Range header and sends the whole file: start over.
                if (::ftruncate(fd.get(), 0) != 0)
                    fail("{}: cannot truncate: {}", incomplete.string(), std::strerror(errno));
                written = 0;
            }
        }
        size_t done = 0;
        while (done < chunk.size()) {
            ssize_t n = ::write(fd.get(), chunk.data() + done, chunk.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) fail("{}: cannot write: {}", incomplete.string(), std::strerror(errno));
            done += size_t(n);
        }
        written += chunk.size();
        if (on_bytes) on_bytes(chunk.size());
    };

    std::string expected = file.size ? fmt::format("{}", *file.size) : std::string("?");
    HttpResponse r;
    try {
        r = http_.get(file.download_url, headers, sink);
    } catch (const HttpError& e) {
        if (e.kind() == HttpError::Kind::interrupted)
            fail(
                "download of '{}' from repo '{}' stopped after {} of {} bytes ({}); the partial file {} is kept: run "
                "again to resume",
                file.filename, repo_id, written, expected, e.what(), incomplete.string());
        fail("cannot download '{}' from repo '{}': {}", file.filename, repo_id, e.what());
    }
    if (r.status == 416 && offset > 0 && allow_restart) {
        // The server will not resume from our partial file (it changed?): start from zero once.
        if (::ftruncate(fd.get(), 0) != 0) fail("{}: cannot truncate: {}", incomplete.string(), std::strerror(errno));
        return fetch_into(repo_id, file, incomplete, on_bytes, false);
    }
    if (!r.is_success()) fail_for_status(r, repo_id, file.commit, &file.filename);
    uint64_t size = fs::file_size(incomplete, ec);
    if (ec) fail("{}: cannot read size after download: {}", incomplete.string(), ec.message());
    if (file.size && size < *file.size)
        fail(
            "download of '{}' from repo '{}' ended after {} bytes but the hub advertised {}; the partial file {} is "
            "kept: run again to resume",
            file.filename, repo_id, size, *file.size, incomplete.string());
    if (file.size && size > *file.size)
        fail("download of '{}' from repo '{}' has {} bytes but the hub advertised {}; the next run downloads it anew",
             file.filename, repo_id, size, *file.size);
    // A checkpoint left in the small page-cache folios the download wrote maps in 4 KiB pages.
    write_back_and_evict(fd.get(), incomplete.string());
}

}  // namespace gavel
