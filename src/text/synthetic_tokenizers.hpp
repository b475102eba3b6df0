// Small but complete tokenizer.json files for generated test models, so that `gavel demo` and
// tests run the whole text path offline. Real vocabularies come from the real files; these only
// need to cover any input (bytes) and carry each model's special tokens at their real ids.
#pragma once

#include "core/json.hpp"

namespace gavel::text {

// Byte-level BPE as Qwen2's (NFC, ByteLevel pre-tokenizer, decoder and post-processor): the 256
// byte symbols as ids 0-255 and no merges (one token per byte), with <|endoftext|>,
// <|im_start|>, <|im_end|> at their Qwen2 ids 151643-151645.
Json synthetic_qwen2_tokenizer();

// SentencePiece-style Unigram as XLM-R's (Metaspace, <s> $A </s>): <s>=0, <pad>=1, </s>=2,
// <unk>=3, printable ASCII and Cyrillic pieces with and without the "▁" prefix, and the 256
// <0xXX> byte pieces so that byte fallback covers every other character.
Json synthetic_xlmr_tokenizer();

}  // namespace gavel::text
