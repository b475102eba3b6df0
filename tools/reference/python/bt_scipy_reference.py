#!/usr/bin/python3
"""Bradley-Terry by maximum likelihood with SciPy, independent of gavel and of Evalica's MM.

Each comparison counts as a win for the winner; a tie as half a win for each side (the
Arena-Hard / Evalica convention). Maximises sum_ij w_ij log sigma(theta_i - theta_j) over the
log-strengths theta with scipy.optimize.minimize (trust-exact, analytic gradient and Hessian),
one model held at 0 since the likelihood only sees differences.

Input: Evalica's CSV (left,right,winner in left|right|tie) or battle JSONL (model_a, model_b,
winner in model_a|model_b|tie|tie (bothbad), optional weight). Output JSON:
{"models": [...], "scores": strengths normalised to sum 1, "ratings": 1000 + 400 log10(strength)
with --anchor at 1000 (or the geometric mean at 1000)}.
"""
import argparse
import csv
import gzip
import io
import json
import sys

import numpy as np
from scipy.optimize import minimize


def read_comparisons(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    text = data.decode("utf-8")
    rows = []
    if path.endswith((".csv", ".csv.gz")):
        for r in csv.DictReader(io.StringIO(text)):
            rows.append((r["left"], r["right"], {"left": 0, "right": 1, "tie": 2}[r["winner"]], 1.0))
    else:
        for line in text.splitlines():
            if line.strip():
                r = json.loads(line)
                code = {"model_a": 0, "model_b": 1, "tie": 2, "tie (bothbad)": 2}[r["winner"]]
                rows.append((r["model_a"], r["model_b"], code, float(r.get("weight", 1.0))))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True)
    parser.add_argument("--anchor")
    parser.add_argument("--json", required=True)
    args = parser.parse_args()

    rows = read_comparisons(args.input)
    models = sorted({r[0] for r in rows} | {r[1] for r in rows})
    index = {m: i for i, m in enumerate(models)}
    n = len(models)
    W = np.zeros((n, n))  # W[i, j]: (weighted) wins of i over j, ties as half to each
    for a, b, code, w in rows:
        i, j = index[a], index[b]
        if code == 0:
            W[i, j] += w
        elif code == 1:
            W[j, i] += w
        else:
            W[i, j] += 0.5 * w
            W[j, i] += 0.5 * w
    N = W + W.T
    free = np.arange(1, n)

    def unpack(x):
        theta = np.zeros(n)
        theta[free] = x
        return theta

    def objective(x):
        theta = unpack(x)
        d = theta[:, None] - theta[None, :]
        # -sum W_ij log sigma(d_ij), with log sigma(d) = -logaddexp(0, -d)
        nll = np.sum(W * np.logaddexp(0.0, -d))
        p = 1.0 / (1.0 + np.exp(-d))
        grad = -(np.sum(W * (1 - p), axis=1) - np.sum(W.T * (1 - p.T), axis=1))
        hess = -(N * p * (1 - p))
        np.fill_diagonal(hess, np.sum(N * p * (1 - p), axis=1))
        return nll, grad[free], hess[np.ix_(free, free)]

    result = minimize(lambda x: objective(x)[0], np.zeros(n - 1), jac=lambda x: objective(x)[1],
                      hess=lambda x: objective(x)[2], method="trust-exact", options={"gtol": 1e-10})
    theta = unpack(result.x)
    strengths = np.exp(theta)
    ratings = 1000.0 + 400.0 * theta / np.log(10.0)
    ratings += 1000.0 - (ratings[index[args.anchor]] if args.anchor else np.mean(ratings))
    # trust-exact may stop a hair short of gtol in floating point; what matters is a gradient
    # that is negligible next to the data's total weight.
    gradient = float(np.max(np.abs(objective(result.x)[1])))
    converged = gradient < 1e-9 * max(1.0, float(W.sum()))
    with open(args.json, "w") as f:
        json.dump({"models": models, "scores": (strengths / strengths.sum()).tolist(), "ratings": ratings.tolist(),
                   "converged": converged, "gradient_norm": gradient}, f, indent=1)
    return 0 if converged else 1


if __name__ == "__main__":
    sys.exit(main())
