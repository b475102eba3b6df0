// The vocabulary model of tokenizer.json ("model"): turns one pre-tokenized piece into token ids.
// Implementations: BpeModel (bpe_model.hpp) and UnigramModel (unigram_model.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"

namespace gavel::text {

// A token of one piece: its id and its byte range within the piece.
struct PieceToken {
    int32_t id;
    uint32_t begin, end;
};

class Model {
public:
    virtual ~Model() = default;
    // Appends the tokens of `piece` (non-empty) to `out`.
    virtual void tokenize(std::string_view piece, std::vector<PieceToken>& out) const = 0;
    virtual std::optional<int32_t> token_to_id(std::string_view token) const = 0;
    // The token's text, or nullptr for an id outside the vocabulary.
    virtual const std::string* id_to_token(int32_t id) const = 0;
    // One more than the largest id.
    virtual size_t vocab_size() const = 0;
};

// Builds the model from its JSON object; errors start with `where`.
std::unique_ptr<Model> make_model(const Json& config, const std::string& where);

}  // namespace gavel::text
