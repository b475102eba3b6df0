// Where a model comes from: a local directory, a Hugging Face cache snapshot, or a hub repo id
// (org/name[@revision]) downloaded into the standard Hugging Face cache shared with Python tools.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace gavel {

struct HubOptions {
    std::string endpoint = "https://huggingface.co";  // HF_ENDPOINT
    std::string token;                                // HF_TOKEN or $HF_HOME/token; empty: anonymous
    std::string token_source;                         // where the token came from, for error messages
    std::filesystem::path cache_dir;                  // HF_HUB_CACHE, default $HF_HOME/hub
    bool offline = false;                             // HF_HUB_OFFLINE: never touch the network
    std::string revision = "main";                    // used when the spec has no @revision
    bool progress = true;                             // progress bar on stderr (only drawn on a terminal)
    // Ask the hub which commit the revision is now even when the cache could answer alone.
    bool refresh = false;
    std::string user_agent;       // default "gavel/<version>"
    long connect_timeout_s = 10;  // HF_HUB_ETAG_TIMEOUT
    long stall_timeout_s = 30;    // HF_HUB_DOWNLOAD_TIMEOUT: abandon a transfer idle this long
    // Non-fatal notes (using a stale cache because the hub is unreachable, a pattern matching no
    // file); printed on stderr when empty.
    std::function<void(const std::string&)> warn;

    // Reads HF_HOME, HF_HUB_CACHE, HF_ENDPOINT, HF_TOKEN (else the token file), HF_HUB_OFFLINE,
    // HF_HUB_DISABLE_PROGRESS_BARS and the two timeouts, as huggingface_hub does.
    static HubOptions from_environment();
    // The same with a stand-in for getenv (tests).
    using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
    static HubOptions from_environment(const EnvLookup& getenv);
};

// A repo id with its revision, parsed from "org/name" or "org/name@revision".
struct HubRepoSpec {
    std::string repo_id;
    std::optional<std::string> revision;
};
// nullopt when `spec` is not of that form (the checks huggingface_hub applies to repo ids).
std::optional<HubRepoSpec> parse_repo_spec(const std::string& spec);

// fnmatch-style match as huggingface_hub's allow_patterns: '*' also crosses '/', and a pattern
// ending in '/' means everything under that folder. No patterns means every file.
bool matches_any_pattern(const std::string& filename, const std::vector<std::string>& patterns);

// Resolves a model spec to a directory on disk:
//  - an existing path is returned as is (a model directory, or a snapshot inside the HF cache);
//    a cache repo folder (models--org--name) becomes its snapshot for options.revision;
//  - "org/name[@revision]" becomes $HF_HUB_CACHE/models--org--name/snapshots/<commit>, after
//    downloading the files matching `patterns` that are missing there.
// The network is not touched when the cache already answers: the revision is a commit (or has a
// refs/<revision> entry) whose snapshot holds, for every pattern, at least one matching file.
// So a second run makes no request at all; options.refresh asks the hub again. With
// options.offline only the cache is consulted. Failures throw gavel::Error, one line each.
std::filesystem::path resolve_model(const std::string& spec, const std::vector<std::string>& patterns,
                                    const HubOptions& options);

}  // namespace gavel
