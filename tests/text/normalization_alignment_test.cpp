// Unicode normalization reorders combining marks (canonical ordering) and composes characters; the
// Hugging Face tokenizers library then hands out alignments to the original text by position, not
// by character (NormalizedString::transform over the (char, change) stream of its
// unicode-normalization-alignments crate). That decides Metaspace(prepend_scheme "first"), which
// prepends "▁" only to the piece that starts at original offset 0, and the tokens' offsets.
//
// Every expected id list and offset below was obtained from the reference: npm `tokenizers` 0.23.2
// (tools/reference/node_modules), `await Tokenizer.fromFile(f).encode(text, null,
// {addSpecialTokens: false})`, with f the file tokenizer() builds here, written out as JSON;
// getOffsets() there counts code points, converted to bytes below.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "core/json.hpp"
#include "text/tokenizer.hpp"

namespace gavel::text {
namespace {

using Ids = std::vector<int32_t>;
using Offsets = std::pair<size_t, size_t>;

// Unigram with byte fallback: <unk>=0, "▁"=1, "x"=2, "▁x"=3, <0x00>..<0xFF> = 4..259; pre-tokenizer
// WhitespaceSplit then Metaspace (no split), as the xlmr_byte_fallback parity variant.
Json tokenizer(Json normalizer, const char* prepend_scheme) {
    Json vocab = Json::array({Json::array({"<unk>", 0.0}), Json::array({"\u2581", -1.0}), Json::array({"x", -2.0}),
                              Json::array({"\u2581x", -1.5})});
    for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        vocab.push_back(Json::array({name, -10.0}));
    }
    Json metaspace = {
        {"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", prepend_scheme}, {"split", false}};
    return Json{{"version", "1.0"},
                {"truncation", nullptr},
                {"padding", nullptr},
                {"added_tokens", Json::array()},
                {"normalizer", std::move(normalizer)},
                {"pre_tokenizer",
                 {{"type", "Sequence"}, {"pretokenizers", Json::array({{{"type", "WhitespaceSplit"}}, metaspace})}}},
                {"post_processor", nullptr},
                {"decoder", nullptr},
                {"model", {{"type", "Unigram"}, {"unk_id", 0}, {"vocab", vocab}, {"byte_fallback", true}}}};
}

Json form(const char* name) { return Json{{"type", name}}; }

Ids encode(const Json& config, const std::string& text) {
    return Tokenizer::from_json(config, "test.json").encode_ids(text, false);
}

// The xlmr_byte_fallback variant's normalizer: NFKC, then runs of whitespace become one space.
Json nfkc_then_collapse_spaces() {
    return Json{{"type", "Sequence"},
                {"normalizers",
                 Json::array({form("NFKC"),
                              {{"type", "Replace"}, {"pattern", {{"Regex", "\\s+"}}}, {"content", " "}}})}};
}

// The parity corpus line (NormalizationTest.txt, Hebrew marks) that found the difference: NFKC
// moves U+05B0 (class 10) to the front of each word. The first normalized character still maps to
// original byte 0, so the first word gets "▁" (id 1); the others do not.
TEST(NormalizationAlignment, ReorderedMarksStillStartTheInput) {
    const std::string word = "\u0592\u05B7\u05BC\u05A5\u05B0\u05C0\u05C4\u05AD";
    const Ids bytes = {218, 180, 218, 187, 218, 192, 218, 169, 218, 150, 219, 132, 218, 177, 219, 136};
    Ids expected = {1};
    for (int k = 0; k < 5; ++k) expected.insert(expected.end(), bytes.begin(), bytes.end());
    EXPECT_EQ(encode(tokenizer(nfkc_then_collapse_spaces(), "first"),
                     word + " " + word + " " + word + " " + word + " " + word),
              expected);
}

// U+0301 (class 230) before U+0316 (class 220) at the start of each word: every form swaps them.
TEST(NormalizationAlignment, PrependFirstAfterReorderingInEveryForm) {
    const std::string text = "\u0301\u0316x \u0301\u0316x";
    for (const char* name : {"NFC", "NFD", "NFKC", "NFKD"}) {
        SCOPED_TRACE(name);
        EXPECT_EQ(encode(tokenizer(form(name), "first"), text), (Ids{1, 208, 154, 208, 133, 2, 208, 154, 208, 133, 2}));
        EXPECT_EQ(encode(tokenizer(form(name), "first"), "\u0592\u05B7 x"), (Ids{1, 218, 187, 218, 150, 2}));
        EXPECT_EQ(encode(tokenizer(form(name), "first"), "x \u0592\u05B7"), (Ids{3, 218, 187, 218, 150}));
    }
    EXPECT_EQ(encode(tokenizer(form("NFD"), "always"), text),
              (Ids{1, 208, 154, 208, 133, 2, 1, 208, 154, 208, 133, 2}));
    EXPECT_EQ(encode(tokenizer(form("NFD"), "always"), "x \u0592\u05B7"), (Ids{3, 1, 218, 187, 218, 150}));
}

// Hangul syllables decompose (NFD) into inserted jamo, and compose back (NFC) with the mark after
// them blocked; U+0301 then leads the second word.
TEST(NormalizationAlignment, HangulAndLeadingMarks) {
    const std::string text = "\uAC00\u0301 \u0301\uAC00";
    const Ids decomposed = {1, 229, 136, 132, 229, 137, 165, 208, 133, 208, 133, 229, 136, 132, 229, 137, 165};
    EXPECT_EQ(encode(tokenizer(form("NFD"), "first"), text), decomposed);
    EXPECT_EQ(encode(tokenizer(form("NFKD"), "first"), text), decomposed);
    EXPECT_EQ(encode(tokenizer(form("NFC"), "first"), text), (Ids{1, 238, 180, 132, 208, 133, 208, 133, 238, 180, 132}));
    EXPECT_EQ(encode(tokenizer(form("NFD"), "always"), text),
              (Ids{1, 229, 136, 132, 229, 137, 165, 208, 133, 1, 208, 133, 229, 136, 132, 229, 137, 165}));
}

// The "▁" HF prepends shares the alignment of the piece's first normalized character: after
// reordering that is the first original character (U+0301), not the one moved there (U+0316).
TEST(NormalizationAlignment, OffsetsFollowPositions) {
    Encoding e = Tokenizer::from_json(tokenizer(form("NFD"), "always"), "test.json")
                     .encode("\u0301\u0316x \u0301\u0316x", false);
    // Reference offsets in code points: [0,1] [0,2]x4 [2,3] [4,5] [4,6]x4 [6,7].
    std::vector<Offsets> expected = {{0, 2}};
    for (int k = 0; k < 4; ++k) expected.push_back({0, 4});
    expected.push_back({4, 5});
    expected.push_back({6, 8});
    for (int k = 0; k < 4; ++k) expected.push_back({6, 10});
    expected.push_back({10, 11});
    EXPECT_EQ(e.offsets, expected);
}

}  // namespace
}  // namespace gavel::text
