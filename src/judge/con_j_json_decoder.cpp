#include "judge/con_j_json_decoder.hpp"

#include <oniguruma.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include "core/error.hpp"

namespace gavel {

namespace {

// Deeper nesting than this is refused (Python's own decoders give up near 1000 levels).
constexpr int kMaxDepth = 512;

// One code point of UTF-8 at s[i]; malformed bytes decode as U+FFFD of length 1.
char32_t decode_utf8(std::string_view s, size_t i, size_t* length) {
    auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char b = byte(i);
    if (b < 0x80) {
        *length = 1;
        return b;
    }
    int n = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 0;
    if (n == 0 || i + size_t(n) > s.size()) {
        *length = 1;
        return 0xFFFD;
    }
    char32_t c = b & (0x7F >> n);
    for (int k = 1; k < n; ++k) {
        unsigned char cont = byte(i + size_t(k));
        if ((cont & 0xC0) != 0x80) {
            *length = 1;
            return 0xFFFD;
        }
        c = (c << 6) | (cont & 0x3F);
    }
    *length = size_t(n);
    return c;
}

void append_utf8(std::string& out, char32_t c) {
    if (c < 0x80) {
        out += char(c);
    } else if (c < 0x800) {
        out += char(0xC0 | (c >> 6));
        out += char(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        out += char(0xE0 | (c >> 12));
        out += char(0x80 | ((c >> 6) & 0x3F));
        out += char(0x80 | (c & 0x3F));
    } else {
        out += char(0xF0 | (c >> 18));
        out += char(0x80 | ((c >> 12) & 0x3F));
        out += char(0x80 | ((c >> 6) & 0x3F));
        out += char(0x80 | (c & 0x3F));
    }
}

// Raw characters that end a string literal in error (U+2028/U+2029 are let through by demjson).
bool is_string_breaker(char c) { return c == '\n' || c == '\r'; }

// The only white space demjson skips between tokens (its Unicode-space option is wired backwards).
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

class Parser {
public:
    Parser(const ConJJsonDecoder& decoder, std::string_view text) : decoder_(decoder), s_(text) {}

    std::optional<Json> document() {
        if (!sane_start()) return std::nullopt;
        if (!skip_space()) return std::nullopt;
        auto value = parse_value(0);
        if (!value || !skip_space() || pos_ != s_.size()) return std::nullopt;
        return value;
    }

private:
    // demjson's start check: unless the text starts with a quote, its first two characters must be
    // printable ASCII, or one of them white space, or both separators / format characters.
    bool sane_start() const {
        size_t n1, n2;
        if (s_.empty()) return true;
        char32_t first = decode_utf8(s_, 0, &n1);
        if (n1 >= s_.size()) return true;
        char32_t second = decode_utf8(s_, n1, &n2);
        if (first == '"' || first == '\'') return true;
        auto printable = [](char32_t c) { return c >= 0x20 && c <= 0x7F; };
        if (printable(first) && printable(second)) return true;
        if (decoder_.is_unicode_space(first) || decoder_.is_unicode_space(second)) return true;
        return decoder_.is_separator_or_format(first) && decoder_.is_separator_or_format(second);
    }

    bool at_end() const { return pos_ >= s_.size(); }
    char peek() const { return at_end() ? '\0' : s_[pos_]; }
    char32_t peek_code(size_t* length) const { return decode_utf8(s_, pos_, length); }
    bool starts_with(std::string_view word) const { return s_.substr(pos_, word.size()) == word; }

    // Skips white space and comments; false on an unterminated /* comment.
    bool skip_space() {
        while (!at_end()) {
            if (starts_with("//")) {
                while (!at_end() && peek() != '\n' && peek() != '\r' && !starts_with("\u2028") &&
                       !starts_with("\u2029"))
                    ++pos_;
                continue;
            }
            if (starts_with("/*")) {
                size_t end = s_.find("*/", pos_ + 2);
                if (end == std::string_view::npos) return false;
                pos_ = end + 2;
                continue;
            }
            if (!is_space(peek())) break;
            ++pos_;
        }
        return true;
    }

    std::optional<Json> parse_value(int depth) {
        if (depth > kMaxDepth || at_end()) return std::nullopt;
        char c = peek();
        if (c == '{') return parse_object(depth);
        if (c == '[') return parse_array(depth);
        if (c == '"' || c == '\'') {
            auto s = parse_string();
            if (!s) return std::nullopt;
            return Json(std::move(*s));
        }
        if (c == '+' || c == '-' || c == '.' || (c >= '0' && c <= '9') || starts_with("NaN") ||
            starts_with("Infinity"))
            return parse_number();
        for (auto [word, value] : {std::pair<std::string_view, Json>{"true", Json(true)},
                                   {"false", Json(false)}, {"null", Json(nullptr)}, {"undefined", Json(nullptr)}}) {
            if (starts_with(word) && !identifier_continues(pos_ + word.size())) {
                pos_ += word.size();
                return value;
            }
        }
        return std::nullopt;
    }

    bool identifier_continues(size_t at) const {
        if (at >= s_.size()) return false;
        size_t n;
        return decoder_.is_identifier_part(decode_utf8(s_, at, &n));
    }

    std::optional<Json> parse_object(int depth) {
        ++pos_;  // '{'
        Json object = Json::object();
        while (true) {
            if (!skip_space() || at_end()) return std::nullopt;
            if (peek() == '}') {
                ++pos_;
                return object;
            }
            auto key = parse_key();
            if (!key || !skip_space() || peek() != ':') return std::nullopt;
            ++pos_;
            if (!skip_space()) return std::nullopt;
            auto value = parse_value(depth + 1);
            if (!value) return std::nullopt;
            object[*key] = std::move(*value);  // a repeated key replaces the earlier value
            if (!skip_space()) return std::nullopt;
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == '}') {
                ++pos_;
                return object;
            }
            return std::nullopt;
        }
    }

    std::optional<std::string> parse_key() {
        char c = peek();
        if (c == '"' || c == '\'') return parse_string();
        if (c == '+' || c == '-' || c == '.' || (c >= '0' && c <= '9')) {
            auto number = parse_number();
            if (!number) return std::nullopt;
            return number->dump();
        }
        size_t n;
        if (!decoder_.is_identifier_start(peek_code(&n))) return std::nullopt;
        size_t begin = pos_;
        pos_ += n;
        while (!at_end() && decoder_.is_identifier_part(peek_code(&n))) pos_ += n;
        std::string key(s_.substr(begin, pos_ - begin));
        if (key == "null" || key == "true" || key == "false") return std::nullopt;  // not a key for demjson
        return key;
    }

    std::optional<Json> parse_array(int depth) {
        ++pos_;  // '['
        Json array = Json::array();
        while (true) {
            if (!skip_space() || at_end()) return std::nullopt;
            if (peek() == ']') {
                ++pos_;
                return array;
            }
            if (peek() == ',') {  // an elided element
                ++pos_;
                array.push_back(nullptr);
                continue;
            }
            auto value = parse_value(depth + 1);
            if (!value) return std::nullopt;
            array.push_back(std::move(*value));
            if (!skip_space()) return std::nullopt;
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == ']') {
                ++pos_;
                return array;
            }
            return std::nullopt;
        }
    }

    // Four hex digits at pos_ (after "\u"); -1 when malformed.
    long hex4() {
        if (pos_ + 4 > s_.size()) return -1;
        long v = 0;
        for (int k = 0; k < 4; ++k) {
            int h = hex_value(s_[pos_ + size_t(k)]);
            if (h < 0) return -1;
            v = v * 16 + h;
        }
        pos_ += 4;
        return v;
    }

    std::optional<std::string> parse_string() {
        const char quote = s_[pos_++];
        std::string out;
        while (true) {
            if (at_end()) return std::nullopt;
            char c = peek();
            if (is_string_breaker(c)) return std::nullopt;
            if (c == quote) {
                ++pos_;
                return out;
            }
            if (c != '\\') {
                out += c;
                ++pos_;
                continue;
            }
            ++pos_;
            if (at_end()) return std::nullopt;
            char e = s_[pos_];
            switch (e) {
                case 'b': out += '\b'; ++pos_; break;
                case 'f': out += '\f'; ++pos_; break;
                case 'n': out += '\n'; ++pos_; break;
                case 'r': out += '\r'; ++pos_; break;
                case 't': out += '\t'; ++pos_; break;
                case 'v': out += '\v'; ++pos_; break;
                case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
                    // Legacy octal escapes: up to three digits from 0-3, two from 4-7 (at most \377).
                    int value = 0, digits = 0, max_digits = e <= '3' ? 3 : 2;
                    while (digits < max_digits && peek() >= '0' && peek() <= '7') {
                        value = value * 8 + (peek() - '0');
                        ++pos_, ++digits;
                    }
                    append_utf8(out, char32_t(value));
                    break;
                }
                case 'x': {
                    ++pos_;
                    if (pos_ + 2 > s_.size()) return std::nullopt;
                    int hi = hex_value(s_[pos_]), lo = hex_value(s_[pos_ + 1]);
                    if (hi < 0 || lo < 0) return std::nullopt;
                    append_utf8(out, char32_t(hi * 16 + lo));
                    pos_ += 2;
                    break;
                }
                case 'u': {
                    ++pos_;
                    if (peek() == '{') {  // \u{1F600}
                        size_t close = s_.find('}', pos_);
                        if (close == std::string_view::npos || close == pos_ + 1 || close - pos_ > 7)
                            return std::nullopt;
                        char32_t v = 0;
                        for (size_t k = pos_ + 1; k < close; ++k) {
                            int h = hex_value(s_[k]);
                            if (h < 0) return std::nullopt;
                            v = v * 16 + char32_t(h);
                        }
                        if (v > 0x10FFFF) return std::nullopt;
                        append_utf8(out, v);
                        pos_ = close + 1;
                        break;
                    }
                    long v = hex4();
                    if (v < 0) return std::nullopt;
                    if (v >= 0xD800 && v < 0xDC00 && starts_with("\\u")) {  // a surrogate pair
                        size_t save = pos_;
                        pos_ += 2;
                        long low = hex4();
                        if (low >= 0xDC00 && low < 0xE000) {
                            append_utf8(out, char32_t(0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00)));
                            break;
                        }
                        pos_ = save;
                    }
                    append_utf8(out, char32_t(v));  // a lone surrogate is kept as its code point
                    break;
                }
                default: {
                    // \" \' \\ \/ and any other character (even a line break) standing for itself.
                    size_t n;
                    peek_code(&n);
                    out.append(s_.substr(pos_, n));
                    pos_ += n;
                }
            }
        }
    }

    std::optional<Json> parse_number() {
        bool negative = false;
        while (peek() == '+' || peek() == '-') {
            negative ^= peek() == '-';
            ++pos_;
        }
        const double sign = negative ? -1.0 : 1.0;
        if (starts_with("NaN")) {
            pos_ += 3;
            return Json(std::numeric_limits<double>::quiet_NaN());
        }
        if (starts_with("Infinity")) {
            pos_ += 8;
            return Json(sign * std::numeric_limits<double>::infinity());
        }
        if (peek() == '0' && pos_ + 1 < s_.size()) {
            char base_letter = s_[pos_ + 1];
            int base = base_letter == 'x' || base_letter == 'X'   ? 16
                       : base_letter == 'o' || base_letter == 'O' ? 8
                       : base_letter == 'b' || base_letter == 'B' ? 2
                                                                  : 0;
            if (base) {
                pos_ += 2;
                size_t begin = pos_;
                double value = 0;
                while (!at_end()) {
                    int d = hex_value(peek());
                    if (d < 0 || d >= base) break;
                    value = value * base + d;
                    ++pos_;
                }
                if (pos_ == begin) return std::nullopt;
                return integral(sign * value);
            }
        }
        size_t begin = pos_;
        size_t int_digits = 0, frac_digits = 0;
        while (std::isdigit(static_cast<unsigned char>(peek()))) ++pos_, ++int_digits;
        bool fractional = false;
        if (peek() == '.') {
            fractional = true;
            ++pos_;
            while (std::isdigit(static_cast<unsigned char>(peek()))) ++pos_, ++frac_digits;
        }
        if (int_digits + frac_digits == 0) return std::nullopt;
        if (peek() == 'e' || peek() == 'E') {
            ++pos_;
            if (peek() == '+' || peek() == '-') ++pos_;
            size_t exp_digits = 0;
            while (std::isdigit(static_cast<unsigned char>(peek()))) ++pos_, ++exp_digits;
            if (exp_digits == 0) return std::nullopt;
            fractional = true;
        }
        std::string literal(s_.substr(begin, pos_ - begin));
        if (!fractional && literal.size() > 1 && literal[0] == '0') {
            // A leading zero makes a legacy octal integer (demjson's default radix 8); 08 is an error.
            double value = 0;
            for (char d : literal) {
                if (d > '7') return std::nullopt;
                value = value * 8 + (d - '0');
            }
            return integral(sign * value);
        }
        if (!fractional) {
            errno = 0;
            char* end = nullptr;
            long long v = std::strtoll(literal.c_str(), &end, 10);
            if (errno == 0) return Json(negative ? -v : v);
        }
        return Json(sign * std::strtod(literal.c_str(), nullptr));
    }

    // A hex/octal/binary literal: an integer when it fits, as Python's int would be.
    static Json integral(double value) {
        if (std::fabs(value) < 9.2e18) return Json(int64_t(value));
        return Json(value);
    }

    const ConJJsonDecoder& decoder_;
    std::string_view s_;
    size_t pos_ = 0;
};

OnigRegex compile_class(const char* pattern) {
    OnigRegex regex = nullptr;
    OnigErrorInfo info;
    auto p = reinterpret_cast<const OnigUChar*>(pattern);
    int rc = onig_new(&regex, p, p + std::char_traits<char>::length(pattern), ONIG_OPTION_NONE, ONIG_ENCODING_UTF8,
                      ONIG_SYNTAX_RUBY, &info);
    if (rc != ONIG_NORMAL) fail("con-j json decoder: cannot compile character class {} (code {})", pattern, rc);
    return regex;
}

}  // namespace

ConJJsonDecoder::ConJJsonDecoder() {
    static constexpr const char* kPatterns[kClassCount] = {
        "[\\p{L}$_]",                                // str.isalpha() or _$
        "[\\p{L}\\p{N}$_\\x{200C}\\x{200D}]",          // str.isalnum() or _$ ZWNJ ZWJ
        "[ \\t\\n\\r\\f\\v\\p{Zs}]",                  // demjson's isws
        "[\\p{Zs}\\p{Zl}\\p{Zp}\\p{Cf}]",
    };
    try {
        for (int k = 0; k < kClassCount; ++k) classes_[k] = compile_class(kPatterns[k]);
    } catch (...) {
        for (void* c : classes_)
            if (c) onig_free(static_cast<OnigRegex>(c));
        throw;
    }
}

ConJJsonDecoder::~ConJJsonDecoder() {
    for (void* c : classes_) onig_free(static_cast<OnigRegex>(c));
}

bool ConJJsonDecoder::in_class(Class k, char32_t c) const {
    std::string utf8;
    append_utf8(utf8, c);
    auto p = reinterpret_cast<const OnigUChar*>(utf8.data());
    return onig_match(static_cast<OnigRegex>(classes_[k]), p, p + utf8.size(), p, nullptr, ONIG_OPTION_NONE) > 0;
}

bool ConJJsonDecoder::is_identifier_start(char32_t c) const {
    if (c < 0x80) return std::isalpha(int(c)) || c == '$' || c == '_';
    return in_class(kIdentifierStart, c);
}

bool ConJJsonDecoder::is_identifier_part(char32_t c) const {
    if (c < 0x80) return std::isalnum(int(c)) || c == '$' || c == '_';
    return in_class(kIdentifierPart, c);
}

bool ConJJsonDecoder::is_unicode_space(char32_t c) const { return in_class(kSpace, c); }
bool ConJJsonDecoder::is_separator_or_format(char32_t c) const { return in_class(kSeparatorOrFormat, c); }

std::optional<Json> ConJJsonDecoder::decode(std::string_view text) const { return Parser(*this, text).document(); }

}  // namespace gavel
