#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "core/json.hpp"

namespace gavel {
namespace {

std::string run(const std::string& command) {
    std::string out;
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe) return out;
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
    pclose(pipe);
    return out;
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    size_t at = 0;
    while (at < text.size()) {
        size_t end = text.find('\n', at);
        if (end == std::string::npos) end = text.size();
        out.push_back(text.substr(at, end - at));
        at = end + 1;
    }
    return out;
}

// `gavel verdict` scores raw generations from any engine exactly like the judge does.
TEST(GavelVerdict, ScoresTheEvaluatorTableFromAFileAndStdin) {
    const std::string table = std::string(GAVEL_TEST_DATA) + "/con_j/verdicts.jsonl";
    std::vector<std::string> expected;
    std::ifstream in(table);
    std::string line;
    while (std::getline(in, line))
        if (!line.empty()) expected.push_back(Json::parse(line)["verdict"]);
    for (const std::string& input : {"--input " + table, std::string("< ") + table}) {
        auto out = lines(run(std::string(GAVEL_BINARY) + " verdict --protocol con-j " + input));
        ASSERT_EQ(out.size(), expected.size()) << input;
        for (size_t i = 0; i < out.size(); ++i)
            EXPECT_EQ(Json::parse(out[i]), Json({{"verdict", expected[i]}})) << "line " << i + 1;
    }
}

TEST(GavelVerdict, PrefixExplainAndErrors) {
    auto out = run("printf '%s\\n' '{\"text\": \" \\\"回答2更好\\\", \\\"更好的回答\\\": 2}\"}' | " + std::string(GAVEL_BINARY) +
                   " verdict --prefix ' {\"原因\":' --explain");
    Json j = Json::parse(out);
    EXPECT_EQ(j["verdict"], "B>A");
    EXPECT_EQ(j["path"], "whole-json");
    EXPECT_EQ(j["rationale"], "回答2更好");
    EXPECT_NE(run("echo '{\"txt\": 1}' | " + std::string(GAVEL_BINARY) + " verdict 2>&1").find("'text'"), std::string::npos);
    EXPECT_NE(run(std::string(GAVEL_BINARY) + " verdict --protocol jina < /dev/null 2>&1").find("unknown --protocol"),
              std::string::npos);
}

}  // namespace
}  // namespace gavel
