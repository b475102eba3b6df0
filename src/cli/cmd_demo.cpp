// `gavel demo`: the whole judging path, offline, on tiny models generated from a seed — checkpoint
// writing and loading, tokenizers, both model families, both judge protocols, order swapping,
// output files and evaluation. The weights are random, and the demo says so.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/judge_loader.hpp"
#include "cli/options.hpp"
#include "core/error.hpp"
#include "core/line_reader.hpp"
#include "eval/eval_report.hpp"
#include "io/atomic_file.hpp"
#include "io/model_config.hpp"
#include "io/test_model_writer.hpp"
#include "judge/judge_pipeline.hpp"
#include "text/synthetic_tokenizers.hpp"

namespace gavel::cli {

namespace fs = std::filesystem;

namespace {

// A few pairs in the input format (docs/judgments.md), with reference labels, in the languages the
// two judges were trained on (Russian arena prompts for JinaJudge, English and Chinese for Con-J).
constexpr const char* kDemoPairs[] = {
    R"({"id": "capital", "question": "What is the capital of Australia?", "answer_a": "Canberra is the capital of Australia.", "answer_b": "Sydney, the largest city, is the capital.", "label": "A>B", "category": "facts"})",
    R"({"id": "sum", "question": "What is 17 + 25?", "answer_a": "17 + 25 = 32.", "answer_b": "17 + 25 = 42.", "label": "B>A", "category": "math"})",
    R"({"id": "ru-haiku", "question": "Напиши хокку про осень.", "answer_a": "Листья кружатся,\nветер уносит тепло —\nсад засыпает.", "answer_b": "Осень это время года.", "label": "A>B", "category": "writing"})",
    R"({"id": "ru-tea", "question": "Как заварить зелёный чай?", "answer_a": "Залейте листья водой 80 °C и настаивайте 2–3 минуты.", "answer_b": "Залейте листья кипятком и варите 10 минут.", "label": "A>B", "category": "advice"})",
    R"({"id": "zh-sort", "question": "用Python对列表排序的最简单方法是什么？", "answer_a": "使用 sorted(my_list) 或 my_list.sort()。", "answer_b": "手写冒泡排序。", "label": "A>B", "category": "coding"})",
};

void write_json_file(const fs::path& path, const Json& json) { write_file_atomically(path, json.dump(2) + "\n"); }

// Writes the tiny model with a synthetic tokenizer beside it; returns the model folder.
fs::path make_jina_judge(const fs::path& root, uint64_t seed) {
    TestModelSpec spec = jina_judge_test_spec("tiny");
    spec.seed = seed;
    fs::path dir = root / "jina-judge-tiny";
    write_test_model(spec, dir);
    write_json_file(dir / "encoder" / "tokenizer.json", text::synthetic_xlmr_tokenizer());
    return dir;
}

fs::path make_qwen2(const fs::path& root, uint64_t seed) {
    TestModelSpec spec = qwen2_test_spec("tiny");
    spec.seed = seed;
    fs::path dir = root / "qwen2-tiny";
    write_test_model(spec, dir);
    write_json_file(dir / "tokenizer.json", text::synthetic_qwen2_tokenizer());
    return dir;
}

std::vector<Json> read_lines(const fs::path& path) {
    LineReader reader(path.string());
    std::vector<Json> lines;
    std::string line;
    while (reader.next(line)) lines.push_back(parse_json(line, reader.where()));
    return lines;
}

PipelineStats judge_file(const std::vector<std::string>& args, const fs::path& pairs, const fs::path& out,
                         OrderMode order, ThreadPool& pool) {
    Options opts("demo", "", "");
    add_judge_options(opts);
    std::vector<std::string> argv_text = {"demo"};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_text) argv.push_back(a.data());
    opts.parse(int(argv.size()), argv.data());
    LoadedJudge loaded = load_judge(opts, pool);
    PipelineOptions pipeline;
    pipeline.input = pairs.string();
    pipeline.output = out.string();
    pipeline.order = order;
    pipeline.overwrite = true;
    return run_judge_pipeline(*loaded.judge, pipeline, nullptr);
}

std::string shorten(std::string s, size_t max_bytes) {
    for (char& c : s)
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (s.size() <= max_bytes) return s;
    size_t cut = max_bytes;
    while (cut > 0 && (uint8_t(s[cut]) & 0xC0) == 0x80) --cut;  // keep UTF-8 whole
    return s.substr(0, cut) + "...";
}

}  // namespace

int run_demo(int argc, char** argv) {
    Options opts("demo", "Run the whole judging path offline on tiny generated models with RANDOM weights.", "[OPTIONS]");
    opts.value("--dir", "DIR", "where to write the models, pairs and judgments (default: a new temporary folder)")
        .value("--seed", "S", "seed of the generated weights", "1")
        .value("--threads", "N", "worker threads (0: all cores)", "0");
    opts.parse(argc, argv);
    fs::path root = opts.has("--dir") ? fs::path(opts.get("--dir"))
                                      : fs::temp_directory_path() / fmt::format("gavel-demo-{}", ::getpid());
    fs::create_directories(root);
    const uint64_t seed = uint64_t(opts.get_int("--seed"));
    ThreadPool pool(size_t(opts.get_int("--threads")));

    std::printf(
        "gavel demo — offline, in %s\n\n"
        "The two judges below are TINY MODELS WITH RANDOM WEIGHTS generated from seed %llu, with the real\n"
        "tensor names and file formats but a made-up small vocabulary. Their verdicts are meaningless: the\n"
        "demo shows that every step runs (checkpoint writing and loading, tokenization, the JinaJudge and\n"
        "Qwen2 forward passes, both judge protocols, order swapping, output files and evaluation). For real\n"
        "verdicts run `gavel judge` with the real checkpoints (see README.md).\n\n",
        root.c_str(), (unsigned long long)seed);

    fs::path pairs = root / "pairs.jsonl";
    {
        std::string text;
        for (const char* p : kDemoPairs) text += std::string(p) + "\n";
        write_file_atomically(pairs, text);
    }

    std::printf("[1/3] JinaJudge classifier (jina-embeddings-v3 encoder + decoder head), both orders\n");
    fs::path jina = make_jina_judge(root, seed);
    fs::path jina_out = root / "judgments-jinajudge.jsonl";
    auto stats = judge_file({"--model", jina.string()}, pairs, jina_out, OrderMode::Both, pool);
    std::printf("      %-9s %-8s %-7s %-7s %-7s %s\n", "pair", "verdict", "P(A>B)", "P(A=B)", "P(B>A)", "orders agree");
    for (const Json& j : read_lines(jina_out)) {
        // The pair's probabilities: the mean of the two orders, each already in the pair's frame.
        std::array<double, 3> p{};
        for (const Json& g : j["games"])
            for (size_t i = 0; i < 3; ++i) p[i] += g["probs"][i].get<double>() / double(j["games"].size());
        std::printf("      %-9s %-8s %-7.4f %-7.4f %-7.4f %s\n", j["id"].get<std::string>().c_str(),
                    j["verdict"].get<std::string>().c_str(), p[0], p[1], p[2], j["consistent"].get<bool>() ? "yes" : "no");
    }
    std::printf("      %zu pairs in %.2f s -> %s\n\n", stats.judged, stats.seconds, jina_out.c_str());

    std::printf("[2/3] Con-J protocol on a tiny Qwen2 (model-card prompt, greedy, 24 new tokens)\n");
    fs::path qwen = make_qwen2(root, seed);
    fs::path conj_out = root / "judgments-conj.jsonl";
    stats = judge_file({"--model", qwen.string(), "--max-new-tokens", "24", "--greedy"}, pairs, conj_out,
                       OrderMode::AsIs, pool);
    std::printf("      %-9s %-13s %-7s %s\n", "pair", "verdict", "tokens", "generated text (random weights: noise)");
    for (const Json& j : read_lines(conj_out)) {
        const Json& g = j["games"][0];
        std::string raw = g.value("raw", std::string());
        std::printf("      %-9s %-13s %-7lld %s\n", j["id"].get<std::string>().c_str(), j["verdict"].get<std::string>().c_str(),
                    (long long)g.value("generated_tokens", 0), raw.empty() ? "(ids outside the tiny vocabulary decode to no text)" : shorten(raw, 48).c_str());
    }
    std::printf("      %zu pairs in %.2f s -> %s\n\n", stats.judged, stats.seconds, conj_out.c_str());

    std::printf("[3/3] gavel eval of the JinaJudge judgments against the pairs' labels\n\n");
    eval::EvalOptions eval_options;
    auto data = eval::load_eval_dataset(jina_out.string(), eval_options);
    auto report = eval::build_eval_report(data, 200, 0);
    std::fputs(eval::eval_report_table(data, report, eval_options).c_str(), stdout);
    std::printf("\nDone. Random weights, so expect chance-level agreement. Files are in %s\n", root.c_str());
    return 0;
}

}  // namespace gavel::cli
