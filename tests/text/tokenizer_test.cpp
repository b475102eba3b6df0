// The tokenizer.json pipeline on small hand-written files: each expectation below is what the
// Hugging Face tokenizers library gives for the same file (its documented examples where there is
// one). The real Qwen and XLM-R files are compared line by line in the parity test.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/json.hpp"
#include "core/thread_pool.hpp"
#include "text/tokenizer.hpp"

namespace gavel::text {
namespace {

using Ids = std::vector<int32_t>;

Json base(Json model) {
    return Json{{"version", "1.0"},          {"truncation", nullptr},
                {"padding", nullptr},        {"added_tokens", Json::array()},
                {"normalizer", nullptr},     {"pre_tokenizer", nullptr},
                {"post_processor", nullptr}, {"decoder", nullptr},
                {"model", std::move(model)}};
}

Json bpe(Json merges, Json extra = Json::object()) {
    Json model{{"type", "BPE"},
               {"vocab",
                {{"a", 0},
                 {"b", 1},
                 {"c", 2},
                 {"ab", 3},
                 {"bc", 4},
                 {"abc", 5},
                 {"<unk>", 6},
                 {"\u2581", 7},
                 {"\u2581a", 8},
                 {"<0x78>", 9},
                 {"<0xC3>", 10},
                 {"<0xA9>", 11}}},
               {"merges", std::move(merges)}};
    for (auto it = extra.begin(); it != extra.end(); ++it) model[it.key()] = it.value();
    return model;
}

// A Unigram vocabulary: [[piece, score], ...] (an initializer list alone would become an object).
Json pieces(std::initializer_list<std::pair<const char*, double>> list) {
    Json out = Json::array();
    for (const auto& [piece, score] : list) out.push_back(Json::array({piece, score}));
    return out;
}

Tokenizer load(const Json& config) { return Tokenizer::from_json(config, "test.json"); }

std::string error_of(const Json& config) {
    try {
        load(config);
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

TEST(BpeModel, MergesByRankInBothFormats) {
    Tokenizer pairs = load(base(bpe(Json::array({{"a", "b"}, {"ab", "c"}}))));
    Tokenizer strings = load(base(bpe(Json::array({"a b", "ab c"}))));
    EXPECT_EQ(pairs.encode_ids("abc", false), (Ids{5}));
    EXPECT_EQ(strings.encode_ids("abc", false), (Ids{5}));
    // With "b c" ranked first, "abc" cannot become "ab" + "c".
    Tokenizer other = load(base(bpe(Json::array({"b c", "a b", "ab c"}))));
    EXPECT_EQ(other.encode_ids("abc", false), (Ids{0, 4}));
    EXPECT_EQ(other.encode_ids("abcabc", false), (Ids{0, 4, 0, 4}));
}

TEST(BpeModel, UnknownCharactersFuseOnlyWhenAsked) {
    Tokenizer fused = load(base(bpe(Json::array({"a b"}), {{"unk_token", "<unk>"}, {"fuse_unk", true}})));
    Tokenizer separate = load(base(bpe(Json::array({"a b"}), {{"unk_token", "<unk>"}, {"fuse_unk", false}})));
    Tokenizer dropped = load(base(bpe(Json::array({"a b"}))));
    EXPECT_EQ(fused.encode_ids("azzb", false), (Ids{0, 6, 1}));
    EXPECT_EQ(separate.encode_ids("azzb", false), (Ids{0, 6, 6, 1}));
    EXPECT_EQ(dropped.encode_ids("azzb", false), (Ids{3}));  // no unk token: HF drops them, and "a b" merges
}

TEST(BpeModel, ByteFallbackAndIgnoreMerges) {
    Tokenizer t = load(base(bpe(Json::array({"a b", "b c"}), {{"byte_fallback", true}, {"unk_token", "<unk>"}})));
    EXPECT_EQ(t.encode_ids("x\u00E9", false), (Ids{9, 10, 11}));
    EXPECT_EQ(t.encode_ids("q", false), (Ids{6}));  // no <0x71>: unk
    Tokenizer ignoring = load(base(bpe(Json::array({"b c", "a b"}), {{"ignore_merges", true}})));
    EXPECT_EQ(ignoring.encode_ids("abc", false), (Ids{5}));  // in the vocabulary as a whole
}

TEST(UnigramModel, ViterbiAsDocumentedByTheReference) {
    // tokenizers' own doc example: "abcdacdxx" -> ["abcd", "a", "cd", "xx"].
    Json model{{"type", "Unigram"},
               {"unk_id", 0},
               {"vocab", pieces({{"<unk>", 0.0},
                                 {"a", 0.0},
                                 {"b", 0.0},
                                 {"c", 0.0},
                                 {"d", 0.0},
                                 {"cd", 1.0},
                                 {"ab", 2.0},
                                 {"abc", 5.0},
                                 {"abcd", 10.0}})}};
    Tokenizer t = load(base(model));
    EXPECT_EQ(t.encode_ids("abcdacdxx", false), (Ids{8, 1, 5, 0}));
    Encoding e = t.encode("abcdacdxx", false);
    EXPECT_EQ(e.offsets, (std::vector<std::pair<size_t, size_t>>{{0, 4}, {4, 5}, {5, 7}, {7, 9}}));
}

Json xlmr_like() {
    Json model{{"type", "Unigram"},
               {"unk_id", 1},
               {"vocab", pieces({{"<s>", 0.0},
                                 {"<unk>", 0.0},
                                 {"</s>", 0.0},
                                 {"\u2581", -2.0},
                                 {"\u2581hello", -3.0},
                                 {"\u2581w\u00F6rld", -4.0},
                                 {"\u2581w", -5.0},
                                 {"\u00F6", -5.0},
                                 {"rld", -6.0},
                                 {"<mask>", 0.0}})}};
    Json t = base(model);
    t["added_tokens"] = Json::array({{{"id", 0},
                                      {"content", "<s>"},
                                      {"single_word", false},
                                      {"lstrip", false},
                                      {"rstrip", false},
                                      {"normalized", false},
                                      {"special", true}},
                                     {{"id", 2},
                                      {"content", "</s>"},
                                      {"single_word", false},
                                      {"lstrip", false},
                                      {"rstrip", false},
                                      {"normalized", false},
                                      {"special", true}},
                                     {{"id", 9},
                                      {"content", "<mask>"},
                                      {"single_word", false},
                                      {"lstrip", true},
                                      {"rstrip", false},
                                      {"normalized", false},
                                      {"special", true}}});
    t["pre_tokenizer"] = {
        {"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", "always"}, {"split", true}};
    t["decoder"] = {{"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", "always"}, {"split", true}};
    t["post_processor"] = {{"type", "RobertaProcessing"},
                           {"sep", {"</s>", 2}},
                           {"cls", {"<s>", 0}},
                           {"trim_offsets", true},
                           {"add_prefix_space", true}};
    return t;
}

TEST(Tokenizer, SpecialTokensAndOffsetsInBytes) {
    Tokenizer t = load(xlmr_like());
    EXPECT_EQ(t.encode_ids("hello w\u00F6rld", false), (Ids{4, 5}));
    EXPECT_EQ(t.encode_ids("hello w\u00F6rld", true), (Ids{0, 4, 5, 2}));
    // <mask> strips the spaces on its left.
    EXPECT_EQ(t.encode_ids("hello   <mask>", false), (Ids{4, 9}));
    Encoding e = t.encode("hello w\u00F6rld", true);
    ASSERT_EQ(e.offsets.size(), 4u);
    EXPECT_EQ(e.offsets[1], (std::pair<size_t, size_t>{0, 5}));
    EXPECT_EQ(e.offsets[2], (std::pair<size_t, size_t>{5, 12}));  // " wörld": ö is two bytes
    EXPECT_EQ(e.special_tokens_mask, (std::vector<uint8_t>{1, 0, 0, 1}));
    EXPECT_EQ(t.decode(e.ids, false), "<s> hello w\u00F6rld</s>");
    EXPECT_EQ(t.decode(e.ids, true), "hello w\u00F6rld");
    EXPECT_EQ(t.token_to_id("<mask>"), 9);
    EXPECT_EQ(t.id_to_token(5), "\u2581w\u00F6rld");
    EXPECT_EQ(t.vocab_size(), 10u);
}

TEST(Tokenizer, AddedTokenOptions) {
    // Like tokenizers' own added-vocabulary tests: single_word, lstrip/rstrip, normalized.
    Json t = base(bpe(Json::array({"a b"})));
    t["normalizer"] = {{"type", "Lowercase"}};
    t["added_tokens"] = Json::array({{{"id", 0},
                                      {"content", "<m>"},
                                      {"single_word", true},
                                      {"lstrip", false},
                                      {"rstrip", false},
                                      {"normalized", false},
                                      {"special", false}},
                                     {{"id", 0},
                                      {"content", "Cab"},
                                      {"single_word", false},
                                      {"lstrip", true},
                                      {"rstrip", true},
                                      {"normalized", true},
                                      {"special", false}}});
    Tokenizer tok = load(t);
    int32_t m = *tok.token_to_id("<m>"), cab = *tok.token_to_id("Cab");
    EXPECT_EQ(m, 12);
    EXPECT_EQ(cab, 13);
    EXPECT_EQ(tok.encode_ids("<m>", false), (Ids{m}));
    EXPECT_EQ(tok.encode_ids("a<m>", false), (Ids{0}));  // not a single word: '<','m','>' are unknown and dropped
    EXPECT_EQ(tok.encode_ids("a  CAB  b", false), (Ids{0, cab, 1}));  // matched after lowercasing, spaces stripped
    EXPECT_EQ(tok.id_to_token(cab), "cab");  // decoding shows the normalized content, as HF does
}

TEST(Tokenizer, TemplateTruncationAndPadding) {
    Json t = base(bpe(Json::array({"a b"})));
    t["added_tokens"] = Json::array({{{"id", 6},
                                      {"content", "<unk>"},
                                      {"single_word", false},
                                      {"lstrip", false},
                                      {"rstrip", false},
                                      {"normalized", false},
                                      {"special", true}}});
    Json special = {{"SpecialToken", {{"id", "<unk>"}, {"type_id", 0}}}};
    Json sequence = {{"Sequence", {{"id", "A"}, {"type_id", 0}}}};
    t["post_processor"] = {{"type", "TemplateProcessing"},
                           {"single", {special, sequence, special}},
                           {"pair", {special, sequence, special}},
                           {"special_tokens", {{"<unk>", {{"id", "<unk>"}, {"ids", {6}}, {"tokens", {"<unk>"}}}}}}};
    t["truncation"] = {{"max_length", 5}, {"stride", 0}, {"strategy", "LongestFirst"}, {"direction", "Left"}};
    t["padding"] = {{"strategy", {{"Fixed", 3}}}, {"direction", "Left"},  {"pad_to_multiple_of", 4}, {"pad_id", 7},
                    {"pad_type_id", 0},           {"pad_token", "\u2581"}};
    Tokenizer tok = load(t);
    // "ababcc" -> ab ab c c, truncated from the left to 5 - 2 specials = 3 tokens; 5 >= 4: no padding.
    EXPECT_EQ(tok.encode_ids("ababcc", true), (Ids{6, 3, 2, 2, 6}));
    EXPECT_EQ(tok.encode_ids("ab", true), (Ids{7, 6, 3, 6}));
    EXPECT_EQ(tok.encode_ids("ab", false), (Ids{7, 7, 7, 3}));
    Encoding e = tok.encode("ab", true);
    EXPECT_EQ(e.attention_mask, (std::vector<uint8_t>{0, 1, 1, 1}));
    ThreadPool pool(2);
    EXPECT_EQ(tok.encode_batch({"ab", "abcabc"}, true, pool), (std::vector<Ids>{{7, 6, 3, 6}, {6, 2, 3, 2, 6}}));
}

TEST(Tokenizer, BatchLongestPadsTheBatch) {
    Json t = base(bpe(Json::array({"a b"})));
    t["padding"] = {
        {"strategy", "BatchLongest"}, {"direction", "Right"}, {"pad_to_multiple_of", nullptr}, {"pad_id", 7},
        {"pad_type_id", 0},           {"pad_token", "\u2581"}};
    Tokenizer tok = load(t);
    ThreadPool pool(3);
    EXPECT_EQ(tok.encode_batch({"ab", "abcab", ""}, false, pool), (std::vector<Ids>{{3, 7, 7}, {3, 2, 3}, {7, 7, 7}}));
    EXPECT_EQ(tok.encode_ids("ab", false), (Ids{3}));  // a single text is its own longest
}

TEST(Tokenizer, DecoderChainOfLlamaFiles) {
    Json t = base(bpe(Json::array({"a b"}), {{"byte_fallback", true}}));
    t["normalizer"] = {{"type", "Sequence"},
                       {"normalizers",
                        {{{"type", "Prepend"}, {"prepend", "\u2581"}},
                         {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\u2581"}}}}};
    t["decoder"] = {{"type", "Sequence"},
                    {"decoders",
                     {{{"type", "Replace"}, {"pattern", {{"String", "\u2581"}}}, {"content", " "}},
                      {{"type", "ByteFallback"}},
                      {{"type", "Fuse"}},
                      {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}};
    Tokenizer tok = load(t);
    Ids ids = tok.encode_ids("ab x\u00E9", false);
    EXPECT_EQ(ids, (Ids{7, 3, 7, 9, 10, 11}));
    EXPECT_EQ(tok.decode(ids, false), "ab x\u00E9");
    EXPECT_EQ(tok.decode(Ids{10, 0}, false),
              "\xEF\xBF\xBD"
              "a");                                        // a lone 0xC3 byte becomes U+FFFD
    EXPECT_EQ(tok.decode(Ids{0, 12345, 1}, false), "ab");  // unknown ids are dropped
}

TEST(Tokenizer, RejectsBadInputWithTheByteOffset) {
    Tokenizer tok = load(base(bpe(Json::array({"a b"}))));
    try {
        tok.encode_ids(std::string("ab\xE2\x82", 4), false);
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("byte offset 2"), std::string::npos) << e.what();
    }
}

TEST(Tokenizer, ErrorsNameTheField) {
    EXPECT_NE(error_of(base(Json{{"type", "WordPiece"}, {"vocab", Json::object()}}))
                  .find("test.json: model: model type 'WordPiece' is not supported"),
              std::string::npos);
    EXPECT_NE(error_of(base(bpe(Json::array({"a b c"})))).find("merges[0] 'a b c'"), std::string::npos);
    EXPECT_NE(error_of(base(bpe(Json::array({"a q"})))).find("merges[0]: token 'q' is not in the vocabulary"),
              std::string::npos);
    Json t = base(bpe(Json::array()));
    t["normalizer"] = {{"type", "Sequence"}, {"normalizers", {{{"type", "NFC"}}, {{"type", "Uppercase"}}}}};
    EXPECT_NE(error_of(t).find("normalizer.normalizers[1]: normalizer type 'Uppercase' is not supported"),
              std::string::npos)
        << error_of(t);
    t["normalizer"] = {{"type", "Precompiled"}, {"precompiled_charsmap", "not base64!"}};
    EXPECT_NE(error_of(t).find("field 'precompiled_charsmap' is not valid base64"), std::string::npos);
    t["normalizer"] = {{"type", "Precompiled"}, {"precompiled_charsmap", "AAAA"}};
    EXPECT_NE(error_of(t).find("precompiled_charsmap"), std::string::npos);
    t["normalizer"] = nullptr;
    t["pre_tokenizer"] = {
        {"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}, {"invert", false}};
    EXPECT_NE(error_of(t).find("pre_tokenizer.pattern.Regex: regex '(unclosed' does not compile"), std::string::npos)
        << error_of(t);
    t["pre_tokenizer"] = {
        {"type", "Split"}, {"pattern", {{"Regex", "a"}}}, {"behavior", "Sideways"}, {"invert", false}};
    EXPECT_NE(error_of(t).find("unknown split behavior 'Sideways'"), std::string::npos);
    t["pre_tokenizer"] = nullptr;
    t["model"]["dropout"] = 0.1;
    EXPECT_NE(error_of(t).find("field 'dropout' is 0.1"), std::string::npos);
    EXPECT_NE(error_of(Json{{"version", "1.0"}}).find("missing field 'model'"), std::string::npos);
}

// Sizes that would make gavel allocate gigabytes (found by fuzz/tokenizer_json_fuzz.cpp) are refused.
TEST(Tokenizer, RefusesHugeIdsAndPadding) {
    Json t = base(Json{{"type", "BPE"}, {"vocab", {{"a", 0}, {"b", 2147483647}}}, {"merges", Json::array()}});
    EXPECT_NE(error_of(t).find("vocab entry 'b' has id 2147483647; gavel supports ids below 4194304"),
              std::string::npos)
        << error_of(t);
    t = base(bpe(Json::array()));
    t["padding"] = {{"strategy", {{"Fixed", 4000000000000}}}};
    EXPECT_NE(error_of(t).find("padding: padding length 4000000000000 is larger than gavel supports"),
              std::string::npos)
        << error_of(t);
    t["padding"] = {{"strategy", "BatchLongest"}, {"pad_to_multiple_of", int64_t(9223372036854775807)}};
    EXPECT_NE(error_of(t).find("field 'pad_to_multiple_of' must be between 0 and 1048576"), std::string::npos)
        << error_of(t);
    t["padding"] = {{"strategy", {{"Fixed", 1 << 20}}}, {"pad_to_multiple_of", 1 << 20}};
    EXPECT_EQ(error_of(t), "no error");
}

TEST(Tokenizer, BatchAgreesWithSingleEncodesOnManyThreads) {
    Tokenizer tok = load(xlmr_like());
    std::vector<std::string> texts;
    for (int i = 0; i < 2000; ++i)
        texts.push_back(std::string(size_t(i % 7), ' ') + "hello w\u00F6rld <mask> zz" + std::to_string(i));
    ThreadPool pool(4);
    auto batch = tok.encode_batch(texts, true, pool);
    for (size_t i = 0; i < texts.size(); ++i) ASSERT_EQ(batch[i], tok.encode_ids(texts[i], true)) << texts[i];
}

TEST(Tokenizer, LongLineWithoutSpaces) {
    // 4 MB of one word through the merge queue and the Viterbi search (bench/tokenizer_bench shows the
    // time per MB staying flat up to 10 MB on the real files); the results must rebuild the input.
    std::string line;
    for (size_t i = 0; line.size() < 4'000'000; ++i) line += (i % 3 == 0) ? "ab" : (i % 3 == 1 ? "c" : "abc");
    Tokenizer bpe_tok = load(base(bpe(Json::array({"a b", "b c", "ab c"}))));
    Ids ids = bpe_tok.encode_ids(line, false);
    std::string rebuilt;
    for (int32_t id : ids) rebuilt += bpe_tok.id_to_token(id);
    EXPECT_EQ(rebuilt, line);
    Json model{{"type", "Unigram"},
               {"unk_id", 0},
               {"vocab", pieces({{"<unk>", 0.0}, {"a", -1.0}, {"b", -1.0}, {"c", -1.0}, {"abc", -1.5}, {"ab", -1.2}})}};
    Tokenizer unigram = load(base(model));
    Ids uids = unigram.encode_ids(line, false);
    rebuilt.clear();
    for (int32_t id : uids) rebuilt += unigram.id_to_token(id);
    EXPECT_EQ(rebuilt, line);
}

}  // namespace
}  // namespace gavel::text
