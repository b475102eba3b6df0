#include "judge/judge_pipeline.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unordered_set>

#include "core/error.hpp"
#include "core/line_reader.hpp"
#include "core/progress.hpp"

namespace gavel {

OrderMode order_mode_from_name(std::string_view name) {
    if (name == "as-is") return OrderMode::AsIs;
    if (name == "swap") return OrderMode::Swap;
    if (name == "both") return OrderMode::Both;
    fail("--order must be as-is, swap or both, got '{}'", name);
}

namespace {

Json game_json(const Game& game, const GameResult& r) {
    Json g = Json::object();
    g["order"] = game.swapped ? "swap" : "as-is";
    g["verdict"] = verdict_name(game.swapped ? swap_verdict(r.verdict) : r.verdict);
    if (game.swapped) g["raw_verdict"] = verdict_name(r.verdict);
    auto in_pair_frame = [&](const std::array<float, 3>& v) {
        // The classes are [A>B, A=B, B>A] of the positions seen; swapping exchanges A>B and B>A.
        return game.swapped ? std::array<float, 3>{v[2], v[1], v[0]} : v;
    };
    if (r.probs) g["probs"] = in_pair_frame(*r.probs);
    if (r.logits) g["logits"] = in_pair_frame(*r.logits);
    if (!r.rationale.empty()) g["rationale"] = r.rationale;
    if (!r.raw.empty()) g["raw"] = r.raw;
    g["prompt_tokens"] = r.prompt_tokens;
    if (r.generated_tokens) g["generated_tokens"] = r.generated_tokens;
    g["truncated"] = r.truncated;
    g["seconds"] = r.seconds;
    for (auto it = r.extra.begin(); it != r.extra.end(); ++it) g[it.key()] = it.value();
    return g;
}

Verdict combine_classifier(const Json& g1, const Json& g2) {
    std::array<float, 3> p{};
    for (const Json* g : {&g1, &g2}) {
        auto v = (*g)["probs"].get<std::array<float, 3>>();
        for (int i = 0; i < 3; ++i) p[size_t(i)] += v[size_t(i)] / 2;
    }
    int best = 0;
    for (int i = 1; i < 3; ++i)
        if (p[size_t(i)] > p[size_t(best)]) best = i;
    return verdict_from_class(best);
}

Verdict combine_generative(Verdict v1, Verdict v2) {
    if (v1 == Verdict::ParseFailed) return v2;
    if (v2 == Verdict::ParseFailed) return v1;
    return v1 == v2 ? v1 : Verdict::Tie;
}

// Reads the ids already judged in `path`, cutting off a torn last line. Throws if the file was
// written by a different judge, since mixing judges in one file would corrupt the evaluation.
std::unordered_set<std::string> finished_ids(const std::string& path, const Json& identity) {
    std::unordered_set<std::string> done;
    std::ifstream in(path, std::ios::binary);
    if (!in) return done;
    std::string line;
    uint64_t good_end = 0, offset = 0;
    size_t line_no = 0;
    while (std::getline(in, line)) {
        ++line_no;
        bool complete = !in.eof();  // getline hit '\n'
        offset += line.size() + (complete ? 1 : 0);
        Json j = Json::parse(line, nullptr, false);
        if (!complete || j.is_discarded() || !j.is_object() || !j.contains("id")) {
            if (complete) fail("{}:{}: not a judgment line; refusing to resume into this file (use --overwrite)", path, line_no);
            break;  // torn final line: dropped below
        }
        if (j.value("judge", Json()) != identity)
            fail("{}:{}: written by another judge ({}), not {}; use a new --output or --overwrite", path, line_no,
                 j.value("judge", Json()).dump(), identity.dump());
        done.insert(j["id"].is_string() ? j["id"].get<std::string>() : j["id"].dump());
        good_end = offset;
    }
    in.close();
    if (std::filesystem::file_size(path) != good_end) std::filesystem::resize_file(path, good_end);
    return done;
}

size_t count_lines(const std::string& path) {
    LineReader reader(path);
    std::string line;
    size_t n = 0;
    while (reader.next(line))
        if (!line.empty()) ++n;
    return n;
}

}  // namespace

Json make_judgment(const Pair& pair, const std::vector<const Game*>& games,
                   const std::vector<const GameResult*>& results, const Judge& judge) {
    Json j = Json::object();
    j["id"] = pair.id;
    Json game_list = Json::array();
    for (size_t i = 0; i < games.size(); ++i) game_list.push_back(game_json(*games[i], *results[i]));
    Verdict verdict = *verdict_from_name(game_list[0]["verdict"].get<std::string>());
    if (games.size() == 2) {
        Verdict second = *verdict_from_name(game_list[1]["verdict"].get<std::string>());
        bool both_probs = game_list[0].contains("probs") && game_list[1].contains("probs");
        verdict = judge.is_classifier() && both_probs ? combine_classifier(game_list[0], game_list[1])
                                                       : combine_generative(verdict, second);
        j["consistent"] = game_list[0]["verdict"] == game_list[1]["verdict"];
    }
    j["verdict"] = verdict_name(verdict);
    if (pair.label) j["label"] = *pair.label;
    if (pair.category) j["category"] = *pair.category;
    if (pair.model_a) j["model_a"] = *pair.model_a;
    if (pair.model_b) j["model_b"] = *pair.model_b;
    if (!pair.extra.empty()) j["extra"] = pair.extra;
    j["games"] = std::move(game_list);
    j["judge"] = judge.identity();
    return j;
}

PipelineStats run_judge_pipeline(Judge& judge, const PipelineOptions& options, const std::atomic<bool>* stop) {
    auto start = std::chrono::steady_clock::now();
    PipelineStats stats;
    const Json identity = judge.identity();

    if (options.overwrite) std::filesystem::remove(options.output);
    auto done = finished_ids(options.output, identity);

    size_t total = count_lines(options.input);
    if (options.limit) total = std::min(total, options.limit);
    stats.pairs = total;

    FILE* out = std::fopen(options.output.c_str(), "ab");
    if (!out) fail("{}: cannot open for writing", options.output);
    std::unique_ptr<FILE, int (*)(FILE*)> out_guard(out, &std::fclose);

    Progress progress("judging", total, "pairs", options.progress);
    const size_t window = options.batch_pairs ? options.batch_pairs
                                              : std::max<size_t>(1, judge.preferred_batch() /
                                                                        (options.order == OrderMode::Both ? 2 : 1));
    std::vector<Pair> batch;
    std::unordered_set<std::string> seen;

    auto flush_batch = [&] {
        if (batch.empty()) return;
        std::vector<Game> games;
        for (const Pair& p : batch) {
            if (options.order != OrderMode::Swap) games.push_back({&p, false});
            if (options.order != OrderMode::AsIs) games.push_back({&p, true});
        }
        auto results = judge.judge(games);
        if (results.size() != games.size())
            fail("judge returned {} results for {} games", results.size(), games.size());
        size_t per_pair = options.order == OrderMode::Both ? 2 : 1;
        for (size_t i = 0; i < batch.size(); ++i) {
            std::vector<const Game*> g;
            std::vector<const GameResult*> r;
            for (size_t k = 0; k < per_pair; ++k) {
                g.push_back(&games[i * per_pair + k]);
                r.push_back(&results[i * per_pair + k]);
            }
            Json judgment = make_judgment(batch[i], g, r, judge);
            if (judgment["verdict"] == "parse_failed") ++stats.parse_failed;
            std::string line = judgment.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
            // One write per line, flushed at once: a crash loses at most the line being written.
            if (std::fwrite(line.data(), 1, line.size(), out) != line.size() || std::fflush(out) != 0)
                fail("{}: write failed (disk full?)", options.output);
            ++stats.judged;
        }
        progress.advance(batch.size());
        batch.clear();
    };

    LineReader reader(options.input);
    std::string line;
    size_t taken = 0;
    try {
        while (reader.next(line)) {
            if (line.empty()) continue;
            if (options.limit && taken >= options.limit) break;
            ++taken;
            Pair pair = Pair::from_json(parse_json(line, reader.where()), reader.where());
            if (!seen.insert(pair.id).second)
                fail("{}: duplicate id '{}' (ids must be unique so a rerun can resume)", reader.where(), pair.id);
            if (done.count(pair.id)) {
                ++stats.already_done;
                progress.advance();
                continue;
            }
            batch.push_back(std::move(pair));
            if (batch.size() >= window) {
                flush_batch();
                if (stop && stop->load()) {
                    stats.interrupted = true;
                    break;
                }
            }
        }
    } catch (const Error&) {
        flush_batch();  // a bad input line must not cost the pairs read before it
        throw;
    }
    if (!stats.interrupted) flush_batch();
    progress.finish();
    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return stats;
}

}  // namespace gavel
