// The post-processors of tokenizer.json ("post_processor"): TemplateProcessing, RobertaProcessing,
// BertProcessing, ByteLevel and Sequence. They add the special tokens around a sequence when asked
// to, and (ByteLevel, Roberta) trim whitespace from token offsets.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/json.hpp"

namespace gavel::text {

struct Encoding;
class Tokenizer;

class PostProcessor {
public:
    virtual ~PostProcessor() = default;
    // Number of special tokens process() adds to a single sequence when add_special_tokens is on.
    virtual size_t added_tokens() const = 0;
    // Adds the special tokens (when add_special_tokens) and adjusts offsets. `input` is the text
    // the offsets refer to (for offset trimming).
    virtual void process(Encoding& encoding, bool add_special_tokens, std::string_view input) const = 0;
};

std::unique_ptr<PostProcessor> make_post_processor(const Json& config, const std::string& where);

}  // namespace gavel::text
