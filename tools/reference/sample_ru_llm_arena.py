#!/usr/bin/env python3
"""Copies a small, fixed sample of the Russian LLM Arena data into tests/data/text/ru_llm_arena.

The tokenizer parity corpus uses real arena prompts, answers and JinaJudge prompts; tests may not
read the shared data directory, so this sample (with the data's Apache-2.0 LICENSE) is committed.
Run once by hand: sample_ru_llm_arena.py SHARED/data/ru_llm_arena tests/data/text/ru_llm_arena
"""
import gzip
import json
import os
import shutil
import sys

ANSWER_MODELS = ["gemma-2-27b-it", "T-Tech-T-lite-it-1.0", "gigachat_lite"]
ANSWERS_PER_MODEL = 40
JUDGE_MODELS = ["gemma-2-9b-it", "aya-23-8b"]
JUDGE_PROMPTS_PER_MODEL = 15


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    source, target = sys.argv[1], sys.argv[2]
    os.makedirs(target, exist_ok=True)
    shutil.copy(os.path.join(source, "LICENSE"), os.path.join(target, "LICENSE"))
    arena = os.path.join(source, "arena-hard-v0.1")

    with open(os.path.join(arena, "question.jsonl"), encoding="utf-8") as f, \
            open(os.path.join(target, "questions.jsonl"), "w", encoding="utf-8") as out:
        for line in f:
            q = json.loads(line)
            out.write(json.dumps({"question_id": q["question_id"], "content": q["turns"][0]["content"]},
                                 ensure_ascii=False) + "\n")

    with open(os.path.join(target, "answers.jsonl"), "w", encoding="utf-8") as out:
        for model in ANSWER_MODELS:
            with gzip.open(os.path.join(arena, "model_answer", model + ".jsonl.gz"), "rt", encoding="utf-8") as f:
                rows = [json.loads(line) for line in f]
            rows.sort(key=lambda r: r["question_id"])
            for r in rows[::max(1, len(rows) // ANSWERS_PER_MODEL)][:ANSWERS_PER_MODEL]:
                content = r["choices"][0]["turns"][0]["content"]
                out.write(json.dumps({"question_id": r["question_id"], "model": model, "content": content},
                                     ensure_ascii=False) + "\n")

    with open(os.path.join(target, "judge_prompts.jsonl"), "w", encoding="utf-8") as out:
        for model in JUDGE_MODELS:
            path = os.path.join(arena, "model_judgment", "jinajudge", model + ".jsonl.gz")
            with gzip.open(path, "rt", encoding="utf-8") as f:
                rows = [json.loads(line) for line in f]
            rows.sort(key=lambda r: r["question_id"])
            for r in rows[::max(1, len(rows) // JUDGE_PROMPTS_PER_MODEL)][:JUDGE_PROMPTS_PER_MODEL]:
                out.write(json.dumps({"question_id": r["question_id"], "model": model,
                                      "user_prompt": r["games"][0]["user_prompt"]}, ensure_ascii=False) + "\n")
    print(f"sample_ru_llm_arena: wrote {target}")


if __name__ == "__main__":
    main()
