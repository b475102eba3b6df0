// gavel's Unicode tables against the Unicode Character Database's own test files (Debian's
// unicode-data): NormalizationTest.txt for the four forms, restricted to characters of Unicode 9.0
// or earlier (the reference's normalization tables), and GraphemeBreakTest.txt.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "text/grapheme.hpp"
#include "text/normalized_string.hpp"
#include "text/unicode.hpp"
#include "text/unicode_normalization.hpp"
#include "text/utf8.hpp"

namespace gavel::text {
namespace {

const std::string kUcd = "/usr/share/unicode/";

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Debian ships NormalizationTest.txt compressed; Python (a build dependency) decompresses it.
std::string normalization_test_text() {
    std::string plain = read_file(kUcd + "NormalizationTest.txt");
    if (!plain.empty()) return plain;
    FILE* pipe = popen(("python3 -c \"import bz2,sys; sys.stdout.buffer.write(bz2.open('" + kUcd +
                        "NormalizationTest.txt.bz2').read())\"")
                           .c_str(),
                       "r");
    if (pipe == nullptr) return {};
    std::string out;
    char buffer[65536];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
    pclose(pipe);
    return out;
}

std::vector<char32_t> code_points(const std::string& field) {
    std::vector<char32_t> out;
    std::istringstream in(field);
    std::string hex;
    while (in >> hex) out.push_back(char32_t(std::stoul(hex, nullptr, 16)));
    return out;
}

std::string utf8(const std::vector<char32_t>& cps) {
    std::string s;
    for (char32_t c : cps) append_utf8(s, c);
    return s;
}

// Code points first assigned after Unicode 9.0.
std::vector<bool> newer_than_9() {
    std::vector<bool> newer(0x110000, false);
    std::istringstream in(read_file(kUcd + "DerivedAge.txt"));
    std::string line;
    while (std::getline(in, line)) {
        line = line.substr(0, line.find('#'));
        size_t semi = line.find(';');
        if (semi == std::string::npos) continue;
        std::string range = line.substr(0, semi);
        double version = std::stod(line.substr(semi + 1));
        size_t dots = range.find("..");
        unsigned long a = std::stoul(range, nullptr, 16);
        unsigned long b = dots == std::string::npos ? a : std::stoul(range.substr(dots + 2), nullptr, 16);
        if (version > 9.0 + 1e-9)
            for (unsigned long c = a; c <= b; ++c) newer[c] = true;
    }
    return newer;
}

std::string normalize(const std::string& s, NormalizationForm form, bool track) {
    NormalizedString n(s, 0, track);
    normalize_unicode(n, form);
    return n.get();
}

TEST(UnicodeNormalization, MatchesNormalizationTestForUnicode9Characters) {
    std::string text = normalization_test_text();
    ASSERT_FALSE(text.empty()) << "cannot read " << kUcd << "NormalizationTest.txt(.bz2); install unicode-data";
    std::vector<bool> newer = newer_than_9();
    std::istringstream in(text);
    std::string line;
    size_t checked = 0, skipped = 0, failures = 0;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#' || line[0] == '@') continue;
        std::vector<std::vector<char32_t>> c;
        size_t start = 0;
        for (int k = 0; k < 5; ++k) {
            size_t semi = line.find(';', start);
            c.push_back(code_points(line.substr(start, semi - start)));
            start = semi + 1;
        }
        bool old = true;
        for (const auto& column : c)
            for (char32_t cp : column) old = old && !newer[cp];
        if (!old) {
            ++skipped;
            continue;
        }
        ++checked;
        const std::string source = utf8(c[0]);
        for (bool track : {false, true}) {
            bool ok = normalize(source, NormalizationForm::NFC, track) == utf8(c[1]) &&
                      normalize(source, NormalizationForm::NFD, track) == utf8(c[2]) &&
                      normalize(source, NormalizationForm::NFKC, track) == utf8(c[3]) &&
                      normalize(source, NormalizationForm::NFKD, track) == utf8(c[4]);
            if (!ok && ++failures <= 5) ADD_FAILURE() << "NormalizationTest line: " << line;
        }
    }
    EXPECT_GT(checked, 18000u);
    EXPECT_GT(skipped, 0u);  // characters newer than 9.0 exist and are left to the parity test
}

TEST(UnicodeNormalization, NewerCharactersKeepUnicode9Behaviour) {
    // U+1E030 (Unicode 15) has a compatibility decomposition that the reference does not know.
    EXPECT_EQ(normalize("\U0001E030", NormalizationForm::NFKD, false), "\U0001E030");
    EXPECT_EQ(normalize("e\u0301", NormalizationForm::NFC, false), "\u00E9");
    EXPECT_EQ(normalize("\uAC00", NormalizationForm::NFD, false), "\u1100\u1161");
}

TEST(UnicodeNormalization, TracksAlignmentsOfChangedCharacters) {
    NormalizedString n("x\u00E9y", 10, true);  // é is 2 bytes at 11..13
    normalize_unicode(n, NormalizationForm::NFD);
    ASSERT_EQ(n.get(), "xe\u0301y");
    EXPECT_EQ(n.original_range(0, 1), (std::pair<size_t, size_t>{10, 11}));
    EXPECT_EQ(n.original_range(1, 4), (std::pair<size_t, size_t>{11, 13}));  // e and the accent: é
    EXPECT_EQ(n.original_range(4, 5), (std::pair<size_t, size_t>{13, 14}));
}

TEST(Grapheme, MatchesGraphemeBreakTest) {
    std::istringstream in(read_file(kUcd + "auxiliary/GraphemeBreakTest.txt"));
    std::string line;
    size_t checked = 0;
    while (std::getline(in, line)) {
        line = line.substr(0, line.find('#'));
        if (line.find("÷") == std::string::npos) continue;
        // "÷ 0020 × 0308 ÷ 0020 ÷": build the text and the expected boundaries.
        std::string text;
        std::vector<size_t> expected;
        std::istringstream items(line);
        std::string item;
        while (items >> item) {
            if (item == "÷") {
                if (!text.empty()) expected.push_back(text.size());
            } else if (item != "×") {
                append_utf8(text, char32_t(std::stoul(item, nullptr, 16)));
            }
        }
        std::vector<size_t> actual;
        for (size_t at = 0; at < text.size();) {
            at = next_grapheme_boundary(text, at);
            actual.push_back(at);
        }
        EXPECT_EQ(actual, expected) << line;
        ++checked;
    }
    EXPECT_GT(checked, 500u);
}

TEST(UnicodeClasses, FollowTheReferenceVersions) {
    using namespace unicode;
    EXPECT_TRUE(has(U'a', kOnigLetter));
    EXPECT_TRUE(has(U'\u0416', kOnigLetter));
    EXPECT_TRUE(has(U'\U00010D4A', kOnigLetter));  // Garay (Unicode 16): Oniguruma in the reference has it
    EXPECT_TRUE(has(U'\u00B2', kOnigNumber));
    EXPECT_FALSE(has(U'\u00B2', kRegexWord));  // Rust's \w: superscript two is not a word character
    EXPECT_TRUE(has(U'\u200C', kRegexWord));   // ... but ZWNJ is
    EXPECT_TRUE(has(U'\u3000', kWhiteSpace));
    EXPECT_FALSE(has(U'\u200B', kWhiteSpace));
    EXPECT_TRUE(has(U'$', kPunctuation));        // ASCII punctuation in the Rust sense
    EXPECT_FALSE(has(U'\u2E52', kPunctuation));  // newer than the unicode_categories crate
    char32_t lower[3];
    ASSERT_EQ(lowercase(U'\u0130', lower), 2u);
    EXPECT_EQ(lower[0], U'i');
    EXPECT_EQ(lower[1], U'\u0307');
    ASSERT_EQ(lowercase(U'\uA7CE', lower), 1u);  // Unicode 17, as Rust's char::to_lowercase
    EXPECT_EQ(lower[0], U'\uA7CF');
}

}  // namespace
}  // namespace gavel::text
