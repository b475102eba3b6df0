// Fuzzes the tokenizer.json loader and the pipeline it builds. The input is a tokenizer.json, then
// optionally a NUL byte and a text (any bytes, often invalid UTF-8). Loading must give a tokenizer or
// throw gavel::Error; a loaded tokenizer must encode fixed texts and the text after the NUL (or
// throw gavel::Error, as it must for invalid UTF-8), and decode what it encoded and arbitrary ids.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/json.hpp"
#include "text/tokenizer.hpp"

namespace {

void exercise(const gavel::text::Tokenizer& t, std::string_view text) {
    for (bool special : {false, true}) {
        gavel::text::Encoding e;
        try {
            e = t.encode(text, special);
        } catch (const gavel::Error&) {
            continue;
        }
        if (e.ids.size() != e.offsets.size() || e.ids.size() != e.tokens.size() ||
            e.ids.size() != e.special_tokens_mask.size() || e.ids.size() != e.attention_mask.size())
            std::abort();
        for (const auto& [begin, end] : e.offsets)
            if (begin > end || end > text.size()) std::abort();
        try {
            if (t.encode_ids(text, special) != e.ids) std::abort();
        } catch (const gavel::Error&) {
            std::abort();  // encode succeeded on the same text
        }
        for (bool skip : {false, true}) {
            try {
                t.decode(e.ids, skip);
            } catch (const gavel::Error&) {
            }
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    size_t nul = input.find('\0');
    std::string_view json_text = input.substr(0, nul);
    std::string_view tail = nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);

    std::optional<gavel::text::Tokenizer> t;
    try {
        t.emplace(gavel::text::Tokenizer::from_json(gavel::parse_json(json_text, "fuzz"), "tokenizer.json"));
    } catch (const gavel::Error&) {
        return 0;
    }
    static const char* const kTexts[] = {
        "",
        "Hello world, <s> </s> <mask> <unk> <|im_start|>user\n  Привет\tмир 12345 ",
        "\u0301\u0316x \u0592\u05B7\u05BC\u05A5\u05B0 \uAC00\u0301 \u2581\u2581 \U0001F469\u200D\U0001F4BB e\u0301",
        "\xff\xfe invalid \xc3",
    };
    for (const char* text : kTexts) exercise(*t, text);
    exercise(*t, tail);
    exercise(*t, input);
    try {
        t->normalize(tail);
        t->pre_tokenize(tail);
    } catch (const gavel::Error&) {
    }
    // Arbitrary ids from the tail: unknown ones decode or throw gavel::Error.
    std::vector<int32_t> ids;
    for (size_t i = 0; i + 4 <= tail.size() && ids.size() < 64; i += 4) {
        int32_t id;
        std::memcpy(&id, tail.data() + i, 4);
        ids.push_back(id % 1024);
    }
    for (bool skip : {false, true}) {
        try {
            t->decode(ids, skip);
        } catch (const gavel::Error&) {
        }
    }
    for (int32_t id : ids) {
        std::string token = t->id_to_token(id);
        if (!token.empty() && !t->token_to_id(token)) std::abort();
    }
    return 0;
}
