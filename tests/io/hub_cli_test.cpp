// `gavel download` end to end: the built binary against the stand-in hub, configured only through
// the environment variables a user would set.
#include <gtest/gtest.h>

#include "hub_test_server.hpp"
#include "io/hub_repo_cache.hpp"

namespace gavel {
namespace {

namespace fs = std::filesystem;
using testing::HubTestServer;
using testing::random_bytes;
using testing::read_file;
using testing::run_process;
using testing::TempDir;
using testing::write_file;

const std::string kSha = "abcdefabcdefabcdefabcdefabcdefabcdefabcd";

class HubCliTest : public ::testing::Test {
protected:
    void SetUp() override {
        fs::path files = dir_.path() / "files";
        write_file(files / "config.json", R"({"model_type": "qwen2"})");
        write_file(files / "model.safetensors", random_bytes(300000, 7));
        write_file(files / "README.md", "# judge\n");
        Json config;
        config["repos"]["org/judge"] = {
            {"sha", kSha},
            {"token", "hf_cli_token"},
            {"files",
             {{{"name", "config.json"}, {"path", (files / "config.json").string()}, {"lfs", false}},
              {{"name", "model.safetensors"}, {"path", (files / "model.safetensors").string()}, {"lfs", true}},
              {{"name", "README.md"}, {"path", (files / "README.md").string()}, {"lfs", false}}}}};
        server_ = std::make_unique<HubTestServer>(dir_.path(), config);
        env_ = {{"HF_HOME", (dir_.path() / "hf").string()}, {"HF_ENDPOINT", server_->url()}};
    }
    testing::ProcessResult gavel(std::vector<std::string> args) {
        args.insert(args.begin(), GAVEL_BINARY);
        return run_process(args, env_, dir_.path());
    }

    TempDir dir_;
    std::unique_ptr<HubTestServer> server_;
    std::map<std::string, std::string> env_;
};

TEST_F(HubCliTest, DownloadPrintsTheSnapshotAndReusesIt) {
    // The token comes from $HF_HOME/token, as 'huggingface-cli login' leaves it.
    write_file(dir_.path() / "hf" / "token", "hf_cli_token\n");
    auto r = gavel({"download", "org/judge"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    fs::path snapshot = dir_.path() / "hf" / "hub" / "models--org--judge" / "snapshots" / kSha;
    EXPECT_EQ(r.out, snapshot.string() + "\n");
    EXPECT_EQ(read_file(snapshot / "model.safetensors"), read_file(dir_.path() / "files" / "model.safetensors"));
    EXPECT_FALSE(fs::exists(snapshot / "README.md"));  // default patterns: *.json and *.safetensors
    EXPECT_EQ(r.err, "");                              // no progress bar when stderr is not a terminal
    size_t requests = server_->requests().size();

    r = gavel({"download", "org/judge", "--revision", kSha});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, snapshot.string() + "\n");
    EXPECT_EQ(server_->requests().size(), requests);

    r = gavel({"download", "org/judge", "--include", "README.md"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(read_file(snapshot / "README.md"), "# judge\n");

    // Offline, from the cache alone.
    server_->stop();
    env_["HF_HUB_OFFLINE"] = "1";
    r = gavel({"download", "org/judge"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, snapshot.string() + "\n");
}

TEST_F(HubCliTest, ErrorsAreOneLine) {
    auto r = gavel({"download", "org/judge"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.rfind("gavel download: error: repo 'org/judge' needs a token: set HF_TOKEN", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;

    env_["HF_TOKEN"] = "hf_cli_token";
    r = gavel({"download", "org/judge@main", "--revision", "other"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("MODEL names revision 'main' and --revision says 'other'"), std::string::npos) << r.err;

    env_["HF_HUB_OFFLINE"] = "yes";
    r = gavel({"download", "org/judge"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "gavel download: error: model 'org/judge' is not in the Hugging Face cache at " +
                         (dir_.path() / "hf" / "hub").string() +
                         " and the hub cannot be reached (HF_HUB_OFFLINE is set): download it on a machine with "
                         "network (e.g. 'gavel download org/judge') and copy the cache, or pass --model "
                         "/path/to/local/copy\n");
}

TEST_F(HubCliTest, HelpExplainsTheEnvironment) {
    auto r = gavel({"download", "--help"});
    EXPECT_EQ(r.exit_code, 0);
    for (std::string word :
         {"HF_HOME", "HF_HUB_CACHE", "HF_ENDPOINT", "HF_TOKEN", "HF_HUB_OFFLINE", "--include", "--revision"})
        EXPECT_NE(r.out.find(word), std::string::npos) << word;
    r = gavel({"--help"});
    EXPECT_NE(r.out.find("download"), std::string::npos);
}

}  // namespace
}  // namespace gavel
