// `gavel verdict`: applies a judge protocol's verdict parser alone to raw generations, so text produced
// by other engines (vLLM, HF transformers, an API) is scored exactly as gavel scores its own.
#include <cstdio>
#include <string>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "core/line_reader.hpp"
#include "judge/con_j_verdict_parser.hpp"

namespace gavel::cli {

int run_verdict(int argc, char** argv) {
    Options opts("verdict", "Parse raw judge generations into verdicts with a protocol's parser.", "[OPTIONS]");
    opts.value("--protocol", "NAME", "verdict parser: con-j (models.md §1.8)", "con-j")
        .value("--input", "FILE", "JSON lines {\"text\": ...} (.gz accepted); - is stdin", "-")
        .value("--prefix", "TEXT", "text to put before every generation (e.g. the pre-filled ' {\"原因\":' of "
                                    "the repo-eval format, when the generations lack it)", "")
        .flag("--explain", "also print which parser path decided, the soft key, and the rationale")
        .epilog("Each output line is {\"verdict\": \"A>B\" | \"B>A\" | \"parse_failed\"}, where answer 1 of the "
                "prompt is A.\nExample: echo '{\"text\": \"{\\\"更好的回答\\\": 2}\"}' | gavel verdict");
    opts.parse(argc, argv);
    if (opts.get("--protocol") != "con-j")
        throw UsageError{"unknown --protocol '" + opts.get("--protocol") + "' (known: con-j)"};
    const std::string prefix = opts.get("--prefix");
    const bool explain = opts.has("--explain");

    ConJVerdictParser parser;
    LineReader reader(opts.get("--input"));
    std::string line;
    while (reader.next(line)) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        Json input = parse_json(line, reader.where());
        std::string text = prefix + require_string(input, "text", reader.where());
        ConJParse parse = parser.parse(text);
        OrderedJson out;
        out["verdict"] = verdict_name(parse.verdict());
        if (explain) {
            out["path"] = parse.path;
            if (!parse.soft_key.empty()) out["soft_key"] = parse.soft_key;
            if (!parse.rationale.empty()) out["rationale"] = parse.rationale;
        }
        std::string dumped = out.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
        std::fwrite(dumped.data(), 1, dumped.size(), stdout);
    }
    std::fflush(stdout);
    return 0;
}

}  // namespace gavel::cli
