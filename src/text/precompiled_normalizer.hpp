// SentencePiece's precompiled character map (the `precompiled_charsmap` of a Precompiled
// normalizer): a double-array trie over UTF-8 keys whose values index a blob of NUL-terminated
// replacement strings. Applied the way the reference applies it: per grapheme cluster when the
// cluster is shorter than 6 bytes, otherwise per character, taking the shortest matching key.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "text/normalized_string.hpp"

namespace gavel::text {

class PrecompiledCharsmap {
public:
    // `charsmap` is the decoded (not base64) blob; `where` names it in errors.
    PrecompiledCharsmap(std::string charsmap, std::string_view where);

    // The replacement of the shortest key that is a prefix of `key`, if any.
    std::optional<std::string_view> shortest_match(std::string_view key) const;

    void normalize(NormalizedString& text) const;

private:
    std::vector<uint32_t> units_;
    std::string normalized_;  // replacement strings, each ending with '\0'
    uint8_t first_byte_has_key_[256] = {};
};

// Standard base64 (with padding), as the reference decodes `precompiled_charsmap`.
std::optional<std::string> decode_base64(std::string_view text);

}  // namespace gavel::text
