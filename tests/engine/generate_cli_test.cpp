#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "../io/io_test_support.hpp"
#include "../models/qwen2_test_checkpoint.hpp"
#include "core/json.hpp"
#include "text/chat_template.hpp"
#include "text/synthetic_tokenizers.hpp"
#include "text/tokenizer.hpp"

namespace gavel {
namespace {

using testing::ScratchDir;
using testing::TinyQwen2;

std::pair<int, std::string> run(const std::string& command) {
    std::string out;
    FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
    int status = pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

class GenerateCli : public ::testing::Test {
protected:
    void SetUp() override {
        tiny_.vocab = 151936;  // the synthetic tokenizer's specials sit at Qwen2's real ids
        tiny_.write(dir_.path());
        std::ofstream(dir_ / "tokenizer.json") << text::synthetic_qwen2_tokenizer().dump();
    }
    std::string gavel() const { return std::string(GAVEL_BINARY) + " generate --model " + dir_.path().string(); }
    ScratchDir dir_;
    TinyQwen2 tiny_;
};

TEST_F(GenerateCli, ChatPromptJsonAndPromptLogits) {
    auto [status, out] = run(gavel() + " --prompt 'Привет!' --chat --greedy --max-new-tokens 4 --ignore-eos --json "
                                       "--logits-out " + (dir_ / "l.npy").string());
    ASSERT_EQ(status, 0) << out;
    Json j = Json::parse(out);
    auto tokenizer = text::Tokenizer::from_file((dir_ / "tokenizer.json").string());
    std::vector<ChatMessage> chat = {{"user", "Привет!"}};
    // make-model's tokenizer_config.json holds Qwen2's template: the default system prompt appears.
    auto expected = tokenizer.encode_ids(ChatTemplate::qwen2().render(chat, true), true);
    EXPECT_EQ(j["prompt_ids"].get<std::vector<int32_t>>(), expected);
    EXPECT_EQ(j["generated_ids"].size(), 4u);
    EXPECT_EQ(j["text"], tokenizer.decode(j["generated_ids"].get<std::vector<int32_t>>(), true));
    EXPECT_EQ(j["stop"], "max_new_tokens");
    EXPECT_EQ(j["sampling"], "greedy, repetition_penalty 1.05");  // generation_config.json's penalty stays
    // float32 .npy [prompt, vocab]
    std::ifstream npy(dir_ / "l.npy", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(npy)), std::istreambuf_iterator<char>());
    ASSERT_GT(bytes.size(), 10u);
    uint16_t header = uint16_t(uint8_t(bytes[8]) | uint8_t(bytes[9]) << 8);
    EXPECT_NE(bytes.find("'shape': (" + std::to_string(expected.size()) + ", 151936)"), std::string::npos);
    EXPECT_EQ(bytes.size(), 10 + header + expected.size() * 151936 * 4);
}

TEST_F(GenerateCli, TokenIdsWithoutATokenizerAndSamplingOverrides) {
    std::filesystem::remove(dir_ / "tokenizer.json");
    std::ofstream(dir_ / "ids.txt") << "[5, 9, 17]";
    auto a = run(gavel() + " --prompt-ids " + (dir_ / "ids.txt").string() + " --sample --temperature 0.9 --top-k 5 "
                           "--seed 3 --max-new-tokens 6 --ignore-eos");
    auto b = run(gavel() + " --prompt-ids " + (dir_ / "ids.txt").string() + " --sample --temperature 0.9 --top-k 5 "
                           "--seed 3 --max-new-tokens 6 --ignore-eos");
    ASSERT_EQ(a.first, 0) << a.second;
    EXPECT_EQ(a.second, b.second);  // seeded: reproducible
    int count = 0;
    for (char c : a.second) count += c == ' ';
    EXPECT_EQ(count, 5);  // six ids
    auto text = run(gavel() + " --prompt hi");
    EXPECT_EQ(text.first, 1);
    EXPECT_NE(text.second.find("no tokenizer.json"), std::string::npos) << text.second;
}

TEST_F(GenerateCli, UsageErrors) {
    EXPECT_EQ(run(gavel()).first, 2);
    EXPECT_EQ(run(gavel() + " --prompt a --prompt-ids x").first, 2);
    EXPECT_EQ(run(gavel() + " --prompt a --greedy --sample").first, 2);
    auto bad = run(gavel() + " --prompt a --top-p 2");
    EXPECT_EQ(bad.first, 1);
    EXPECT_NE(bad.second.find("top_p"), std::string::npos) << bad.second;
}

}  // namespace
}  // namespace gavel
