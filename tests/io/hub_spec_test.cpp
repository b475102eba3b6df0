// Unit tests of model resolution without a server: spec parsing, patterns, environment, cache
// layout helpers, URL handling.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "hub_test_server.hpp"
#include "io/http_client.hpp"
#include "io/hub.hpp"
#include "io/hub_client.hpp"
#include "io/hub_repo_cache.hpp"

namespace gavel {
namespace {

namespace fs = std::filesystem;
using testing::read_file;
using testing::TempDir;
using testing::write_file;

TEST(HubRepoSpec, ParsesRepoIdsAndRevisions) {
    auto spec = parse_repo_spec("ZiyiYe/Con-J-Qwen2-7B");
    ASSERT_TRUE(spec);
    EXPECT_EQ(spec->repo_id, "ZiyiYe/Con-J-Qwen2-7B");
    EXPECT_FALSE(spec->revision);
    spec = parse_repo_spec("kaleinaNyan/jina-v3-rullmarena-judge@refs/pr/1");
    ASSERT_TRUE(spec);
    EXPECT_EQ(spec->repo_id, "kaleinaNyan/jina-v3-rullmarena-judge");
    EXPECT_EQ(spec->revision, "refs/pr/1");
    for (std::string bad :
         std::vector<std::string>{"gpt2", "org/", "/name", "org/name/extra", "org/na me", "org/-name", "org/name.",
                                  "org--x/name", "org/na..me", "org/name@", "org/name@../x", "org/name@a b",
                                  "./org/name", std::string(60, 'a') + "/" + std::string(40, 'b')})
        EXPECT_FALSE(parse_repo_spec(bad)) << bad;
}

TEST(HubPatterns, MatchLikePythonFnmatch) {
    EXPECT_TRUE(matches_any_pattern("anything", {}));
    EXPECT_TRUE(matches_any_pattern("model-00001-of-00004.safetensors", {"*.safetensors"}));
    EXPECT_TRUE(matches_any_pattern("sub/dir/config.json", {"*.json"}));  // '*' crosses '/'
    EXPECT_TRUE(matches_any_pattern(".hidden.json", {"*.json"}));
    EXPECT_TRUE(matches_any_pattern("onnx/model.onnx", {"onnx/"}));  // a folder
    EXPECT_TRUE(matches_any_pattern("model-1.bin", {"model-[0-9].bin"}));
    EXPECT_FALSE(matches_any_pattern("tokenizer_config.json", {"tokenizer.json"}));
    EXPECT_FALSE(matches_any_pattern("model.bin", {"*.json", "*.safetensors"}));
}

TEST(HubOptions, ReadsTheEnvironmentLikeHuggingfaceHub) {
    TempDir dir;
    std::map<std::string, std::string> env = {{"HOME", "/home/judge"}};
    auto lookup = [&](const std::string& name) -> std::optional<std::string> {
        auto it = env.find(name);
        if (it == env.end()) return std::nullopt;
        return it->second;
    };
    HubOptions o = HubOptions::from_environment(lookup);
    EXPECT_EQ(o.cache_dir, "/home/judge/.cache/huggingface/hub");
    EXPECT_EQ(o.endpoint, "https://huggingface.co");
    EXPECT_EQ(o.token, "");
    EXPECT_FALSE(o.offline);
    EXPECT_TRUE(o.progress);
    EXPECT_EQ(o.revision, "main");

    env["XDG_CACHE_HOME"] = "/xdg";
    EXPECT_EQ(HubOptions::from_environment(lookup).cache_dir, "/xdg/huggingface/hub");
    env["HF_HOME"] = (dir.path() / "hf").string();
    EXPECT_EQ(HubOptions::from_environment(lookup).cache_dir, dir.path() / "hf" / "hub");
    env["HF_HUB_CACHE"] = "~/models";
    EXPECT_EQ(HubOptions::from_environment(lookup).cache_dir, "/home/judge/models");

    // The token file written by 'huggingface-cli login', unless HF_TOKEN is set.
    write_file(dir.path() / "hf" / "token", "hf_from_file\n");
    o = HubOptions::from_environment(lookup);
    EXPECT_EQ(o.token, "hf_from_file");
    EXPECT_EQ(o.token_source, (dir.path() / "hf" / "token").string());
    env["HF_TOKEN"] = " hf_from_env ";
    o = HubOptions::from_environment(lookup);
    EXPECT_EQ(o.token, "hf_from_env");
    EXPECT_EQ(o.token_source, "HF_TOKEN");

    env["HF_ENDPOINT"] = "http://127.0.0.1:8080/";
    EXPECT_EQ(HubOptions::from_environment(lookup).endpoint, "http://127.0.0.1:8080");
    for (std::string yes : {"1", "true", "YES", "on"}) {
        env["HF_HUB_OFFLINE"] = yes;
        EXPECT_TRUE(HubOptions::from_environment(lookup).offline) << yes;
    }
    for (std::string no : {"0", "false", "", "nope"}) {
        env["HF_HUB_OFFLINE"] = no;
        EXPECT_FALSE(HubOptions::from_environment(lookup).offline) << no;
    }
    env["HF_HUB_DISABLE_PROGRESS_BARS"] = "1";
    env["HF_HUB_DOWNLOAD_TIMEOUT"] = "2.5";
    o = HubOptions::from_environment(lookup);
    EXPECT_FALSE(o.progress);
    EXPECT_EQ(o.stall_timeout_s, 3);
    env["HF_HUB_ETAG_TIMEOUT"] = "soon";
    try {
        HubOptions::from_environment(lookup);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "HF_HUB_ETAG_TIMEOUT: expected a positive number of seconds, got 'soon'");
    }
}

TEST(ResolveModel, ExistingPathsAreReturnedAsIs) {
    TempDir dir;
    HubOptions o;
    o.offline = true;
    o.cache_dir = dir.path() / "hub";
    write_file(dir.path() / "model" / "config.json", "{}");
    EXPECT_EQ(resolve_model((dir.path() / "model").string(), {"*.json"}, o), dir.path() / "model");
    EXPECT_EQ(resolve_model((dir.path() / "model" / "config.json").string(), {}, o),
              dir.path() / "model" / "config.json");
}

TEST(ResolveModel, BadSpecsSayWhatIsWrong) {
    HubOptions o;
    o.offline = true;
    o.cache_dir = "/nonexistent/hub";
    auto error = [&](const std::string& spec) {
        try {
            resolve_model(spec, {}, o);
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    EXPECT_EQ(error("./no/such/dir"), "model directory './no/such/dir' does not exist");
    EXPECT_EQ(
        error("not a repo"),
        "model 'not a repo' is neither an existing path nor a Hugging Face repo id (org/name or org/name@revision)");
    EXPECT_EQ(error(""), "no model given: pass a model directory or a Hugging Face repo id (org/name)");
    EXPECT_EQ(error("org/name@bad rev"),
              "model 'org/name@bad rev' is neither an existing path nor a Hugging Face repo id (org/name or "
              "org/name@revision)");
}

TEST(ResolveModel, EndpointMustBeHttp) {
    TempDir dir;
    HubOptions o;
    o.endpoint = "ftp://mirror.example";
    o.cache_dir = dir.path() / "hub";
    try {
        resolve_model("org/name", {}, o);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(),
                     "HF_ENDPOINT: 'ftp://mirror.example' is not an http(s) URL such as https://huggingface.co");
    }
}

TEST(HubRepoCache, LaysOutRefsAndRelativeLinks) {
    TempDir dir;
    HubRepoCache cache(dir.path(), "org/name");
    EXPECT_EQ(cache.repo_dir(), dir.path() / "models--org--name");
    EXPECT_EQ(cache.lock_path("abc"), dir.path() / ".locks" / "models--org--name" / "abc.lock");
    std::string commit(40, 'a');
    EXPECT_FALSE(cache.read_ref("main"));
    cache.write_ref("main", commit);
    cache.write_ref("refs/pr/1", commit);
    EXPECT_EQ(read_file(cache.repo_dir() / "refs" / "main"), commit);
    EXPECT_EQ(cache.read_ref("refs/pr/1"), commit);
    write_file(cache.repo_dir() / "refs" / "broken", "../../etc");
    EXPECT_FALSE(cache.read_ref("broken"));

    write_file(cache.blob_path("etag1"), "blob one");
    cache.link(commit, "a/b/c.json", "etag1");
    EXPECT_EQ(fs::read_symlink(cache.snapshot_dir(commit) / "a/b/c.json").string(), "../../../../blobs/etag1");
    EXPECT_TRUE(cache.has_file(commit, "a/b/c.json"));
    EXPECT_EQ(read_file(cache.snapshot_dir(commit) / "a/b/c.json"), "blob one");
    // A dangling link (blob deleted by a cache cleaner) is not a file, and linking again repairs it.
    write_file(cache.blob_path("etag2"), "blob two");
    cache.link(commit, "top.json", "etag2");
    fs::remove(cache.blob_path("etag2"));
    EXPECT_FALSE(cache.has_file(commit, "top.json"));
    EXPECT_EQ(cache.snapshot_files(commit), (std::vector<std::string>{"a/b/c.json"}));
    write_file(cache.blob_path("etag2"), "blob two again");
    cache.link(commit, "top.json", "etag2");
    EXPECT_EQ(read_file(cache.snapshot_dir(commit) / "top.json"), "blob two again");
}

TEST(HubRepoCache, NamesFromTheHubMustStayInside) {
    for (std::string ok : {"config.json", "a/b/c.safetensors", "with space.json", ".gitattributes"})
        EXPECT_TRUE(is_safe_repo_filename(ok)) << ok;
    for (std::string bad :
         std::vector<std::string>{"", "/etc/passwd", "../x", "a/../../x", "a//b", "a/./b", "a\\b", std::string("a\nb")})
        EXPECT_FALSE(is_safe_repo_filename(bad)) << bad;
    EXPECT_TRUE(is_safe_etag("3c4a1e0f9b" + std::string(54, 'e')));
    for (std::string bad : {"", "..", "a/b", ".hidden", "a b"}) EXPECT_FALSE(is_safe_etag(bad)) << bad;
    EXPECT_TRUE(is_commit_hash(std::string(40, 'f')));
    EXPECT_FALSE(is_commit_hash(std::string(40, 'F')));
    EXPECT_FALSE(is_commit_hash("main"));
}

TEST(HttpClient, ResolvesRedirectsAndOrigins) {
    EXPECT_EQ(HttpClient::resolve_url("https://huggingface.co/org/name/resolve/main/x.bin", "/api/x"),
              "https://huggingface.co/api/x");
    EXPECT_EQ(HttpClient::resolve_url("https://huggingface.co/a/b", "https://cdn-lfs.hf.co/sha?sig=1"),
              "https://cdn-lfs.hf.co/sha?sig=1");
    EXPECT_EQ(HttpClient::resolve_url("http://h:1/a/b/c", "d"), "http://h:1/a/b/d");
    EXPECT_EQ(HttpClient::origin_of("https://HuggingFace.co/x"), "https://huggingface.co:443");
    EXPECT_EQ(HttpClient::origin_of("http://127.0.0.1:8080/x"), "http://127.0.0.1:8080");
    EXPECT_NE(HttpClient::origin_of("http://localhost:8080/x"), HttpClient::origin_of("http://127.0.0.1:8080/x"));
    EXPECT_EQ(HttpClient::origin_of("not a url"), "");
    EXPECT_EQ(percent_encode("refs/pr/1", false), "refs%2Fpr%2F1");
    EXPECT_EQ(percent_encode("sub dir/ü.json", true), "sub%20dir/%C3%BC.json");
}

}  // namespace
}  // namespace gavel
