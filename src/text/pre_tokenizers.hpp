// The pre-tokenizers of tokenizer.json ("pre_tokenizer"): Split, ByteLevel, Metaspace, Whitespace,
// WhitespaceSplit, Digits, Punctuation, BertPreTokenizer, CharDelimiterSplit and Sequence. They cut
// the normalized text into pieces the model tokenizes one by one (HF PreTokenizedString).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "text/normalized_string.hpp"

namespace gavel::text {

// One piece of the text on its way to the model. An added token found in the input is a piece of
// its own that the model never sees.
struct Split {
    NormalizedString normalized;
    int32_t added_token_id = -1;
};

class PreTokenizer {
public:
    virtual ~PreTokenizer() = default;
    // Cuts every split that is not an added token; pieces that end up empty are dropped.
    virtual void pre_tokenize(std::vector<Split>& splits) const;
    // True when this pre-tokenizer reads original offsets (Metaspace with prepend_scheme "first").
    virtual bool needs_alignments() const { return false; }
    // Called once while loading, when the model can take raw bytes for GPT-2 byte-level characters:
    // a pre-tokenizer that ends with ByteLevel then leaves its pieces as raw bytes and returns true.
    virtual bool defer_byte_level_mapping() { return false; }

protected:
    // Cuts one piece; appends the resulting pieces (possibly empty ones) to `out`.
    virtual void split_piece(NormalizedString&& piece, std::vector<NormalizedString>& out) const = 0;
};

// Builds a pre-tokenizer from its JSON object (nullptr for null); errors start with `where`.
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const Json& config, const std::string& where);

// GPT-2's byte-to-character table: the character each byte becomes (as UTF-8), and back.
const std::string& byte_level_char(uint8_t byte);
// The byte a byte-level character stands for, or -1.
int byte_level_byte(char32_t c);
// Each byte of `bytes` as its byte-level character.
std::string byte_level_encode(std::string_view bytes);

}  // namespace gavel::text
