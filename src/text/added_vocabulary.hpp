// The added tokens of tokenizer.json ("added_tokens"): special and ordinary tokens that are cut out
// of the input before the model sees it, with HF's rules for ids, lstrip/rstrip, single_word and
// normalized matching (leftmost-longest, non-normalized ones on the raw input first).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/json.hpp"
#include "text/model.hpp"
#include "text/normalizers.hpp"
#include "text/pre_tokenizers.hpp"

namespace gavel::text {

struct AddedToken {
    std::string content;
    int32_t id = -1;
    bool single_word = false;
    bool lstrip = false;
    bool rstrip = false;
    bool normalized = true;
    bool special = false;
    // What decoding shows for this id: the normalized content for a normalized token whose
    // content the normalizer changes (HF's normalized_cache), otherwise the content.
    std::string decoded;
};

class AddedVocabulary {
public:
    AddedVocabulary() = default;
    // Reads the "added_tokens" array. Ids are assigned as HF does when it loads a file: a token
    // already in the model keeps the model's id, others get the next id after the model's
    // vocabulary (the ids written in the file are not used, like in HF).
    AddedVocabulary(const Json& list, const Model& model, const Normalizer* normalizer, const std::string& where);

    // HF extract_and_normalize: added tokens matched on the raw text, normalization of the rest,
    // then added tokens matched on the normalized text. Appends the splits to `out`.
    void extract_and_normalize(std::string_view text, const Normalizer* normalizer, bool track_alignments,
                               std::vector<Split>& out) const;

    std::optional<int32_t> token_to_id(std::string_view content) const;
    // The text decoding uses for this id (AddedToken::decoded), or nullptr.
    const std::string* id_to_token(int32_t id) const;
    bool is_special(std::string_view content) const { return special_.count(std::string(content)) != 0; }
    const std::vector<AddedToken>& tokens() const { return tokens_; }
    bool empty() const { return tokens_.empty(); }

private:
    // A byte trie giving leftmost-longest matches (Aho-Corasick MatchKind::LeftmostLongest).
    struct Matcher {
        struct Node {
            int32_t pattern = -1;  // index into `token_index`, or -1
            std::vector<std::pair<uint8_t, uint32_t>> children;
        };
        std::vector<Node> nodes{Node{}};
        std::vector<size_t> token_index;  // pattern -> index into tokens_
        bool first_byte[256] = {};
        bool empty() const { return token_index.empty(); }
        void add(std::string_view pattern, size_t token);
        // Longest pattern that starts at text[at], or -1.
        int32_t longest_at(std::string_view text, size_t at, size_t& end) const;
    };
    struct Match {
        size_t begin, end;
        int32_t id;  // -1: text between tokens
    };
    std::vector<Match> find_matches(std::string_view text, const Matcher& matcher) const;

    std::vector<AddedToken> tokens_;  // by id order of assignment; the live entry per id
    std::unordered_map<std::string, int32_t> content_to_id_;
    std::unordered_map<int32_t, size_t> id_to_index_;
    std::unordered_set<std::string> special_;
    Matcher raw_;
    Matcher normalized_;
};

}  // namespace gavel::text
