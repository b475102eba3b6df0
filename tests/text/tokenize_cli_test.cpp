// `gavel tokenize` end to end: JSON lines in, ids (or text) out in order, errors naming the line.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

#include "core/json.hpp"

namespace {

namespace fs = std::filesystem;

struct Result {
    int status;
    std::string output;  // stdout and stderr
};

Result run(const std::string& args) {
    std::string command = std::string(GAVEL_BINARY) + " tokenize " + args + " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    Result r{-1, {}};
    if (pipe == nullptr) return r;
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) r.output.append(buffer, n);
    int status = pclose(pipe);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

class TokenizeCli : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("gavel_tokenize_cli_" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        gavel::Json t = {
            {"version", "1.0"},
            {"truncation", nullptr},
            {"padding", nullptr},
            {"added_tokens",
             {{{"id", 4},
               {"content", "<s>"},
               {"single_word", false},
               {"lstrip", false},
               {"rstrip", false},
               {"normalized", false},
               {"special", true}}}},
            {"normalizer", nullptr},
            {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
            {"post_processor",
             {{"type", "TemplateProcessing"},
              {"single",
               {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}}, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
              {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {4}}, {"tokens", {"<s>"}}}}}}}},
            {"decoder", {{"type", "Fuse"}}},
            {"model", {{"type", "BPE"}, {"vocab", {{"a", 0}, {"b", 1}, {"ab", 2}, {"c", 3}}}, {"merges", {"a b"}}}}};
        write("tokenizer.json", t.dump());
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::string path(const std::string& name) const { return (dir_ / name).string(); }
    void write(const std::string& name, const std::string& text) const { std::ofstream(path(name)) << text; }

    fs::path dir_;
};

TEST_F(TokenizeCli, EncodesLinesInOrder) {
    write("in.jsonl",
          "{\"text\": \"ab c\"}\n{\"text\": \"cab\"}\n\n{\"text\": \"ab\", \"add_special_tokens\": true}\n");
    Result r = run("--tokenizer " + path("tokenizer.json") + " --threads 3 < " + path("in.jsonl"));
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_EQ(r.output, "{\"ids\":[2,3]}\n{\"ids\":[3,2]}\n{\"ids\":[4,2]}\n");
    r = run("--tokenizer " + path("tokenizer.json") + " --add-special-tokens --input " + path("in.jsonl"));
    EXPECT_EQ(r.output, "{\"ids\":[4,2,3]}\n{\"ids\":[4,3,2]}\n{\"ids\":[4,2]}\n");
}

TEST_F(TokenizeCli, DecodesIds) {
    write("ids.jsonl", "{\"ids\": [4, 2, 3]}\n{\"ids\": [4, 2], \"skip_special_tokens\": true}\n");
    Result r = run("--tokenizer " + path("tokenizer.json") + " --decode --input " + path("ids.jsonl"));
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_EQ(r.output, "{\"text\":\"<s>abc\"}\n{\"text\":\"ab\"}\n");
}

TEST_F(TokenizeCli, ErrorsNameTheLine) {
    write("bad.jsonl", "{\"text\": \"ab\"}\n{\"txt\": \"ab\"}\n");
    Result r = run("--tokenizer " + path("tokenizer.json") + " --input " + path("bad.jsonl"));
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.output.find("bad.jsonl:2: missing field 'text'"), std::string::npos) << r.output;

    // Raw bytes that are not UTF-8 never become a JSON string; the parser names the line and offset.
    write("bytes.jsonl", "{\"text\": \"ok\"}\n{\"text\": \"a\xFF\"}\n");
    r = run("--tokenizer " + path("tokenizer.json") + " --input " + path("bytes.jsonl"));
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.output.find("bytes.jsonl:2: invalid JSON at byte"), std::string::npos) << r.output;

    write("broken.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": [7]}}");
    r = run("--tokenizer " + path("broken.json") + " < /dev/null");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.output.find("broken.json: model: merges[0] must be a string"), std::string::npos) << r.output;

    r = run("--decode");
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.output.find("--tokenizer PATH is required"), std::string::npos) << r.output;
}

}  // namespace
