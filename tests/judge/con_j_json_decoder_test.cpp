#include <gtest/gtest.h>

#include <cmath>

#include "judge/con_j_json_decoder.hpp"

namespace gavel {
namespace {

TEST(ConJJsonDecoder, DecodesStrictJsonAsJsonLoads) {
    ConJJsonDecoder d;
    auto v = d.decode(" {\"a\": [1, 2.5, -3e2, true, false, null, \"x\\u00e9\\ud83d\\ude00\\n\"]} ");
    ASSERT_TRUE(v);
    EXPECT_EQ((*v)["a"][0], 1);
    EXPECT_DOUBLE_EQ((*v)["a"][1].get<double>(), 2.5);
    EXPECT_DOUBLE_EQ((*v)["a"][2].get<double>(), -300.0);
    EXPECT_EQ((*v)["a"][6], "x\u00e9\U0001F600\n");
    EXPECT_TRUE(d.decode("NaN"));
    EXPECT_TRUE(std::isinf(d.decode("-Infinity")->get<double>()));
    EXPECT_EQ(*d.decode("{\"k\": 1, \"k\": 2}"), Json({{"k", 2}}));  // the last duplicate wins
}

TEST(ConJJsonDecoder, AcceptsDemjsonLeniencies) {
    ConJJsonDecoder d;
    EXPECT_EQ(*d.decode("{'a': 'b'}"), Json({{"a", "b"}}));
    EXPECT_EQ(*d.decode("{a: 1, $b_2: 2}"), Json({{"a", 1}, {"$b_2", 2}}));
    EXPECT_EQ(*d.decode("{ 原因: 1, a原因: 2}"), Json({{"原因", 1}, {"a原因", 2}}));
    EXPECT_EQ(*d.decode("[1, 2,]"), Json({1, 2}));
    EXPECT_EQ(*d.decode("{\"a\": 1,}"), Json({{"a", 1}}));
    EXPECT_EQ(*d.decode("[1,,2]"), Json({1, nullptr, 2}));
    EXPECT_EQ(*d.decode("/* c */ [1, // d\n 2]"), Json({1, 2}));
    EXPECT_EQ(*d.decode("0x1F"), 31);
    EXPECT_EQ(*d.decode("0o17"), 15);
    EXPECT_EQ(*d.decode("0b101"), 5);
    EXPECT_EQ(*d.decode("-+-7"), 7);
    EXPECT_EQ(*d.decode("007"), 7);
    EXPECT_EQ(*d.decode("010"), 8);  // legacy octal
    EXPECT_DOUBLE_EQ(d.decode("00.5")->get<double>(), 0.5);
    EXPECT_DOUBLE_EQ(d.decode(".5")->get<double>(), 0.5);
    EXPECT_DOUBLE_EQ(d.decode("5.")->get<double>(), 5.0);
    EXPECT_EQ(*d.decode("'\\x41\\v\\q\\''"), "A\vq'");
    EXPECT_EQ(*d.decode("\"\\101\\400\\08\\u{1F600}\""), "A 0" + std::string(1, '\0') + "8\U0001F600");
    EXPECT_EQ(*d.decode("\"a\xe2\x80\xa8" "b\""), std::string("a\u2028b"));  // U+2028 may appear raw
    EXPECT_EQ(*d.decode("\"tab\there\""), "tab\there");
    EXPECT_EQ(*d.decode("{1: 2}"), Json({{"1", 2}}));
    EXPECT_EQ(*d.decode("undefined"), nullptr);
}

TEST(ConJJsonDecoder, RejectsWhatBothReferencesReject) {
    ConJJsonDecoder d;
    for (const char* text : {"", "{", "{\"a\": 1} x", "{\"a\" 1}", "[\"a\" \"b\"]", "{\"a\": True}", "None",
                             "{\"a\": b}", "\"line\nbreak\"", "'unterminated", "/* open", "{,}", "[1 2]",
                             "{\"a\":1,,\"b\":2}", "0x", "1e", "-", "\xe2\x80\x9cx\xe2\x80\x9d", "truex", "08",
                             "{null: 1}", "- 1", "\"a\rb\"",
                             // demjson skips only ASCII white space and checks the first two characters
                             "\xe3\x80\x80[1]", "[1,\x0b2]", "{原因: 1}", "[\xc3\xa9]", "\xef\xbb\xbf[1]"})
        EXPECT_FALSE(d.decode(text)) << text;
    std::string deep(2000, '[');
    EXPECT_FALSE(d.decode(deep));
}

}  // namespace
}  // namespace gavel
