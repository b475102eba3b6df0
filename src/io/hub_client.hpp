// The Hugging Face hub's HTTP API as gavel uses it: list a repo's files at a revision, read one
// file's metadata (commit, etag, size, where to download it) and download a blob with resume.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "io/http_client.hpp"
#include "io/hub.hpp"

namespace gavel {

struct HubRepoListing {
    std::string commit;              // the 40-hex commit the revision points at
    std::vector<std::string> files;  // every file in the repo at that commit ('/'-separated)
};

struct HubFileInfo {
    std::string filename;
    std::string commit;
    std::string etag;              // git blob sha1, or sha256 for LFS files: the blob's name in the cache
    std::optional<uint64_t> size;  // as advertised (X-Linked-Size for LFS files)
    std::string download_url;      // the storage location for LFS files, else the resolve URL
};

class HubClient {
public:
    explicit HubClient(const HubOptions& options);

    // GET {endpoint}/api/models/{repo}/revision/{revision}. Throws HttpError (unreachable) when the
    // hub cannot be reached, gavel::Error naming repo and revision for any refusal.
    HubRepoListing list_files(const std::string& repo_id, const std::string& revision);
    // HEAD {endpoint}/{repo}/resolve/{revision}/{filename}, not following a redirect to storage
    // (whose headers carry the metadata), only one within the hub such as a renamed repo.
    HubFileInfo file_info(const std::string& repo_id, const std::string& revision, const std::string& filename);
    // Downloads `file` into `incomplete`, continuing from its current size with a Range request.
    // `on_bytes` hears of every chunk written. On failure the partial data is kept for the next
    // run, and the error names the file and says so.
    void download(const std::string& repo_id, const HubFileInfo& file, const std::filesystem::path& incomplete,
                  const std::function<void(size_t)>& on_bytes);

    std::string listing_url(const std::string& repo_id, const std::string& revision) const;
    std::string resolve_url(const std::string& repo_id, const std::string& revision, const std::string& filename) const;

private:
    void fetch_into(const std::string& repo_id, const HubFileInfo& file, const std::filesystem::path& incomplete,
                    const std::function<void(size_t)>& on_bytes, bool allow_restart);
    [[noreturn]] void fail_for_status(const HttpResponse& response, const std::string& repo_id,
                                      const std::string& revision, const std::string* filename) const;

    std::string endpoint_, token_source_;
    bool has_token_;
    HttpClient http_;
};

// "a%2Fb" style escaping of one URL component; '/' is kept when `keep_slash`.
std::string percent_encode(const std::string& text, bool keep_slash);

}  // namespace gavel
