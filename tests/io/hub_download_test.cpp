// End-to-end downloads from a stand-in hub on 127.0.0.1 (tests/io/hub_server.py) into a Hugging
// Face cache in a temporary directory: layout, redirects, tokens, errors, resume, no-network reruns.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <mutex>
#include <thread>

#include "core/error.hpp"
#include "io/hub.hpp"
#include "io/hub_repo_cache.hpp"
#include "hub_test_server.hpp"
#include "io_test_support.hpp"

namespace gavel {
namespace {

namespace fs = std::filesystem;
using testing::error_of;
using testing::HubTestServer;
using testing::random_bytes;
using testing::read_file;
using testing::TempDir;
using testing::write_file;

const std::string kTinySha = "1111111111111111111111111111111111111111";
const std::string kPrivateSha = "2222222222222222222222222222222222222222";
const std::string kCutSha = "3333333333333333333333333333333333333333";
const std::string kNoRangeSha = "4444444444444444444444444444444444444444";
const std::string kLiarSha = "5555555555555555555555555555555555555555";
const std::string kBrokenSha = "6666666666666666666666666666666666666666";
const std::string kEvilSha = "7777777777777777777777777777777777777777";
const std::string kToken = "hf_test_secret";
const std::vector<std::string> kModelPatterns = {"*.json", "*.safetensors"};

// A TCP port on 127.0.0.1 that nothing listens on.
int closed_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

class HubDownloadTest : public ::testing::Test {
protected:
    void SetUp() override {
        fs::path files = dir_.path() / "files";
        // Contents: a config, a "weights" blob of odd size, a nested file with a space in its name.
        contents_["config.json"] = R"({"architectures": ["Qwen2ForCausalLM"], "hidden_size": 64})";
        contents_["model.safetensors"] = random_bytes((1 << 20) + 123, 1);
        contents_["tokenizer.json"] = random_bytes(200000, 2);
        contents_["extra/with space.json"] = R"({"nested": true})";
        contents_["README.md"] = "# tiny\n";
        for (const auto& [name, data] : contents_) write_file(files / name, data);
        auto file = [&](const std::string& name, bool lfs, const std::string& redirect = "absolute") {
            return Json{{"name", name}, {"path", (files / name).string()}, {"lfs", lfs}, {"redirect", redirect}};
        };
        Json cut_file = file("model.safetensors", true);
        cut_file["cut_once"] = true;
        Json no_range_file = cut_file;
        no_range_file["ignore_range"] = true;
        Json liar_file = file("model.safetensors", true);
        liar_file["advertise_size"] = contents_["model.safetensors"].size() + 100;
        Json config;
        config["repos"]["org/tiny"] = {{"sha", kTinySha},
                                       {"files",
                                        {file("config.json", false), file("model.safetensors", true, "absolute"),
                                         file("tokenizer.json", true, "relative"), file("extra/with space.json", false),
                                         file("README.md", false)}}};
        config["repos"]["org/private"] = {
            {"sha", kPrivateSha},
            {"token", kToken},
            {"files", {file("config.json", false), file("model.safetensors", true, "other-host")}}};
        config["repos"]["org/cut"] = {{"sha", kCutSha}, {"files", {file("config.json", false), cut_file}}};
        config["repos"]["org/no-range"] = {{"sha", kNoRangeSha}, {"files", {no_range_file}}};
        config["repos"]["org/liar"] = {{"sha", kLiarSha}, {"files", {liar_file}}};
        config["repos"]["org/broken"] = {
            {"sha", kBrokenSha}, {"files", {file("config.json", false)}}, {"listed_only", {"ghost.safetensors"}}};
        config["repos"]["org/evil"] = {
            {"sha", kEvilSha}, {"files", Json::array()}, {"listed_only", {"../escape.json"}}};
        server_ = std::make_unique<HubTestServer>(dir_.path(), config);
    }

    HubOptions options() {
        HubOptions o;
        o.endpoint = server_->url();
        o.cache_dir = cache_dir();
        o.progress = false;
        o.warn = [this](const std::string& message) { warnings_.push_back(message); };
        return o;
    }
    fs::path cache_dir() const { return dir_.path() / "hf" / "hub"; }
    fs::path repo_dir(const std::string& repo) const { return cache_dir() / hub_repo_folder_name(repo); }
    size_t request_count() const { return server_->requests().size(); }

    TempDir dir_;
    std::map<std::string, std::string> contents_;
    std::unique_ptr<HubTestServer> server_;
    std::vector<std::string> warnings_;
};

TEST_F(HubDownloadTest, WritesTheHuggingFaceCacheLayout) {
    fs::path snapshot = resolve_model("org/tiny", kModelPatterns, options());
    EXPECT_EQ(snapshot, repo_dir("org/tiny") / "snapshots" / kTinySha);
    EXPECT_EQ(read_file(repo_dir("org/tiny") / "refs" / "main"), kTinySha);  // no newline, as huggingface_hub
    for (std::string name : {"config.json", "model.safetensors", "tokenizer.json", "extra/with space.json"}) {
        SCOPED_TRACE(name);
        fs::path pointer = snapshot / name;
        ASSERT_TRUE(fs::is_symlink(pointer));
        std::string up = name.find('/') == std::string::npos ? "../../" : "../../../";
        EXPECT_EQ(fs::read_symlink(pointer).string(), up + "blobs/" + server_->etag("org/tiny", name));
        EXPECT_EQ(read_file(pointer), contents_[name]);
    }
    // README.md matches no pattern: not downloaded.
    EXPECT_FALSE(fs::exists(snapshot / "README.md"));
    // Nothing half-done is left behind.
    for (const auto& entry : fs::directory_iterator(repo_dir("org/tiny") / "blobs"))
        EXPECT_EQ(entry.path().extension(), "") << entry.path();
    // LFS files came from storage after the 302 (absolute and relative Location alike), others from resolve/.
    std::vector<std::string> gets;
    for (const auto& r : server_->requests())
        if (r["method"] == "GET") gets.push_back(r["path"]);
    EXPECT_EQ(std::count(gets.begin(), gets.end(), "/cdn/org/tiny/" + server_->etag("org/tiny", "model.safetensors")),
              1);
    EXPECT_EQ(std::count(gets.begin(), gets.end(), "/cdn/org/tiny/" + server_->etag("org/tiny", "tokenizer.json")), 1);
    EXPECT_EQ(std::count(gets.begin(), gets.end(), "/org/tiny/resolve/" + kTinySha + "/extra/with%20space.json"), 1);
    EXPECT_EQ(std::count(gets.begin(), gets.end(), "/api/models/org/tiny/revision/main"), 1);
    for (const auto& r : server_->requests())
        EXPECT_EQ(r["user_agent"].get<std::string>().rfind("gavel/", 0), 0u) << r.dump();
    EXPECT_TRUE(warnings_.empty());
}

TEST_F(HubDownloadTest, SecondResolveMakesNoRequest) {
    fs::path first = resolve_model("org/tiny", kModelPatterns, options());
    size_t after_first = request_count();
    EXPECT_GT(after_first, 0u);
    EXPECT_EQ(resolve_model("org/tiny", kModelPatterns, options()), first);
    EXPECT_EQ(resolve_model("org/tiny@main", {"config.json"}, options()), first);
    // A pinned commit whose snapshot exists needs no refs entry and no request either.
    EXPECT_EQ(resolve_model("org/tiny@" + kTinySha, kModelPatterns, options()), first);
    EXPECT_EQ(request_count(), after_first);
    // --refresh asks the hub again but downloads nothing new.
    HubOptions refresh = options();
    refresh.refresh = true;
    EXPECT_EQ(resolve_model("org/tiny", kModelPatterns, refresh), first);
    auto requests = server_->requests();
    ASSERT_EQ(requests.size(), after_first + 1);
    EXPECT_EQ(requests.back()["path"], "/api/models/org/tiny/revision/main");
}

TEST_F(HubDownloadTest, ConcurrentResolvesFetchEachBlobOnce) {
    std::mutex mutex;
    std::vector<std::string> notes;
    HubOptions o = options();
    o.warn = [&](const std::string& message) {
        std::lock_guard<std::mutex> lock(mutex);
        notes.push_back(message);
    };
    constexpr int kThreads = 4;
    std::vector<fs::path> results(kThreads);
    std::vector<std::string> errors(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i)
        threads.emplace_back(
            [&, i] { errors[i] = error_of([&] { results[i] = resolve_model("org/tiny", kModelPatterns, o); }); });
    for (auto& t : threads) t.join();
    for (int i = 0; i < kThreads; ++i) {
        EXPECT_EQ(errors[i], "(no error)");
        EXPECT_EQ(results[i], repo_dir("org/tiny") / "snapshots" / kTinySha);
    }
    EXPECT_EQ(read_file(results[0] / "model.safetensors"), contents_["model.safetensors"]);
    EXPECT_EQ(read_file(results[0] / "config.json"), contents_["config.json"]);
    // The blob lock makes every later thread find the finished blob instead of fetching it again.
    std::map<std::string, int> gets;
    for (const auto& r : server_->requests())
        if (r["method"] == "GET") ++gets[r["path"]];
    EXPECT_EQ(gets["/cdn/org/tiny/" + server_->etag("org/tiny", "model.safetensors")], 1);
    EXPECT_EQ(gets["/org/tiny/resolve/" + kTinySha + "/config.json"], 1);
    for (const auto& note : notes) EXPECT_EQ(note.rfind("waiting for another download of '", 0), 0u) << note;
}

TEST_F(HubDownloadTest, NewPatternsFetchOnlyWhatIsMissing) {
    fs::path snapshot = resolve_model("org/tiny", {"config.json"}, options());
    EXPECT_TRUE(fs::exists(snapshot / "config.json"));
    EXPECT_FALSE(fs::exists(snapshot / "model.safetensors"));
    size_t before = request_count();
    resolve_model("org/tiny", {"config.json", "*.safetensors"}, options());
    EXPECT_EQ(read_file(snapshot / "model.safetensors"), contents_["model.safetensors"]);
    // The listing, then HEAD + GET of the one new file: config.json is not asked for again.
    for (size_t i = before; i < server_->requests().size(); ++i)
        EXPECT_EQ(server_->requests()[i]["path"].get<std::string>().find("config.json"), std::string::npos);
}

TEST_F(HubDownloadTest, PatternMatchingNothingIsAWarning) {
    fs::path snapshot = resolve_model("org/tiny", {"config.json", "*.gguf"}, options());
    EXPECT_TRUE(fs::exists(snapshot / "config.json"));
    ASSERT_EQ(warnings_.size(), 1u);
    EXPECT_EQ(warnings_[0], "no file of repo 'org/tiny' at revision 'main' matches '*.gguf'");
}

TEST_F(HubDownloadTest, PrivateRepoNeedsTheRightToken) {
    EXPECT_EQ(error_of([&] { resolve_model("org/private", kModelPatterns, options()); }),
              "repo 'org/private' needs a token: set HF_TOKEN (or log in with 'huggingface-cli login') to an access "
              "token that can read it (HTTP 401 from " +
                  server_->url() + "/api/models/org/private/revision/main)");
    HubOptions wrong = options();
    wrong.token = "hf_wrong";
    wrong.token_source = "HF_TOKEN";
    EXPECT_EQ(error_of([&] { resolve_model("org/private", kModelPatterns, wrong); }),
              "repo 'org/private' cannot be read with the token from HF_TOKEN: check that the repo exists and the "
              "token has access (HTTP 401 from " +
                  server_->url() + "/api/models/org/private/revision/main)");
    EXPECT_FALSE(fs::exists(repo_dir("org/private") / "snapshots"));

    HubOptions right = options();
    right.token = kToken;
    fs::path snapshot = resolve_model("org/private", kModelPatterns, right);
    EXPECT_EQ(read_file(snapshot / "model.safetensors"), contents_["model.safetensors"]);
    // The token goes to the hub, never to the storage host the LFS redirect points at (localhost).
    bool saw_storage = false;
    for (const auto& r : server_->requests()) {
        std::string path = r["path"];
        if (path.rfind("/cdn/", 0) == 0) {
            saw_storage = true;
            EXPECT_TRUE(r["authorization"].is_null()) << r.dump();
        } else if (r["authorization"].is_string() && r["authorization"] == "Bearer " + kToken) {
            EXPECT_TRUE(path.rfind("/api/models/org/private/", 0) == 0 || path.rfind("/org/private/resolve/", 0) == 0);
        }
    }
    EXPECT_TRUE(saw_storage);
}

TEST_F(HubDownloadTest, MissingRepoRevisionAndFileAreNamed) {
    EXPECT_EQ(error_of([&] { resolve_model("org/missing", kModelPatterns, options()); }),
              "repo 'org/missing' not found on " + server_->url() + " (HTTP 404 from " + server_->url() +
                  "/api/models/org/missing/revision/main)");
    EXPECT_EQ(error_of([&] { resolve_model("org/tiny@no-such-branch", kModelPatterns, options()); }),
              "revision 'no-such-branch' not found in repo 'org/tiny' (HTTP 404 from " + server_->url() +
                  "/api/models/org/tiny/revision/no-such-branch)");
    EXPECT_EQ(error_of([&] { resolve_model("org/broken", kModelPatterns, options()); }),
              "file 'ghost.safetensors' not found in repo 'org/broken' at revision '" + kBrokenSha +
                  "' (HTTP 404 from " + server_->url() + "/org/broken/resolve/" + kBrokenSha + "/ghost.safetensors)");
}

TEST_F(HubDownloadTest, RepoHiddenBehind401MayBeMissingOrPrivate) {
    // huggingface.co answers an unknown repo with 401 + RepoNotFound, the same as a private one.
    fs::path other = dir_.path() / "real-hub";
    fs::create_directories(other);
    HubTestServer real_hub(other, Json{{"repos", Json::object()}, {"missing_repo_status", 401}});
    HubOptions o = options();
    o.endpoint = real_hub.url();
    EXPECT_EQ(error_of([&] { resolve_model("org/typo", kModelPatterns, o); }),
              "repo 'org/typo' was not found on " + real_hub.url() +
                  ", or it is private and needs a token: set HF_TOKEN (or log in with 'huggingface-cli login') to an "
                  "access token that can read it (HTTP 401 from " +
                  real_hub.url() + "/api/models/org/typo/revision/main)");
}

TEST_F(HubDownloadTest, InterruptedDownloadResumesWithRange) {
    const std::string& weights = contents_["model.safetensors"];
    std::string etag = server_->etag("org/cut", "model.safetensors");
    fs::path incomplete = repo_dir("org/cut") / "blobs" / (etag + ".incomplete");
    size_t half = weights.size() / 2;

    std::string error = error_of([&] { resolve_model("org/cut", kModelPatterns, options()); });
    EXPECT_NE(error.find("download of 'model.safetensors' from repo 'org/cut' stopped after " + std::to_string(half) +
                         " of " + std::to_string(weights.size()) + " bytes"),
              std::string::npos)
        << error;
    EXPECT_NE(error.find("run again to resume"), std::string::npos) << error;
    EXPECT_EQ(error.find('\n'), std::string::npos);
    ASSERT_TRUE(fs::exists(incomplete));
    EXPECT_EQ(fs::file_size(incomplete), half);
    EXPECT_FALSE(fs::exists(repo_dir("org/cut") / "snapshots" / kCutSha / "config.json"))
        << "a failed run must not leave a snapshot that looks complete";

    fs::path snapshot = resolve_model("org/cut", kModelPatterns, options());
    EXPECT_EQ(read_file(snapshot / "model.safetensors"), weights);
    EXPECT_EQ(read_file(snapshot / "config.json"), contents_["config.json"]);
    EXPECT_FALSE(fs::exists(incomplete));
    std::vector<std::string> ranges;
    for (const auto& r : server_->requests())
        if (r["path"] == "/cdn/org/cut/" + etag && r["method"] == "GET")
            ranges.push_back(r["range"].is_null() ? "" : r["range"].get<std::string>());
    EXPECT_EQ(ranges, (std::vector<std::string>{"", "bytes=" + std::to_string(half) + "-"}));
}

TEST_F(HubDownloadTest, ServerIgnoringRangeRestartsTheFile) {
    EXPECT_NE(error_of([&] { resolve_model("org/no-range", kModelPatterns, options()); }), "(no error)");
    fs::path snapshot = resolve_model("org/no-range", kModelPatterns, options());
    EXPECT_EQ(read_file(snapshot / "model.safetensors"), contents_["model.safetensors"]);
}

TEST_F(HubDownloadTest, SizeMismatchNamesTheFileAndKeepsThePartialBlob) {
    const std::string& weights = contents_["model.safetensors"];
    std::string error = error_of([&] { resolve_model("org/liar", kModelPatterns, options()); });
    EXPECT_NE(error.find("download of 'model.safetensors' from repo 'org/liar' ended after " +
                         std::to_string(weights.size()) + " bytes but the hub advertised " +
                         std::to_string(weights.size() + 100)),
              std::string::npos)
        << error;
    EXPECT_TRUE(
        fs::exists(repo_dir("org/liar") / "blobs" / (server_->etag("org/liar", "model.safetensors") + ".incomplete")));
    EXPECT_FALSE(fs::exists(repo_dir("org/liar") / "blobs" / server_->etag("org/liar", "model.safetensors")));
}

TEST_F(HubDownloadTest, UnsafeFileNameFromTheHubIsRefused) {
    std::string error = error_of([&] { resolve_model("org/evil", {}, options()); });
    EXPECT_NE(error.find("file name '../escape.json' would leave the repo's folder"), std::string::npos) << error;
    EXPECT_FALSE(fs::exists(cache_dir() / hub_repo_folder_name("org/evil") / "snapshots" / "escape.json"));
}

TEST_F(HubDownloadTest, OfflineUsesTheCacheWithoutTheServer) {
    fs::path snapshot = resolve_model("org/tiny", kModelPatterns, options());
    server_->stop();
    HubOptions offline = options();
    offline.offline = true;
    EXPECT_EQ(resolve_model("org/tiny", kModelPatterns, offline), snapshot);
    EXPECT_EQ(resolve_model("org/tiny@" + kTinySha, {"config.json"}, offline), snapshot);
    // Online with the server gone: the cache answers, nothing is attempted.
    EXPECT_EQ(resolve_model("org/tiny", kModelPatterns, options()), snapshot);
    // Refreshing with the server gone falls back to the cache with a warning.
    HubOptions refresh = options();
    refresh.refresh = true;
    EXPECT_EQ(resolve_model("org/tiny", kModelPatterns, refresh), snapshot);
    ASSERT_EQ(warnings_.size(), 1u);
    EXPECT_NE(warnings_[0].find("using the cached snapshot of 'org/tiny'"), std::string::npos) << warnings_[0];
    // Offline and a pattern the snapshot cannot satisfy: say which.
    EXPECT_EQ(error_of([&] { resolve_model("org/tiny", {"*.gguf"}, offline); }),
              "model 'org/tiny' is only partly in the Hugging Face cache at " + cache_dir().string() +
                  " (no file matches '*.gguf') and the hub cannot be reached (HF_HUB_OFFLINE is set): download it on a "
                  "machine with network (e.g. 'gavel download org/tiny') and copy the cache, or pass --model "
                  "/path/to/local/copy");
}

TEST_F(HubDownloadTest, OfflineWithNothingCachedSaysWhatToDo) {
    HubOptions offline = options();
    offline.offline = true;
    EXPECT_EQ(error_of([&] { resolve_model("org/tiny@v1", kModelPatterns, offline); }),
              "model 'org/tiny@v1' is not in the Hugging Face cache at " + cache_dir().string() +
                  " and the hub cannot be reached (HF_HUB_OFFLINE is set): download it on a machine with network (e.g. "
                  "'gavel download org/tiny@v1') and copy the cache, or pass --model /path/to/local/copy");
    EXPECT_EQ(request_count(), 0u);
}

TEST_F(HubDownloadTest, UnreachableHubWithNothingCachedSaysWhatToDo) {
    HubOptions o = options();
    o.endpoint = "http://127.0.0.1:" + std::to_string(closed_port());
    std::string error = error_of([&] { resolve_model("org/tiny", kModelPatterns, o); });
    EXPECT_EQ(error.rfind("model 'org/tiny' is not in the Hugging Face cache at " + cache_dir().string() +
                              " and the hub cannot be reached (could not reach " + o.endpoint +
                              "/api/models/org/tiny/revision/main: ",
                          0),
              0u)
        << error;
    EXPECT_NE(error.find("download it on a machine with network (e.g. 'gavel download org/tiny')"), std::string::npos);
    EXPECT_EQ(error.find('\n'), std::string::npos);
}

TEST_F(HubDownloadTest, StalledServerIsAbandoned) {
    HubOptions o = options();
    o.endpoint = server_->url() + "/hang";
    o.stall_timeout_s = 1;
    std::string error = error_of([&] { resolve_model("org/tiny", kModelPatterns, o); });
    EXPECT_NE(
        error.find("the hub cannot be reached (could not reach " + o.endpoint + "/api/models/org/tiny/revision/main"),
        std::string::npos)
        << error;
}

TEST_F(HubDownloadTest, CacheRepoFolderResolvesToItsSnapshot) {
    fs::path snapshot = resolve_model("org/tiny", {"config.json"}, options());
    EXPECT_EQ(resolve_model(repo_dir("org/tiny").string(), {}, options()), snapshot);
    EXPECT_EQ(resolve_model(snapshot.string(), {}, options()), snapshot);
}

}  // namespace
}  // namespace gavel
