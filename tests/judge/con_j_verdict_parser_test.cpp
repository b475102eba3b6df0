#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <vector>
#include <string>

#include "core/json.hpp"
#include "judge/con_j_verdict_parser.hpp"

namespace gavel {
namespace {

// tests/data/con_j/verdicts.jsonl: raw generations with the verdict and parser path of models.md §1.8.
// tests/reference/con_j_verdict_reference.py checks the same table with Python's re, json and demjson.
TEST(ConJVerdictParser, MatchesTheEvaluatorTable) {
    std::ifstream in(std::string(GAVEL_TEST_DATA) + "/con_j/verdicts.jsonl");
    ASSERT_TRUE(in.good());
    ConJVerdictParser parser;
    std::string line;
    int rows = 0;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        ++rows;
        Json row = Json::parse(line);
        std::string text = row["text"];
        ConJParse parse = parser.parse(text);
        EXPECT_EQ(verdict_name(parse.verdict()), row["verdict"].get<std::string>()) << "row " << rows << ": " << text;
        EXPECT_EQ(parse.path, row["path"].get<std::string>()) << "row " << rows << ": " << text;
    }
    EXPECT_GE(rows, 40);
}

TEST(ConJVerdictParser, KeepsTheRationaleOfJsonVerdicts) {
    ConJVerdictParser parser;
    auto parse = parser.parse("{\"原因\": \"回答2更完整。\", \"更好的回答\": 2}");
    EXPECT_EQ(parse.verdict(), Verdict::BWins);
    EXPECT_EQ(parse.rationale, "回答2更完整。");
    auto soft = parser.parse("更好的回答是1");
    EXPECT_EQ(soft.verdict(), Verdict::AWins);
    EXPECT_EQ(soft.soft_key, "更好的回答");
    EXPECT_TRUE(soft.rationale.empty());
}

TEST(ConJVerdictParser, NeverGuessesOnGarbage) {
    ConJVerdictParser parser;
    for (const char* text : {"", "   ", "{", "}", "{}", "```json", "```json```", "[]", "null", "\xff\xfe", "{\"a\":"})
        EXPECT_EQ(parser.parse(text).verdict(), Verdict::ParseFailed) << text;
}

// Random soups of the characters and words the parser reacts to: never a crash, never an exception,
// and a verdict always comes with the path that found it.
TEST(ConJVerdictParser, SurvivesRandomSoups) {
    const std::vector<std::string> pieces = {"{", "}", "[", "]", "\"", "'", ":", ",", " ", "\n", "\\", "```json", "```",
                                             "1", "2", "１", "２", "|", "^", "更好的回答", "回答", "答案", "原因", "better answer",
                                             "true", "NaN", "0x", "/*", "*/", "//", "\xe3\x80\x80", "\xff", "\u00e9"};
    std::mt19937 rng(5);
    ConJVerdictParser parser;
    for (int round = 0; round < 3000; ++round) {
        std::string text;
        for (int n = int(rng() % 40); n > 0; --n) text += pieces[rng() % pieces.size()];
        ConJParse parse = parser.parse(text);
        ASSERT_EQ(parse.better.has_value(), parse.path != "none") << text;
        if (parse.better) {
            ASSERT_TRUE(*parse.better == 1 || *parse.better == 2) << text;
        }
    }
}

}  // namespace
}  // namespace gavel
