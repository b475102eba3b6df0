// UTF-8 validation (the error offset gavel reports) and Rust-compatible lossy decoding.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "text/tokenizer.hpp"
#include "text/utf8.hpp"

namespace gavel::text {
namespace {

TEST(Utf8, FindsTheFirstInvalidByte) {
    EXPECT_EQ(find_invalid_utf8("plain ascii"), std::string_view::npos);
    EXPECT_EQ(find_invalid_utf8("Привет, 世界 😀"), std::string_view::npos);
    EXPECT_EQ(find_invalid_utf8(std::string_view("ab\xFFz", 4)), 2u);
    EXPECT_EQ(find_invalid_utf8("abcdefghij\xC3"), 10u);        // truncated at the end
    EXPECT_EQ(find_invalid_utf8("\xC0\xAF"), 0u);               // overlong '/'
    EXPECT_EQ(find_invalid_utf8("ok \xED\xA0\x80"), 3u);        // a surrogate
    EXPECT_EQ(find_invalid_utf8("\xF4\x90\x80\x80"), 0u);       // above U+10FFFF
    EXPECT_EQ(find_invalid_utf8("0123456789abcdef\x80"), 16u);  // after an ASCII fast run
}

TEST(Utf8, LossyDecodingReplacesEachMaximalInvalidSubpart) {
    // Rust's String::from_utf8_lossy on the same bytes.
    EXPECT_EQ(utf8_lossy("a\xF0\x9F\x98"), "a\xEF\xBF\xBD");        // one U+FFFD for a truncated sequence
    EXPECT_EQ(utf8_lossy("\xFF\xFE"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // one per invalid byte
    EXPECT_EQ(utf8_lossy("\xE0\x80\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // E0 80 is not a valid start
    EXPECT_EQ(utf8_lossy("x\xE2\x82y"), "x\xEF\xBF\xBDy");
    EXPECT_EQ(utf8_lossy("ok ✓"), "ok ✓");
}

TEST(Utf8, DecodeAndEncodeRoundTrip) {
    std::string all;
    for (char32_t c : {U'A', U'\u00E9', U'\u0800', U'\uFFFD', U'\U0001F600', U'\U0010FFFF'}) append_utf8(all, c);
    size_t i = 0;
    std::u32string back;
    while (i < all.size()) back.push_back(decode_utf8(all, i));
    EXPECT_EQ(back, (std::u32string{U'A', U'\u00E9', U'\u0800', U'\uFFFD', U'\U0001F600', U'\U0010FFFF'}));
    EXPECT_EQ(count_code_points(all), 6u);
}

TEST(Utf8, ErrorNamesTheByteOffset) {
    try {
        require_valid_utf8(std::string_view("hello \xC3(", 8), "input text");
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("invalid UTF-8 at byte offset 6 (byte 0xC3)"), std::string::npos)
            << e.what();
    }
}

}  // namespace
}  // namespace gavel::text
