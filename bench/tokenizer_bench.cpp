// gavel's side of the tokenizer benchmark: throughput of a tokenizer.json over a JSON-lines corpus,
// single-threaded (encode_ids, and encode with offsets) and on all cores (encode_batch), plus the
// time per MB of one long line without spaces at growing lengths (to show it stays linear).
// Prints one JSON object per measurement; bench/tokenizer_bench.js runs it next to the Hugging
// Face tokenizers library and prints the ratios. Single-threaded passes also report CPU time, which
// a busy machine distorts less than wall time.
//
// Usage: tokenizer_bench --tokenizer FILE --corpus FILE [--seconds S] [--threads N] [--long-line-mb M]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/json.hpp"
#include "core/line_reader.hpp"
#include "core/thread_pool.hpp"
#include "text/tokenizer.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

double cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
}

struct PassTime {
    double wall = 1e300, cpu = 1e300;  // fastest pass by each clock
};

// Runs `pass` until `budget` seconds have gone by (at least twice) and keeps the fastest pass.
template <typename F>
PassTime best_pass(double budget, F&& pass) {
    pass();  // warm-up
    PassTime best;
    double total = 0;
    int runs = 0;
    while (runs < 2 || total < budget) {
        auto start = Clock::now();
        double cpu_start = cpu_seconds();
        pass();
        double wall = seconds_since(start);
        best.wall = std::min(best.wall, wall);
        best.cpu = std::min(best.cpu, cpu_seconds() - cpu_start);
        total += wall;
        ++runs;
    }
    return best;
}

void print(const std::string& mode, double bytes, const PassTime& t, size_t tokens, bool with_cpu) {
    std::printf("{\"mode\": \"%s\", \"mb\": %.3f, \"seconds\": %.4f, \"mb_per_s\": %.2f", mode.c_str(), bytes / 1e6,
                t.wall, bytes / 1e6 / t.wall);
    if (with_cpu) std::printf(", \"cpu_seconds\": %.4f, \"mb_per_cpu_s\": %.2f", t.cpu, bytes / 1e6 / t.cpu);
    std::printf(", \"tokens\": %zu}\n", tokens);
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    std::string tokenizer_path, corpus_path;
    double budget = 3.0;
    size_t threads = 0, long_line_mb = 10;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string key = argv[i];
        if (key == "--tokenizer")
            tokenizer_path = argv[i + 1];
        else if (key == "--corpus")
            corpus_path = argv[i + 1];
        else if (key == "--seconds")
            budget = std::atof(argv[i + 1]);
        else if (key == "--threads")
            threads = size_t(std::atol(argv[i + 1]));
        else if (key == "--long-line-mb")
            long_line_mb = size_t(std::atol(argv[i + 1]));
        else {
            std::fprintf(stderr, "tokenizer_bench: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (tokenizer_path.empty() || corpus_path.empty()) {
        std::fprintf(
            stderr,
            "usage: tokenizer_bench --tokenizer FILE --corpus FILE [--seconds S] [--threads N] [--long-line-mb M]\n");
        return 2;
    }
    try {
        auto load_start = Clock::now();
        const auto tokenizer = gavel::text::Tokenizer::from_file(tokenizer_path);
        std::printf("{\"mode\": \"load\", \"seconds\": %.3f}\n", seconds_since(load_start));

        std::vector<std::string> texts;
        gavel::LineReader reader(corpus_path);
        std::string line;
        double bytes = 0;
        while (reader.next(line)) {
            if (line.empty()) continue;
            texts.push_back(gavel::require_string(gavel::parse_json(line, reader.where()), "text", reader.where()));
            bytes += double(texts.back().size());
        }

        size_t tokens = 0;
        PassTime single = best_pass(budget, [&] {
            tokens = 0;
            for (const auto& t : texts) tokens += tokenizer.encode_ids(t, true).size();
        });
        print("single", bytes, single, tokens, true);

        PassTime offsets = best_pass(budget, [&] {
            for (const auto& t : texts) tokenizer.encode(t, true);
        });
        print("single_offsets", bytes, offsets, tokens, true);

        gavel::ThreadPool pool(threads);
        PassTime multi = best_pass(budget, [&] { tokenizer.encode_batch(texts, true, pool); });
        print("multi", bytes, multi, tokens, false);

        // One line without spaces, of letters from two scripts, at growing lengths.
        std::mt19937 rng(12345);
        const char* letters[] = {"a",        "b",        "c",        "d", "e", "\xd0\xb0",
                                 "\xd0\xb1", "\xd0\xb2", "\xd0\xb3", "x", "y", "z"};
        std::string long_line;
        for (size_t mb = 1; mb <= long_line_mb; mb = mb < 4 ? mb * 2 : mb + 3) {
            while (long_line.size() < mb * 1000000) long_line += letters[rng() % 12];
            auto start = Clock::now();
            size_t n = tokenizer.encode_ids(long_line, false).size();
            double s = seconds_since(start);
            std::printf(
                "{\"mode\": \"long_line\", \"mb\": %.1f, \"seconds\": %.3f, \"seconds_per_mb\": %.4f, \"tokens\": "
                "%zu}\n",
                double(long_line.size()) / 1e6, s, s / (double(long_line.size()) / 1e6), n);
            std::fflush(stdout);
        }
    } catch (const gavel::Error& e) {
        std::fprintf(stderr, "tokenizer_bench: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
