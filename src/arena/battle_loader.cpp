#include "arena/battle_loader.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/error.hpp"
#include "core/line_reader.hpp"

namespace gavel::arena {
namespace {

bool is_arena_target(std::string_view s) {
    return s == "A>>B" || s == "A>B" || s == "A=B" || s == "B>A" || s == "B>>A" || s == "drop";
}

bool has_jsonl_suffix(const std::string& name) {
    auto ends = [&](std::string_view s) { return name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0; };
    return ends(".jsonl") || ends(".jsonl.gz");
}

std::string key_text(const Json* value) {
    if (!value || value->is_null()) return "";
    return value->is_string() ? value->get<std::string>() : value->dump();
}

const Json* field(const Json& record, const char* name) {
    auto it = record.find(name);
    return it == record.end() ? nullptr : &*it;
}

std::string model_name(const Json& record, const char* name, const std::string& where) {
    const Json* v = field(record, name);
    if (!v || !v->is_string() || v->get<std::string>().empty()) fail("{}: field '{}' must be a model name", where, name);
    return v->get<std::string>();
}

bool arena_hard_games(const Json& record) {
    const Json* games = field(record, "games");
    if (!games || !games->is_array() || !field(record, "model")) return false;
    return std::any_of(games->begin(), games->end(), [](const Json& g) { return g.is_object() && g.contains("score"); });
}

}  // namespace

std::pair<std::string, std::string> parse_arena_label_mapping(const std::string& argument) {
    std::vector<size_t> splits;
    for (size_t i = 1; i + 1 < argument.size(); ++i)
        if (argument[i] == '=' && is_arena_target(std::string_view(argument).substr(i + 1))) splits.push_back(i);
    if (splits.size() != 1)
        fail("--label-map '{}': expected RAW=TARGET with TARGET one of A>>B, A>B, A=B, B>A, B>>A, drop", argument);
    return {argument.substr(0, splits[0]), argument.substr(splits[0] + 1)};
}

BattleLoader::BattleLoader(BattleTable& table, BattleLoadReport& report, BattleLoadOptions options)
    : table_(table), report_(report), options_(std::move(options)) {
    for (const auto& [raw, target] : options_.label_map)
        if (!is_arena_target(target)) fail("--label-map '{}={}': unknown target", raw, target);
    if (options_.strong_weight < 0) fail("--weight must be 0 or more, got {}", options_.strong_weight);
    if (options_.length_control && (!options_.answers || !options_.baseline))
        fail("--length-control needs --answers and --baseline");
}

void BattleLoader::load(const std::string& path_or_dir) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(path_or_dir, ec)) {
        load_file(path_or_dir);
        return;
    }
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(path_or_dir))
        if (entry.is_regular_file() && has_jsonl_suffix(entry.path().filename().string())) files.push_back(entry.path().string());
    std::sort(files.begin(), files.end());
    if (files.empty()) fail("{}: no *.jsonl or *.jsonl.gz files", path_or_dir);
    for (const auto& f : files) load_file(f);
}

void BattleLoader::load_file(const std::string& path) {
    LineReader lines(path);
    report_.files.push_back(lines.path());
    std::string line;
    while (lines.next(line)) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        const Json record = parse_json(line, lines.where());
        if (!record.is_object()) fail("{}: expected a JSON object per line", lines.where());
        if (arena_hard_games(record))
            add_arena_hard(record, lines.where());
        else if (record.contains("model_a") && record.contains("model_b") && record.contains("winner"))
            add_battle(record, lines.where());
        else if (record.contains("model_a") && record.contains("model_b") && (record.contains("verdict") || record.contains("games")))
            add_gavel_judgment(record, lines.where());
        else
            fail("{}: not a judgment or battle: expected Arena-Hard fields (model, games[].score), gavel's (model_a, "
                 "model_b, verdict / games) or a battle's (model_a, model_b, winner)",
                 lines.where());
    }
}

void BattleLoader::add_arena_hard(const Json& record, const std::string& where) {
    if (!options_.baseline) fail("{}: Arena-Hard judgments compare against a baseline: give --baseline MODEL", where);
    ++report_.records_by_kind["arena-hard judgment"];
    const uint32_t baseline = table_.model_id(*options_.baseline);
    const uint32_t model = table_.model_id(model_name(record, "model", where));
    const std::string question = key_text(field(record, "question_id"));
    const Json& games = record["games"];
    // Game 1 shows the baseline as A; game 2 swaps the answers. Both are stored as
    // (baseline, model), as the arena's battle table has them.
    for (size_t g = 0; g < std::min<size_t>(games.size(), 2); ++g) {
        const Json* score = games[g].is_object() ? field(games[g], "score") : nullptr;
        add_verdict(score, baseline, model, g == 1, question);
    }
}

void BattleLoader::add_gavel_judgment(const Json& record, const std::string& where) {
    ++report_.records_by_kind["gavel judgment"];
    const uint32_t a = table_.model_id(model_name(record, "model_a", where));
    const uint32_t b = table_.model_id(model_name(record, "model_b", where));
    const std::string question = key_text(field(record, "id"));
    const Json* games = field(record, "games");
    if (games && games->is_array() && !games->empty()) {
        // Each order judged is one battle; game verdicts are already in the pair's A/B frame.
        for (const auto& game : *games) add_verdict(game.is_object() ? field(game, "verdict") : nullptr, a, b, false, question);
    } else {
        add_verdict(field(record, "verdict"), a, b, false, question);
    }
}

void BattleLoader::add_battle(const Json& record, const std::string& where) {
    ++report_.records_by_kind["battle"];
    ++report_.games;
    const uint32_t a = table_.model_id(model_name(record, "model_a", where));
    const uint32_t b = table_.model_id(model_name(record, "model_b", where));
    const std::string winner = key_text(field(record, "winner"));
    BattleOutcome outcome;
    if (winner == "model_a")
        outcome = BattleOutcome::a_wins;
    else if (winner == "model_b")
        outcome = BattleOutcome::b_wins;
    else if (winner == "tie" || winner == "tie (bothbad)")
        outcome = BattleOutcome::tie;
    else {
        ++report_.dropped_labels["winner=" + (winner.empty() ? std::string("null") : winner)];
        return;
    }
    double weight = 1.0;
    if (const Json* w = field(record, "weight"); w && w->is_number())
        weight = w->get<double>();
    else if (const Json* d = field(record, "answer_len_delta"); d && d->is_number())
        weight = 2.0 * d->get<double>();  // the Russian arena fits with weights 2 * answer_len_delta
    if (!std::isfinite(weight) || weight < 0) fail("{}: battle weight must be a finite number >= 0, got {}", where, weight);
    add_rows(a, b, outcome, 1, key_text(field(record, "question_id")), weight);
}

void BattleLoader::add_verdict(const Json* label, uint32_t a, uint32_t b, bool mirrored, const std::string& question) {
    ++report_.games;
    const std::string raw = !label || label->is_null() ? "null" : label->is_string() ? label->get<std::string>() : label->dump();
    std::string canonical = raw;
    if (auto it = options_.label_map.find(raw); it != options_.label_map.end()) {
        canonical = it->second;
        ++report_.mapped_labels[raw];
    }
    if (canonical == "drop") {
        ++report_.dropped_by_map;
        return;
    }
    const bool strong = canonical == "A>>B" || canonical == "B>>A";
    bool label_a_wins;
    if (canonical == "A=B") {
        add_rows(a, b, BattleOutcome::tie, 1, question);
        return;
    } else if (canonical == "A>B" || canonical == "A>>B") {
        label_a_wins = true;
    } else if (canonical == "B>A" || canonical == "B>>A") {
        label_a_wins = false;
    } else {
        ++report_.dropped_labels[raw];
        return;
    }
    report_.strong_games += strong;
    const bool a_wins = label_a_wins != mirrored;
    add_rows(a, b, a_wins ? BattleOutcome::a_wins : BattleOutcome::b_wins, strong ? options_.strong_weight : 1, question);
}

void BattleLoader::add_rows(uint32_t a, uint32_t b, BattleOutcome outcome, int rows, const std::string& question, double weight) {
    if (options_.length_control && outcome != BattleOutcome::tie) {
        // Only a win over the baseline is discounted for length, as in the Russian arena.
        const uint32_t winner = outcome == BattleOutcome::a_wins ? a : b;
        const uint32_t loser = outcome == BattleOutcome::a_wins ? b : a;
        const auto baseline = table_.find_model(*options_.baseline);
        if (baseline && loser == *baseline && winner != *baseline) weight *= length_weight(table_.models[winner], question);
    }
    // Strong verdicts become repeated rows (not one row of triple weight), so that a bootstrap
    // resample of rows matches the arena's.
    for (int i = 0; i < rows; ++i) table_.add(a, b, outcome, weight);
}

double BattleLoader::length_weight(const std::string& model, const std::string& question) {
    const std::string name = model.substr(model.rfind('/') == std::string::npos ? 0 : model.rfind('/') + 1);
    const AnswerLengths& answers = *options_.answers;
    if (!answers.has_model(name)) fail("--length-control: no answer file for model '{}'", name);
    if (!answers.has_model(*options_.baseline)) fail("--length-control: no answer file for baseline '{}'", *options_.baseline);
    auto it = delta_std_.find(name);
    if (it == delta_std_.end()) {
        // Sample standard deviation (ddof 1, as pandas) of the length differences over every
        // question, counting a missing answer as 0 tokens.
        const auto& questions = answers.questions();
        std::vector<double> deltas;
        for (const auto& q : questions) deltas.push_back(answers.tokens(*options_.baseline, q) - answers.tokens(name, q));
        double mean = 0;
        for (double d : deltas) mean += d;
        mean /= static_cast<double>(deltas.size());
        double ss = 0;
        for (double d : deltas) ss += (d - mean) * (d - mean);
        const double sd = deltas.size() > 1 ? std::sqrt(ss / static_cast<double>(deltas.size() - 1)) : 0.0;
        it = delta_std_.emplace(name, sd).first;
    }
    if (!(it->second > 0)) return 1.0;  // all answers equally long: nothing to discount
    const double delta = answers.tokens(*options_.baseline, question) - answers.tokens(name, question);
    return 2.0 / (1.0 + std::exp(-delta / it->second));
}

}  // namespace gavel::arena
