// gavel eval: how well a judge agrees with reference labels, from a judgment file.
#include <cstdio>
#include <fstream>
#include <map>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "core/error.hpp"
#include "eval/eval_report.hpp"

namespace gavel::cli {

int run_eval(int argc, char** argv) {
    Options opts("eval",
                 "Agreement of a judge's verdicts with reference labels: accuracy, precision / recall / F1 per class "
                 "and macro, confusion matrix, Cohen's kappa, parse failures, position bias (when both orders were "
                 "judged), seeded bootstrap CIs and a per-category breakdown.",
                 "--input FILE [--pred-field verdict] [--label-field label] [--category-field F] [--json] [--html FILE]");
    opts.value("--input", "FILE", "judgment JSONL (gavel's own, or any with a verdict and a label field); .gz is read too")
        .value("--pred-field", "F", "field holding the judge's verdict (dotted paths reach into objects: judge.verdict)", "verdict")
        .value("--label-field", "F", "field holding the reference label", "label")
        .value("--category-field", "F", "field whose value groups the per-category breakdown", "category")
        .value("--label-scheme", "S",
               "how labels are written: ab (A>B / A=B / B>A and A>>B ... B>>A), 012 (0 = A>B, 1 = A=B, 2 = B>A) or "
               "12tie (1 = A>B, 2 = B>A, 0 or tie = A=B)",
               "ab")
        .value("--pred-scheme", "S", "the same for verdicts (default: --label-scheme)")
        .value("--label-map", "RAW=V", "read the raw value RAW as V (A>B, A=B, B>A, A>>B, B>>A or parse_failed); repeatable")
        .value("--rounds", "N", "bootstrap rounds for the CIs of accuracy and macro F1", "1000")
        .value("--seed", "S", "bootstrap seed (numpy RandomState(S), drawn in sequence)", "0")
        .flag("--json", "print the report as JSON instead of the table")
        .value("--html", "FILE", "also write an HTML page with the confusion matrix as a heatmap")
        .epilog(
            "Records without a reference label, or with a label the scheme does not know, are left out and counted;\n"
            "unknown or missing verdicts count as parse failures, which count as wrong. Every such value is listed.\n\n"
            "examples:\n"
            "  gavel eval --input judgments.jsonl\n"
            "  gavel eval --input pandalm.jsonl.gz --pred-field gpt35 --label-scheme 12tie --html report.html\n");
    opts.parse(argc, argv);

    eval::EvalOptions options;
    options.pred_field = opts.get("--pred-field");
    options.label_field = opts.get("--label-field");
    options.category_field = opts.get("--category-field");
    try {
        options.label_scheme = eval::parse_label_scheme(opts.get("--label-scheme"));
        options.pred_scheme = opts.has("--pred-scheme") ? eval::parse_label_scheme(opts.get("--pred-scheme")) : options.label_scheme;
        for (const auto& m : opts.get_all("--label-map")) options.label_map.insert(eval::parse_label_mapping(m));
    } catch (const Error& e) {
        throw UsageError{e.what()};
    }
    const long long rounds = opts.get_int("--rounds");
    const long long seed = opts.get_int("--seed");
    if (rounds < 0) throw UsageError{"--rounds must be 0 or more"};
    if (seed < 0 || seed > 0xFFFFFFFFLL) throw UsageError{"--seed must be in [0, 4294967295]"};

    const eval::EvalDataset data = eval::load_eval_dataset(opts.get("--input"), options);
    const eval::EvalReport report = eval::build_eval_report(data, static_cast<size_t>(rounds), static_cast<uint32_t>(seed));
    if (data.records.empty()) {
        // Say why nothing could be scored before giving up: the notes name the values.
        std::fputs(eval::eval_report_table(data, report, options).c_str(), stderr);
        fail("{}: no record has a known reference label in field '{}'", data.path, options.label_field);
    }
    if (opts.has("--json"))
        std::printf("%s\n", eval::eval_report_json(data, report, options).dump(1).c_str());
    else
        std::fputs(eval::eval_report_table(data, report, options).c_str(), stdout);
    if (auto html = opts.get_optional("--html")) {
        std::ofstream out(*html, std::ios::binary);
        out << eval::eval_report_html(data, report, options);
        if (!out) fail("{}: cannot write", *html);
        if (!opts.has("--json")) std::printf("\nwrote %s\n", html->c_str());
    }
    return 0;
}

}  // namespace gavel::cli
