#!/usr/bin/python3
"""Writes the small test copies of the real judge and arena data into tests/data/{eval,arena}.

Run once by a developer (not by the tests): the tests may not read the shared data folder, so
this keeps only the fields the checks need and gzips them. Every output folder gets the source's
LICENSE; tests/data/{eval,arena}/README.md say what was kept and how it was changed.

    /usr/bin/python3 tools/reference/python/make_fixtures.py [--data /work/shared/data]
"""
import argparse
import collections
import gzip
import json
import os
import shutil


def write_jsonl_gz(path, records):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # mtime=0 keeps the bytes reproducible, so re-running this shows no diff.
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as out:
        for r in records:
            out.write((json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n").encode())


def read_jsonl(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def copy_license(src_dir, dst_dir):
    os.makedirs(dst_dir, exist_ok=True)
    shutil.copyfile(os.path.join(src_dir, "LICENSE"), os.path.join(dst_dir, "LICENSE"))


# ---------------------------------------------------------------------------------------------
# eval: PandaLM (human labels vs GPT-3.5 and PandaLM-7B) and LLMBar (GPT-4 / ChatGPT vs gold).

def make_pandalm(data, out):
    src = os.path.join(data, "pandalm")
    human = json.load(open(os.path.join(src, "testset-v1.json")))
    gpt = {r["idx"]: r["gpt_result"] for r in json.load(open(os.path.join(src, "gpt-3.5-turbo-testset-v1.json")))}
    panda = {r["idx"]: r["pandalm_result"] for r in json.load(open(os.path.join(src, "pandalm-7b-testset-v1.json")))}
    records = []
    for r in human:
        votes = [r["annotator1"], r["annotator2"], r["annotator3"]]
        label, count = collections.Counter(votes).most_common(1)[0]
        if count < 2:
            raise SystemExit(f"pandalm idx {r['idx']}: no majority among {votes}")
        # Labels and verdicts stay as the sources write them (ints 0 tie / 1 / 2; GPT-3.5's
        # strings "1", "2", "Tie", "garbage"): reading them is part of what is tested.
        records.append({"id": str(r["idx"]), "label": label, "annotators": votes,
                        "gpt35": gpt[r["idx"]], "pandalm7b": panda[r["idx"]],
                        "category": r["motivation_app"], "cmp_key": r["cmp_key"]})
    dst = os.path.join(out, "eval", "pandalm")
    write_jsonl_gz(os.path.join(dst, "pandalm_testset_v1.jsonl.gz"), records)
    copy_license(src, dst)
    print(f"pandalm: {len(records)} records")


LLMBAR_SUBSETS = ["LLMBar/Natural", "LLMBar/Adversarial/Neighbor", "LLMBar/Adversarial/GPTInst",
                  "LLMBar/Adversarial/GPTOut", "LLMBar/Adversarial/Manual", "CaseStudy/Negation",
                  "CaseStudy/Normal", "CaseStudy/Base_9", "CaseStudy/Base_10", "CaseStudy/Constraint"]
LLMBAR_EVALUATORS = ["GPT-4/Vanilla", "GPT-4/Swap_CoT", "ChatGPT/Vanilla", "ChatGPT/Swap_CoT"]


def llmbar_verdict(winner):
    return {"1": "A>B", "2": "B>A", None: "parse_failed"}[winner]


def pair_verdict(first, second):
    # docs/judgments.md, generative judges: the agreed verdict, A=B when the orders disagree,
    # the one valid verdict when the other failed to parse.
    if first == "parse_failed":
        return second
    if second == "parse_failed" or first == second:
        return first
    return "A=B"


def make_llmbar(data, out):
    src = os.path.join(data, "llmbar")
    stats = {}
    for evaluator in LLMBAR_EVALUATORS:
        records = []
        for subset in LLMBAR_SUBSETS:
            base = os.path.join(src, "Dataset", subset, "evaluators", evaluator)
            if not os.path.exists(os.path.join(base, "result.json.gz")):
                continue
            with gzip.open(os.path.join(base, "result.json.gz"), "rt") as f:
                items = json.load(f)
            stats.setdefault(subset, {})[evaluator] = json.load(open(os.path.join(base, "statistics.json")))
            for i, item in enumerate(items):
                # The authors score the last stage of the evaluator (Swap_CoT synthesises a second
                # round when the two orders disagree): results[-1], as their evaluate.py does.
                last = item["results"][-1]
                as_is = llmbar_verdict(last["swap = False"]["winner"])
                swap = llmbar_verdict(last["swap = True"]["winner"])
                records.append({
                    "id": f"{subset}#{i}", "label": llmbar_verdict(str(item["label"])),
                    "verdict": pair_verdict(as_is, swap), "category": subset,
                    "consistent": as_is == swap and as_is != "parse_failed",
                    "games": [{"order": "as-is", "verdict": as_is}, {"order": "swap", "verdict": swap}],
                    "judge": {"model": evaluator, "protocol": "LLMBar " + evaluator.split("/")[1]}})
        name = evaluator.replace("/", "_")
        write_jsonl_gz(os.path.join(out, "eval", "llmbar", f"{name}.jsonl.gz"), records)
        print(f"llmbar {evaluator}: {len(records)} records")
    dst = os.path.join(out, "eval", "llmbar")
    with open(os.path.join(dst, "statistics.json"), "w") as f:
        json.dump(stats, f, indent=1, sort_keys=True)
        f.write("\n")
    copy_license(src, dst)


# ---------------------------------------------------------------------------------------------
# arena: arena-hard-local (r4dm) battles, Russian LLM Arena JinaJudge judgments, Evalica goldens.

def token_lengths_only(rows):
    # FastChat answer records minus the answer text: question_id, model_id and token_len.
    return [{"question_id": r["question_id"], "model_id": r["model_id"],
             "choices": [{"index": c.get("index", 0), "turns": [{"token_len": t["token_len"]} for t in c["turns"]]}
                         for c in r["choices"]]} for r in rows]


def make_r4dm(data, out):
    src = os.path.join(data, "arena_hard_local_r4dm")
    dst = os.path.join(out, "arena", "arena_hard_local_r4dm")
    os.makedirs(dst, exist_ok=True)
    shutil.copyfile(os.path.join(src, "arena_hard_battles.jsonl.gz"), os.path.join(dst, "arena_hard_battles.jsonl.gz"))
    answers = os.path.join(src, "arena-hard-v0.1", "model_answer")
    for name in sorted(os.listdir(answers)):
        write_jsonl_gz(os.path.join(dst, "model_answer", name), token_lengths_only(read_jsonl(os.path.join(answers, name))))
    copy_license(src, dst)
    print("r4dm: battles + answers")


def make_ru_llm_arena(data, out):
    src = os.path.join(data, "ru_llm_arena")
    dst = os.path.join(out, "arena", "ru_llm_arena")
    judgments = os.path.join(src, "arena-hard-v0.1", "model_judgment", "jinajudge")
    judged = []
    for name in sorted(os.listdir(judgments)):
        rows = read_jsonl(os.path.join(judgments, name))
        # user_prompt repeats the question and both answers (33 MB in all); the arena reads
        # only the verdict labels.
        for r in rows:
            for g in r["games"]:
                g.pop("user_prompt", None)
        write_jsonl_gz(os.path.join(dst, "model_judgment", "jinajudge", name), rows)
        judged.append(name)
    answers = os.path.join(src, "arena-hard-v0.1", "model_answer")
    keep = set(judged) | {"gpt-3.5-turbo-0125.jsonl.gz"}
    for name in sorted(os.listdir(answers)):
        if name in keep:
            write_jsonl_gz(os.path.join(dst, "model_answer", name), token_lengths_only(read_jsonl(os.path.join(answers, name))))
    copy_license(src, dst)
    print(f"ru_llm_arena: {len(judged)} judgment files")


def make_evalica(data, out):
    src = os.path.join(data, "evalica_golden")
    dst = os.path.join(out, "arena", "evalica_golden")
    os.makedirs(dst, exist_ok=True)
    for name in sorted(os.listdir(src)):
        if not name.endswith(".csv"):
            continue
        if name == "llmfao.csv":
            with open(os.path.join(src, name), "rb") as f, open(os.path.join(dst, name + ".gz"), "wb") as raw, \
                    gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as g:
                g.write(f.read())
        else:
            shutil.copyfile(os.path.join(src, name), os.path.join(dst, name))
    copy_license(src, dst)
    print("evalica: golden csv files")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="/work/shared/data")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "data"))
    args = parser.parse_args()
    out = os.path.abspath(args.out)
    make_pandalm(args.data, out)
    make_llmbar(args.data, out)
    make_r4dm(args.data, out)
    make_ru_llm_arena(args.data, out)
    make_evalica(args.data, out)


if __name__ == "__main__":
    main()
