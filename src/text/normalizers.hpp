// The normalizers of tokenizer.json ("normalizer"): NFC, NFD, NFKC, NFKD, Lowercase, Strip,
// Replace, Prepend, Precompiled, StripAccents, NMT, BertNormalizer and Sequence, each behaving as
// in the Hugging Face tokenizers library.
#pragma once

#include <memory>
#include <string_view>

#include "core/json.hpp"
#include "text/normalized_string.hpp"

namespace gavel::text {

class Normalizer {
public:
    virtual ~Normalizer() = default;
    virtual void normalize(NormalizedString& text) const = 0;
};

// Builds a normalizer from its JSON object; `where` (e.g. "tokenizer.json: normalizer") starts
// error messages, which name the field at fault. A null value gives nullptr.
std::unique_ptr<Normalizer> make_normalizer(const Json& config, const std::string& where);

}  // namespace gavel::text
