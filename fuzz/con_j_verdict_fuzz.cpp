// Fuzzes Con-J's verdict parser and its lenient JSON decoder on arbitrary model output: it must return
// a verdict or parse_failed, never crash, and a verdict must come with the path that found it.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "judge/con_j_verdict_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const gavel::ConJVerdictParser parser;  // read-only after construction; the fuzzer is single-threaded
    std::string_view text(reinterpret_cast<const char*>(data), size);
    gavel::ConJParse parse = parser.parse(text);
    if (parse.better && *parse.better != 1 && *parse.better != 2) std::abort();
    if (parse.better.has_value() == (parse.path == "none")) std::abort();
    return 0;
}
