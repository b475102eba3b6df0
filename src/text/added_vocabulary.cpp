#include "text/added_vocabulary.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "text/unicode.hpp"
#include "text/utf8.hpp"

namespace gavel::text {
namespace {

bool same_token(const AddedToken& a, const AddedToken& b) {
    return a.content == b.content && a.single_word == b.single_word && a.lstrip == b.lstrip && a.rstrip == b.rstrip &&
           a.normalized == b.normalized && a.special == b.special;
}

// The code point that ends text (text non-empty, valid UTF-8).
char32_t last_char(std::string_view text) {
    size_t start = text.size() - 1;
    while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
    return decode_utf8(text, start);
}

bool is_word_char(char32_t c) { return unicode::has(c, unicode::kRegexWord); }
bool is_space_char(char32_t c) { return unicode::has(c, unicode::kWhiteSpace); }

}  // namespace

void AddedVocabulary::Matcher::add(std::string_view pattern, size_t token) {
    if (pattern.empty()) return;
    uint32_t node = 0;
    for (char ch : pattern) {
        auto byte = static_cast<uint8_t>(ch);
        uint32_t next = UINT32_MAX;
        for (auto [b, child] : nodes[node].children)
            if (b == byte) next = child;
        if (next == UINT32_MAX) {
            next = uint32_t(nodes.size());
            nodes[node].children.emplace_back(byte, next);
            nodes.emplace_back();
        }
        node = next;
    }
    // Aho-Corasick keeps the first of identical patterns.
    if (nodes[node].pattern < 0) {
        nodes[node].pattern = int32_t(token_index.size());
        token_index.push_back(token);
    }
    first_byte[static_cast<uint8_t>(pattern[0])] = true;
}

int32_t AddedVocabulary::Matcher::longest_at(std::string_view text, size_t at, size_t& end) const {
    uint32_t node = 0;
    int32_t found = -1;
    for (size_t i = at; i < text.size(); ++i) {
        auto byte = static_cast<uint8_t>(text[i]);
        uint32_t next = UINT32_MAX;
        for (auto [b, child] : nodes[node].children)
            if (b == byte) {
                next = child;
                break;
            }
        if (next == UINT32_MAX) break;
        node = next;
        if (nodes[node].pattern >= 0) {
            found = nodes[node].pattern;
            end = i + 1;
        }
    }
    return found;
}

AddedVocabulary::AddedVocabulary(const Json& list, const Model& model, const Normalizer* normalizer,
                                 const std::string& where) {
    if (list.is_null()) return;
    if (!list.is_array()) fail("{}: must be an array", where);
    std::vector<AddedToken> declared;
    for (size_t i = 0; i < list.size(); ++i) {
        std::string item_where = fmt::format("{}[{}]", where, i);
        const Json& item = list[i];
        AddedToken t;
        t.content = require_string(item, "content", item_where);
        t.single_word = optional_bool(item, "single_word", false, item_where);
        t.lstrip = optional_bool(item, "lstrip", false, item_where);
        t.rstrip = optional_bool(item, "rstrip", false, item_where);
        t.special = optional_bool(item, "special", false, item_where);
        t.normalized = optional_bool(item, "normalized", !t.special, item_where);
        declared.push_back(std::move(t));
    }

    // HF AddedVocabulary::add_tokens, as the tokenizer.json loader calls it.
    std::vector<AddedToken> special_order, ordinary_order;
    for (const AddedToken& t : declared) {
        if (t.special && !t.content.empty() && special_.insert(t.content).second) special_order.push_back(t);
    }
    std::unordered_map<int32_t, AddedToken> by_id;
    int64_t max_added = -1;
    const int64_t model_size = int64_t(model.vocab_size());
    for (const AddedToken& t : declared) {
        if (t.content.empty()) continue;
        // The same token again (content and options) is ignored.
        if (auto it = content_to_id_.find(t.content);
            it != content_to_id_.end() && by_id.count(it->second) && same_token(by_id[it->second], t))
            continue;
        int64_t id;
        if (auto it = content_to_id_.find(t.content); it != content_to_id_.end()) {
            id = it->second;
        } else if (auto model_id = model.token_to_id(t.content)) {
            id = *model_id;
        } else if (max_added < 0) {
            id = model_size;
        } else {
            id = (max_added >= model_size || model_size == 0) ? max_added + 1 : model_size;
        }
        if (id > INT32_MAX) fail("{}: too many added tokens", where);
        content_to_id_[t.content] = int32_t(id);
        by_id[int32_t(id)] = t;
        // HF takes the maximum over every id in its map, model ids included.
        max_added = std::max(max_added, id);
        if (!special_.count(t.content)) ordinary_order.push_back(t);
    }
    for (auto& [id, t] : by_id) {
        t.id = id;
        t.decoded = t.content;
        if (t.normalized && normalizer != nullptr) {
            NormalizedString normalized(t.content, 0, false);
            normalizer->normalize(normalized);
            t.decoded = normalized.get();
        }
        id_to_index_[id] = tokens_.size();
        tokens_.push_back(t);
    }
    // Matching patterns: special tokens first, then the others, in file order.
    auto add_pattern = [&](const AddedToken& t) {
        int32_t id = content_to_id_.at(t.content);
        size_t index = id_to_index_.at(id);
        if (t.normalized) {
            NormalizedString content(t.content, 0, false);
            if (normalizer != nullptr) normalizer->normalize(content);
            normalized_.add(content.get(), index);
        } else {
            raw_.add(t.content, index);
        }
    };
    for (const AddedToken& t : special_order) add_pattern(t);
    for (const AddedToken& t : ordinary_order) add_pattern(t);
}

std::vector<AddedVocabulary::Match> AddedVocabulary::find_matches(std::string_view text, const Matcher& matcher) const {
    std::vector<Match> splits;
    size_t start_offset = 0;
    size_t at = 0;
    while (at < text.size()) {
        if (!matcher.first_byte[static_cast<uint8_t>(text[at])]) {
            ++at;
            continue;
        }
        size_t stop = 0;
        int32_t pattern = matcher.longest_at(text, at, stop);
        if (pattern < 0) {
            ++at;
            continue;
        }
        size_t start = at;
        at = stop;  // the next search starts after this match, whether it is kept or not
        const AddedToken& token = tokens_[matcher.token_index[size_t(pattern)]];
        if (token.single_word) {
            bool start_space = start == 0 || !is_word_char(last_char(text.substr(0, start)));
            bool stop_space = stop == text.size() || [&] {
                size_t k = stop;
                return !is_word_char(decode_utf8(text, k));
            }();
            if (!start_space || !stop_space) continue;
        }
        if (token.lstrip) {
            size_t new_start = start;
            while (new_start > 0) {
                size_t k = new_start - 1;
                while (k > 0 && (static_cast<unsigned char>(text[k]) & 0xC0) == 0x80) --k;
                size_t probe = k;
                if (!is_space_char(decode_utf8(text, probe))) break;
                new_start = k;
            }
            start = std::max(new_start, start_offset);
        }
        if (token.rstrip) {
            while (stop < text.size()) {
                size_t k = stop;
                if (!is_space_char(decode_utf8(text, k))) break;
                stop = k;
            }
        }
        if (start_offset < start) splits.push_back({start_offset, start, -1});
        splits.push_back({start, stop, token.id});
        start_offset = stop;
    }
    if (start_offset != text.size()) splits.push_back({start_offset, text.size(), -1});
    return splits;
}

void AddedVocabulary::extract_and_normalize(std::string_view text, const Normalizer* normalizer, bool track_alignments,
                                            std::vector<Split>& out) const {
    std::vector<Match> first;
    if (raw_.empty()) {
        first.push_back({0, text.size(), -1});
    } else {
        first = find_matches(text, raw_);
    }
    for (const Match& m : first) {
        if (m.end <= m.begin) continue;
        NormalizedString piece(text.substr(m.begin, m.end - m.begin), m.begin, track_alignments);
        if (m.id >= 0) {
            out.push_back(Split{std::move(piece), m.id});
            continue;
        }
        if (normalizer != nullptr) normalizer->normalize(piece);
        if (normalized_.empty()) {
            if (!piece.empty()) out.push_back(Split{std::move(piece), -1});
            continue;
        }
        for (const Match& n : find_matches(piece.get(), normalized_)) {
            if (n.end <= n.begin) continue;
            out.push_back(Split{piece.slice(n.begin, n.end), n.id});
        }
    }
}

std::optional<int32_t> AddedVocabulary::token_to_id(std::string_view content) const {
    auto it = content_to_id_.find(std::string(content));
    if (it == content_to_id_.end()) return std::nullopt;
    return it->second;
}

const std::string* AddedVocabulary::id_to_token(int32_t id) const {
    auto it = id_to_index_.find(id);
    if (it == id_to_index_.end()) return nullptr;
    return &tokens_[it->second].decoded;
}

}  // namespace gavel::text
