#!/usr/bin/python3
"""Judge-agreement metrics by scikit-learn, to check `gavel eval --json` against.

Reads the same JSONL as gavel eval, maps labels and verdicts with the same schemes (written
here again, independently), and computes every metric with sklearn.metrics:

  accuracy_score; precision_recall_fscore_support per class and average='macro' over the classes
  present in labels or predictions (sklearn's own default set, minus the parse-failure code);
  confusion_matrix; cohen_kappa_score (parse failures are a category of their own there).
  Bootstrap CIs: numpy.random.RandomState(seed).randint(0, n, n) per round, np.percentile.

    /usr/bin/python3 eval_reference.py --input FILE [--pred-field F] [--label-field F]
        [--label-scheme ab|012|12tie] [--pred-scheme ...] [--category-field F]
        [--rounds N] [--seed S] --json OUT
"""
import argparse
import gzip
import json
import sys

import numpy as np
from sklearn.metrics import (accuracy_score, cohen_kappa_score, confusion_matrix,
                             precision_recall_fscore_support)

A_BETTER, TIE, B_BETTER, FAILED = 0, 1, 2, 3
NAMES = ["A>B", "A=B", "B>A"]


def read_jsonl(path):
    with open(path, "rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    opener = gzip.open if gz else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def lookup(record, path):
    value = record
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def to_class(value, scheme):
    """The class of a label or verdict, FAILED for a parse failure, None if unknown."""
    if value is None or value == "parse_failed":
        return FAILED
    arena = {"A>>B": A_BETTER, "A>B": A_BETTER, "A=B": TIE, "B>A": B_BETTER, "B>>A": B_BETTER}
    if isinstance(value, str) and value in arena:
        return arena[value]  # read under every scheme
    if scheme == "ab" or isinstance(value, bool):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    text = str(value).strip().lower() if not isinstance(value, (int, float)) else value
    if scheme == "012":
        return {0: A_BETTER, 1: TIE, 2: B_BETTER, "0": A_BETTER, "1": TIE, "2": B_BETTER}.get(text)
    if scheme == "12tie":
        return {1: A_BETTER, 2: B_BETTER, 0: TIE, "1": A_BETTER, "2": B_BETTER, "0": TIE, "tie": TIE}.get(text)
    raise SystemExit(f"unknown scheme {scheme}")


def summary(y_true, y_pred):
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    present = sorted((set(y_true.tolist()) | set(y_pred.tolist())) - {FAILED})
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=[0, 1, 2], zero_division=0)
    mp, mr, mf, _ = precision_recall_fscore_support(y_true, y_pred, labels=present, average="macro", zero_division=0)
    cm = confusion_matrix(y_true, y_pred, labels=[0, 1, 2, 3])[:3, :]
    kappa = cohen_kappa_score(y_true, y_pred) if len(y_true) else float("nan")
    return {"n": int(len(y_true)), "accuracy": float(accuracy_score(y_true, y_pred)),
            "macro": {"precision": float(mp), "recall": float(mr), "f1": float(mf)},
            "per_class": {NAMES[k]: {"precision": float(p[k]), "recall": float(r[k]), "f1": float(f[k]),
                                     "support": int(s[k])} for k in range(3)},
            "confusion": cm.tolist(), "kappa": None if np.isnan(kappa) else float(kappa),
            "parse_failures": int(np.sum(y_pred == FAILED))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True)
    parser.add_argument("--pred-field", default="verdict")
    parser.add_argument("--label-field", default="label")
    parser.add_argument("--label-scheme", default="ab")
    parser.add_argument("--pred-scheme")
    parser.add_argument("--category-field", default="category")
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", required=True)
    args = parser.parse_args()
    pred_scheme = args.pred_scheme or args.label_scheme

    y_true, y_pred, cats = [], [], []
    for record in read_jsonl(args.input):
        label = to_class(lookup(record, args.label_field), args.label_scheme)
        if label is None or label == FAILED:
            continue  # gavel reports these records and leaves them out
        pred = to_class(lookup(record, args.pred_field), pred_scheme)
        y_true.append(label)
        y_pred.append(FAILED if pred is None else pred)
        cats.append(lookup(record, args.category_field))
    out = summary(y_true, y_pred)

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    n = len(y_true)
    rs = np.random.RandomState(args.seed)
    accs, f1s = [], []
    for _ in range(args.rounds):
        idx = rs.randint(0, n, size=n)
        t, p = y_true[idx], y_pred[idx]
        present = sorted((set(t.tolist()) | set(p.tolist())) - {FAILED})
        accs.append(accuracy_score(t, p))
        f1s.append(precision_recall_fscore_support(t, p, labels=present, average="macro", zero_division=0)[2])
    out["bootstrap"] = {"rounds": args.rounds, "seed": args.seed,
                        "accuracy": [float(np.percentile(accs, 2.5)), float(np.percentile(accs, 97.5))],
                        "macro_f1": [float(np.percentile(f1s, 2.5)), float(np.percentile(f1s, 97.5))]}

    by_cat = {}
    for k, c in enumerate(cats):
        if c is not None:
            by_cat.setdefault(str(c), []).append(k)
    out["categories"] = {c: summary(y_true[ix], y_pred[ix]) for c, ix in sorted(by_cat.items())}
    with open(args.json, "w") as f:
        json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
