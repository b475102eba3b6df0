#include "eval/eval_dataset.hpp"

#include "core/error.hpp"
#include "core/json.hpp"
#include "core/line_reader.hpp"

namespace gavel::eval {
namespace {

// games[] as gavel writes it: one entry per order, verdict already in the pair's frame.
void read_games(const Json& games, const VerdictReader& reader, EvalRecord& record, EvalDataset& data) {
    if (!games.is_array()) return;
    for (const auto& game : games) {
        if (!game.is_object()) continue;
        auto order = game.find("order");
        if (order == game.end() || !order->is_string()) continue;
        auto it = game.find("verdict");
        const ReadVerdict v = reader.read(it == game.end() ? nullptr : &*it);
        if (v.kind == ReadVerdict::Kind::unknown) ++data.unknown_game_verdicts[v.raw];
        const Verdict verdict = v.kind == ReadVerdict::Kind::known ? v.verdict : Verdict::failed;
        if (*order == "as-is") record.as_is = verdict;
        if (*order == "swap") record.swap = verdict;
    }
    if (!record.as_is || !record.swap) {
        record.as_is.reset();
        record.swap.reset();
    }
}

}  // namespace

EvalDataset load_eval_dataset(const std::string& path, const EvalOptions& options) {
    const VerdictReader label_reader(options.label_scheme, options.label_map);
    const VerdictReader pred_reader(options.pred_scheme, options.label_map);
    EvalDataset data;
    LineReader lines(path);
    data.path = lines.path();
    std::string line;
    while (lines.next(line)) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        ++data.lines;
        const Json record = parse_json(line, lines.where());
        if (!record.is_object()) fail("{}: expected a JSON object per line, got {}", lines.where(), record.type_name());

        const ReadVerdict label = label_reader.read(find_path(record, options.label_field));
        if (label.kind == ReadVerdict::Kind::unknown) {
            ++data.unknown_labels[label.raw];
            continue;
        }
        if (label.kind != ReadVerdict::Kind::known) {
            ++data.missing_labels;
            continue;
        }
        EvalRecord r{label.verdict, Verdict::failed, std::nullopt, std::nullopt, std::nullopt};
        const ReadVerdict verdict = pred_reader.read(find_path(record, options.pred_field));
        if (verdict.kind == ReadVerdict::Kind::known) r.verdict = verdict.verdict;
        if (verdict.kind == ReadVerdict::Kind::unknown) ++data.unknown_verdicts[verdict.raw];
        if (verdict.kind == ReadVerdict::Kind::missing) ++data.missing_verdicts;
        if (const Json* c = find_path(record, options.category_field); c && !c->is_null())
            r.category = c->is_string() ? c->get<std::string>() : c->dump();
        if (const Json* games = find_path(record, options.games_field)) read_games(*games, pred_reader, r, data);
        data.records_with_games += r.as_is.has_value();
        data.records.push_back(std::move(r));
    }
    return data;
}

}  // namespace gavel::eval
