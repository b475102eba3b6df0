// The hand-written GPT-family split matchers must give exactly Oniguruma's matches for the same
// regexes. Random texts are drawn from characters whose classes agree between gavel's tables and the
// system's Oniguruma (their Unicode versions differ only for recently added characters).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "text/split_pattern.hpp"
#include "text/utf8.hpp"

namespace gavel::text {
namespace {

constexpr const char* kGpt2 = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
constexpr const char* kQwen2 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr const char* kCl100k =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

std::string random_text(std::mt19937& rng) {
    static const std::vector<char32_t> pool = {
        U'a',      U'b',      U'Z',      U's',      U'S',      U't',      U'T',      U'r',          U'e',
        U'E',      U'v',      U'm',      U'l',      U'L',      U'd',      U'D',      U'\'',         U'\'',
        U'0',      U'7',      U'9',      U' ',      U' ',      U' ',      U'\t',     U'\n',         U'\n',
        U'\r',     U'\v',     U'\f',     U'.',      U',',      U'!',      U'-',      U'_',          U'"',
        U'(',      U'\u00A0', U'\u00E9', U'\u00B2', U'\u00BD', U'\u017F', U'\u0416', U'\u0436',     U'\u0301',
        U'\u0660', U'\u2028', U'\u3000', U'\u4E2D', U'\u6587', U'\uFF11', U'\u2163', U'\U0001F600', U'\U0001F3FD',
        U'\u200D', U'\u2019', U'\u0085', U'\u180E', U'\u200B', U'\u0E01', U'\u0E31', U'\u0915',     U'\u094D',
        U'$',      U'+'};
    std::string s;
    size_t n = rng() % 24;
    for (size_t i = 0; i < n; ++i) append_utf8(s, pool[rng() % pool.size()]);
    return s;
}

void expect_same_matches(const char* regex, size_t texts) {
    SplitPattern native = SplitPattern::regex(regex, "test");
    SplitPattern onig = SplitPattern::oniguruma(regex, "test");
    ASSERT_TRUE(native.is_native());
    ASSERT_FALSE(onig.is_native());
    std::mt19937 rng(42);
    for (size_t k = 0; k < texts; ++k) {
        std::string text = random_text(rng);
        std::vector<std::pair<size_t, size_t>> a, b;
        native.find_all(text, a);
        onig.find_all(text, b);
        ASSERT_EQ(a, b) << "text: " << text;
    }
}

TEST(GptSplitPattern, Gpt2MatchesOniguruma) { expect_same_matches(kGpt2, 30000); }
TEST(GptSplitPattern, Qwen2MatchesOniguruma) { expect_same_matches(kQwen2, 30000); }
TEST(GptSplitPattern, Cl100kMatchesOniguruma) { expect_same_matches(kCl100k, 30000); }

TEST(GptSplitPattern, OnlyExactSpellingsAreRecognized) {
    EXPECT_TRUE(GptSplitPattern::recognize(kQwen2).has_value());
    EXPECT_FALSE(GptSplitPattern::recognize(std::string(kQwen2) + "|x").has_value());
    EXPECT_FALSE(SplitPattern::regex("\\s+", "test").is_native());
}

TEST(GptSplitPattern, QwenSplitsAsDocumented) {
    SplitPattern p = SplitPattern::regex(kQwen2, "test");
    std::string text = "I'M here  123\n\n  x";
    std::vector<std::pair<size_t, size_t>> m;
    p.find_all(text, m);
    std::vector<std::string> pieces;
    for (auto [b, e] : m) pieces.push_back(text.substr(b, e - b));
    EXPECT_EQ(pieces, (std::vector<std::string>{"I", "'M", " here", " ", " ", "1", "2", "3", "\n\n", " ", " x"}));
}

}  // namespace
}  // namespace gavel::text
