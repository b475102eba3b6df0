// The decoders of tokenizer.json ("decoder"): ByteLevel, Metaspace, ByteFallback, Fuse, Strip,
// Replace, WordPiece, BPEDecoder and Sequence. Each rewrites the list of token strings (HF
// decode_chain); the decoded text is their concatenation.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/json.hpp"

namespace gavel::text {

class Decoder {
public:
    virtual ~Decoder() = default;
    virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
};

std::unique_ptr<Decoder> make_decoder(const Json& config, const std::string& where);

}  // namespace gavel::text
