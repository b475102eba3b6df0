#!/usr/bin/python3
"""Independent re-implementation of two arenas' leaderboard code, to check `gavel arena` against.

Written from the arenas' show_result.py, plainly, with numpy / scipy / scikit-learn only
(pandas is not installed; where the original calls pandas, the equivalent numpy call is named):

  --method ru-llm-arena     VikhrModels/ru_llm_arena show_result.py @ 7e447ea (the Russian LLM
                            Arena, specs/models.md 2.8): battles from both games of each judgment
                            (strong verdicts repeated --weight times, unknown labels dropped),
                            Bradley-Terry by Evalica's MM iteration (tolerance 1e-8, at most 100
                            sweeps), Elo scale with the baseline at 1000, 100 bootstrap rounds of
                            battles.sample(frac=1, replace=True, random_state=i), optional length
                            control.
  --method arena-hard-v0.1  r4dm/arena-hard-local show_result.py @ 82986f0 (= lm-sys Arena-Hard-Auto
                            v0.1 with a configurable baseline): MLE Elo by sklearn
                            LogisticRegression on the duplicated battle table, np.random.seed(42)
                            then battles.sample(frac=1, replace=True) per round.

pandas' DataFrame.sample(frac=1, replace=True, random_state=s) draws its row positions with
numpy.random.RandomState(s).choice(n, size=n, replace=True); with random_state=None it uses the
global RandomState, i.e. np.random.choice. Those calls are used here directly.

Judgment files are read in sorted file-name order (the original uses glob order, which the
file system decides); the order of battles matters for which rows a seeded resample picks.

Prints the leaderboard as the arena prints it and, with --json FILE, writes every number.
"""
import argparse
import gzip
import json
import math
import os
import sys

import numpy as np

TIE_LABELS = ("tie", "tie (bothbad)")


def read_jsonl(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def jsonl_files(path):
    if os.path.isdir(path):
        return sorted(os.path.join(path, n) for n in os.listdir(path) if n.endswith((".jsonl", ".jsonl.gz")))
    return [path]


def model_name_of_file(path):
    name = os.path.basename(path)
    for suffix in (".jsonl.gz", ".jsonl"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def load_answer_lengths(answer_dir):
    """{model: {question_id: token_len of the first turn of the first choice}} (utils.load_model_answers)."""
    lengths = {}
    for path in jsonl_files(answer_dir):
        rows = read_jsonl(path)
        lengths[model_name_of_file(path)] = {r["question_id"]: r["choices"][0]["turns"][0]["token_len"] for r in rows}
    return lengths


# ---------------------------------------------------------------------------------------------
# Battles. A battle table is four parallel lists: model_a, model_b, winner, weight.

def battles_from_judgments(paths, baseline, weight_strong, length_deltas=None, question_ids=None, label_map=None):
    """get_battles_from_judgment: game 1 has the baseline as A, game 2 has it as B.

    label_map (not in the original) renames labels before they are read, for checking gavel's
    --label-map."""
    model_a, model_b, winner, weight = [], [], [], []
    dropped = {}
    for path in paths:
        for row in read_jsonl(path):
            model = row["model"]
            if length_deltas is not None:
                deltas, deviation = length_deltas(model)
                # expit(delta / std) with std over all questions (pandas' default ddof=1).
                x = deltas[question_ids.index(row["question_id"])] / deviation
                lc_weight = 1.0 / (1.0 + math.exp(-x))
            else:
                lc_weight = 0.5
            for game_index, outcomes in ((0, {"A>B": "model_a", "A>>B": "model_a", "B>A": "model_b", "B>>A": "model_b"}),
                                         (1, {"A>B": "model_b", "A>>B": "model_b", "B>A": "model_a", "B>>A": "model_a"})):
                score = row["games"][game_index]["score"]
                score = (label_map or {}).get(score, score)
                repeat = weight_strong if score in ("A>>B", "B>>A") else 1
                if score == "A=B":
                    result = "tie"
                elif score in outcomes:
                    result = outcomes[score]
                else:
                    dropped[str(score)] = dropped.get(str(score), 0) + 1
                    continue
                # answer_len_delta is 0.5 except where the judged model wins; the fit uses 2x it.
                w = 2.0 * (lc_weight if result == "model_b" else 0.5)
                for _ in range(repeat):
                    model_a.append(baseline)
                    model_b.append(model)
                    winner.append(result)
                    weight.append(w)
    return model_a, model_b, winner, np.array(weight), dropped


def battles_from_file(path):
    rows = read_jsonl(path)
    return ([r["model_a"] for r in rows], [r["model_b"] for r in rows], [r["winner"] for r in rows],
            np.ones(len(rows)), {})


def index_models(model_a, model_b):
    # pd.concat([df.model_a, df.model_b]).unique(): first appearance, model_a column first.
    names = list(dict.fromkeys(list(model_a) + list(model_b)))
    return names, {m: i for i, m in enumerate(names)}


# ---------------------------------------------------------------------------------------------
# ru_llm_arena: evalica.bradley_terry (Rust MM sweep) on W + 0.5 T.

def evalica_bradley_terry(matrix, tolerance, limit=100):
    n = matrix.shape[0]
    scores = np.ones(n)
    for _ in range(limit):
        new = scores.copy()
        for i in range(n):
            # Gauss-Seidel: later rows already see this sweep's values, as in evalica.
            sums = new[i] + new
            num = np.sum(matrix[i, :] * new / sums)
            den = np.sum(matrix[:, i] / sums)
            new[i] = num / den
        new /= math.exp(np.mean(np.log(new)))
        new = np.where(np.isnan(new), tolerance, new)
        converged = math.sqrt(float(np.dot(new - scores, new - scores))) < tolerance
        scores = new
        if converged:
            break
    return scores


def ru_compute_ratings(a_idx, b_idx, winner_code, weights, n_models, baseline_index):
    wins = np.zeros((n_models, n_models))
    ties = np.zeros((n_models, n_models))
    x_won = winner_code == 0
    y_won = winner_code == 1
    tied = winner_code == 2
    np.add.at(wins, (a_idx[x_won], b_idx[x_won]), weights[x_won])
    np.add.at(wins, (b_idx[y_won], a_idx[y_won]), weights[y_won])
    np.add.at(ties, (a_idx[tied], b_idx[tied]), weights[tied])
    np.add.at(ties, (b_idx[tied], a_idx[tied]), weights[tied])
    present = np.zeros(n_models, dtype=bool)
    present[a_idx] = True
    present[b_idx] = True
    keep = np.flatnonzero(present)
    matrix = (wins + 0.5 * ties)[np.ix_(keep, keep)]
    s = evalica_bradley_terry(matrix, tolerance=1e-8)
    ratings = np.full(n_models, np.nan)
    ratings[keep] = 1000.0 + np.log(s) / np.log(10.0) * 400.0
    ratings += 1000.0 - ratings[baseline_index]
    return ratings


# ---------------------------------------------------------------------------------------------
# arena-hard v0.1: compute_mle_elo with sklearn's LogisticRegression.

def mle_elo_logistic(a_idx, b_idx, winner_code, n_models, baseline_index):
    from sklearn.linear_model import LogisticRegression
    present = np.zeros(n_models, dtype=bool)
    present[a_idx] = True
    present[b_idx] = True
    n = len(a_idx)
    a2 = np.concatenate([a_idx, a_idx])
    b2 = np.concatenate([b_idx, b_idx])
    X = np.zeros((2 * n, n_models))
    rows = np.arange(2 * n)
    X[rows, a2] = math.log(10.0)
    # A model playing itself ends with -log(10) in its column, as the original's second
    # assignment overwrites the first.
    X[rows, b2] = -math.log(10.0)
    Y = np.zeros(2 * n)
    codes2 = np.concatenate([winner_code, winner_code])
    Y[codes2 == 0] = 1.0
    tie_first_half = np.concatenate([winner_code == 2, np.zeros(n, dtype=bool)])
    Y[tie_first_half] = 1.0
    keep = np.flatnonzero(present)
    lr = LogisticRegression(fit_intercept=False, penalty=None, tol=1e-8)
    lr.fit(X[:, keep], Y)
    ratings = np.full(n_models, np.nan)
    ratings[keep] = 400.0 * lr.coef_[0] + 1000.0
    ratings += 1000.0 - ratings[baseline_index]
    return ratings


# ---------------------------------------------------------------------------------------------

def win_rate_percent(rating, baseline_rating):
    # predict_win_rate / get_win_rate_column: round(P(model beats baseline) * 100, 2). pandas'
    # Series.apply hands the lambda Python floats, whose round() is correctly rounded; numpy's
    # float64.__round__ is not (75.35 -> 75.4), so convert first.
    p = 1.0 / (1.0 + 10.0 ** ((float(baseline_rating) - float(rating)) / 400.0))
    return round(p * 100.0, 2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", choices=["ru-llm-arena", "arena-hard-v0.1"], required=True)
    parser.add_argument("--judgments", help="directory (or file) of Arena-Hard judgment JSONL")
    parser.add_argument("--battles", help="battles JSONL (question_id, model_a, model_b, winner)")
    parser.add_argument("--answers", help="model_answer directory (token_len per answer)")
    parser.add_argument("--baseline", required=True)
    parser.add_argument("--weight", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--length-control", action="store_true")
    parser.add_argument("--label-map", action="append", default=[], help="RAW=LABEL, applied before reading labels")
    parser.add_argument("--json", help="write every number here")
    args = parser.parse_args()

    lengths = load_answer_lengths(args.answers) if args.answers else {}
    if args.judgments:
        length_deltas = question_ids = None
        if args.length_control:
            # get_models_answers_lengths: every question of the baseline's answer file; 0 where
            # a model has no answer.
            question_ids = list(lengths[args.baseline].keys())

            cache = {}

            def length_deltas(model):
                if model not in cache:
                    m = lengths[model.split("/")[-1]]
                    d = np.array([lengths[args.baseline].get(q, 0) - m.get(q, 0) for q in question_ids], dtype=float)
                    cache[model] = (d, np.std(d, ddof=1))
                return cache[model]
        label_map = dict(m.split("=", 1) if not m.startswith("A=B=") else ("A=B", m[4:]) for m in args.label_map)
        model_a, model_b, winner, weights, dropped = battles_from_judgments(
            jsonl_files(args.judgments), args.baseline, args.weight, length_deltas, question_ids, label_map)
    else:
        model_a, model_b, winner, weights, dropped = battles_from_file(args.battles)

    names, index = index_models(model_a, model_b)
    a_idx = np.array([index[m] for m in model_a])
    b_idx = np.array([index[m] for m in model_b])
    winner_code = np.array([0 if w == "model_a" else 1 if w == "model_b" else 2 for w in winner])
    if any(w not in ("model_a", "model_b") + TIE_LABELS for w in winner):
        raise SystemExit("unknown winner value in battles")
    n = len(a_idx)
    base = index[args.baseline]

    if args.method == "ru-llm-arena":
        def fit(rows):
            return ru_compute_ratings(a_idx[rows], b_idx[rows], winner_code[rows], weights[rows], len(names), base)
        full = fit(np.arange(n))
        boot = np.array([fit(np.random.RandomState(i).choice(n, size=n, replace=True)) for i in range(args.rounds)])
    else:
        def fit(rows):
            return mle_elo_logistic(a_idx[rows], b_idx[rows], winner_code[rows], len(names), base)
        full = fit(np.arange(n))
        np.random.seed(42)
        boot = np.array([fit(np.random.choice(n, size=n, replace=True)) for _ in range(args.rounds)])

    board = []
    for m, name in enumerate(names):
        lower = float(np.percentile(boot[:, m], 2.5))
        upper = float(np.percentile(boot[:, m], 97.5))
        answers = lengths.get(name.split("/")[-1])
        # ru: mean over the questions (all answer files here are complete); r4dm: mean over answers.
        avg_tokens = float(np.mean(list(answers.values()))) if answers else None
        battles = int(np.sum((a_idx == m) | (b_idx == m)))
        board.append({"model": name, "rating": float(full[m]), "rating_lower": lower, "rating_upper": upper,
                      "score": win_rate_percent(full[m], full[base]),
                      "lower": win_rate_percent(lower, 1000.0), "upper": win_rate_percent(upper, 1000.0),
                      "avg_tokens": avg_tokens, "battles": battles})
    board.sort(key=lambda r: (-r["score"], r["model"]))
    for r in board:
        interval = f"({round(r['lower'] - r['score'], 1)}, {round(r['upper'] - r['score'], 1)})"
        tokens = int(r["avg_tokens"]) if r["avg_tokens"] is not None else "-"
        print(f"{r['model']:<50} | score: {round(r['score'], 1):^5} | 95% CI: {interval:^15} | average #tokens: {tokens}")
    if dropped:
        print("dropped games with unknown labels: " + ", ".join(f"{k!r}: {v}" for k, v in sorted(dropped.items())))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"method": args.method, "baseline": args.baseline, "battles": n, "dropped": dropped,
                       "rounds": args.rounds, "models": board,
                       "bootstrap": {name: boot[:, m].tolist() for m, name in enumerate(names)}}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
