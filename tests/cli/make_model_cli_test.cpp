#include <gtest/gtest.h>

#include "../io/io_test_support.hpp"
#include "cli_run.hpp"

namespace gavel {
namespace {

using testing::run_gavel;
using testing::ScratchDir;

TEST(MakeModelCli, SameSeedSameBytesOtherSeedOtherBytes) {
    ScratchDir dir;
    for (const auto& [name, seed] : {std::pair{"a", "5"}, {"b", "5"}, {"c", "6"}}) {
        auto r = run_gavel({"make-model", "--arch", "jina-judge", "--size", "tiny", "--seed", seed, "--out", (dir / name).string()},
                           dir.path());
        ASSERT_EQ(r.status, 0) << r.err;
        EXPECT_NE(r.out.find("91 tensors, 21191551 parameters"), std::string::npos) << r.out;
    }
    std::string a = testing::read_bytes(dir / "a" / "model.safetensors");
    EXPECT_GT(a.size(), 42551556u);  // the weights' bytes plus the header
    EXPECT_EQ(a, testing::read_bytes(dir / "b" / "model.safetensors"));
    EXPECT_NE(a, testing::read_bytes(dir / "c" / "model.safetensors"));
    EXPECT_TRUE(std::filesystem::exists(dir / "a" / "encoder" / "config.json"));
}

TEST(MakeModelCli, TokenizerIsCopied) {
    ScratchDir dir;
    testing::write_bytes(dir / "tokenizer.json", "{\"version\": \"1.0\"}");
    auto r = run_gavel({"make-model", "--arch", "qwen2", "--size", "tiny", "--dtype", "f16", "--tokenizer",
                        (dir / "tokenizer.json").string(), "--out", (dir / "m").string()},
                       dir.path());
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(testing::read_bytes(dir / "m" / "tokenizer.json"), "{\"version\": \"1.0\"}");
    EXPECT_NE(testing::read_bytes(dir / "m" / "config.json").find("\"torch_dtype\": \"float16\""), std::string::npos);
}

TEST(MakeModelCli, UsageErrors) {
    ScratchDir dir;
    auto out = (dir / "m").string();
    auto arch = run_gavel({"make-model", "--arch", "llama", "--size", "tiny", "--out", out}, dir.path());
    EXPECT_EQ(arch.status, 2);
    EXPECT_NE(arch.err.find("--arch must be qwen2 or jina-judge, got 'llama'"), std::string::npos) << arch.err;
    auto size = run_gavel({"make-model", "--arch", "qwen2", "--size", "3b", "--out", out}, dir.path());
    EXPECT_EQ(size.status, 1);
    EXPECT_EQ(size.err, "gavel make-model: error: unknown qwen2 test-model size '3b' (known: tiny, 0.5b, 7b)\n");
    auto dtype = run_gavel({"make-model", "--arch", "qwen2", "--size", "tiny", "--dtype", "f8", "--out", out}, dir.path());
    EXPECT_EQ(dtype.status, 2);
    auto seed = run_gavel({"make-model", "--arch", "qwen2", "--size", "tiny", "--seed", "-1", "--out", out}, dir.path());
    EXPECT_EQ(seed.status, 2);
    auto missing = run_gavel({"make-model", "--arch", "qwen2", "--size", "tiny"}, dir.path());
    EXPECT_EQ(missing.status, 2);
    EXPECT_NE(missing.err.find("option '--out' is required"), std::string::npos) << missing.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "m"));
}

}  // namespace
}  // namespace gavel
