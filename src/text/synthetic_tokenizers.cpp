#include "text/synthetic_tokenizers.hpp"

#include <fmt/format.h>

#include <string>

#include "text/utf8.hpp"

namespace gavel::text {

namespace {

// GPT-2's bytes_to_unicode: printable bytes stand for themselves, the others for U+0100 + n.
std::string byte_symbol(int b, int& shifted) {
    bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    char32_t cp = printable ? char32_t(b) : char32_t(0x100 + shifted++);
    std::string out;
    if (cp < 0x80) {
        out += char(cp);
    } else {
        out += char(0xC0 | (cp >> 6));
        out += char(0x80 | (cp & 0x3F));
    }
    return out;
}

Json added_token(int id, const std::string& content, bool normalized) {
    return {{"id", id}, {"content", content}, {"single_word", false}, {"lstrip", false},
            {"rstrip", false}, {"normalized", normalized}, {"special", true}};
}


}  // namespace

Json synthetic_qwen2_tokenizer() {
    Json vocab = Json::object();
    int shifted = 0;
    for (int b = 0; b < 256; ++b) vocab[byte_symbol(b, shifted)] = b;
    Json byte_level = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", true}};
    return {{"version", "1.0"},
            {"truncation", nullptr},
            {"padding", nullptr},
            {"added_tokens", Json::array({added_token(151643, "<|endoftext|>", false),
                                          added_token(151644, "<|im_start|>", false),
                                          added_token(151645, "<|im_end|>", false)})},
            {"normalizer", {{"type", "NFC"}}},
            {"pre_tokenizer", byte_level},
            {"post_processor", byte_level},
            {"decoder", byte_level},
            {"model",
             {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", ""},
              {"end_of_word_suffix", ""}, {"fuse_unk", false}, {"byte_fallback", false}, {"ignore_merges", false},
              {"vocab", vocab}, {"merges", Json::array()}}}};
}

Json synthetic_xlmr_tokenizer() {
    Json vocab = Json::array();
    for (const char* special : {"<s>", "<pad>", "</s>", "<unk>"}) vocab.push_back(Json::array({special, 0.0}));
    for (int b = 0; b < 256; ++b) vocab.push_back(Json::array({fmt::format("<0x{:02X}>", b), -20.0}));
    const std::string marker = "\xE2\x96\x81";  // U+2581, SentencePiece's word-start mark
    vocab.push_back(Json::array({marker, -3.0}));
    auto add_char = [&](char32_t cp) {
        std::string c;
        append_utf8(c, cp);
        vocab.push_back(Json::array({c, -6.0}));
        vocab.push_back(Json::array({marker + c, -5.0}));
    };
    for (char32_t cp = '!'; cp <= '~'; ++cp) add_char(cp);
    for (char32_t cp = 0x410; cp <= 0x44F; ++cp) add_char(cp);  // А..я
    Json added = Json::array({added_token(0, "<s>", false), added_token(1, "<pad>", false),
                              added_token(2, "</s>", false), added_token(3, "<unk>", false)});
    Json metaspace = {{"type", "Metaspace"}, {"replacement", marker}, {"prepend_scheme", "always"}, {"split", true}};
    return {{"version", "1.0"},
            {"truncation", nullptr},
            {"padding", nullptr},
            {"added_tokens", added},
            {"normalizer", nullptr},
            {"pre_tokenizer", metaspace},
            {"post_processor",
             {{"type", "RobertaProcessing"}, {"sep", Json::array({"</s>", 2})}, {"cls", Json::array({"<s>", 0})},
              {"trim_offsets", true}, {"add_prefix_space", true}}},
            {"decoder", metaspace},
            {"model", {{"type", "Unigram"}, {"unk_id", 3}, {"vocab", vocab}, {"byte_fallback", true}}}};
}

}  // namespace gavel::text
