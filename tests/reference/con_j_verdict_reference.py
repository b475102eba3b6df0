#!/usr/bin/python3
"""Second opinion on gavel's Con-J verdict table: models.md §1.8 run with Python itself (re, json.loads,
demjson.decode from Debian's python3-demjson). Reads JSON lines {"text", "verdict"} and fails when the
Python evaluation disagrees with the expected verdict of any line.

usage: con_j_verdict_reference.py TABLE.jsonl
"""
import json
import re
import sys

import demjson

VERDICT_KEY = "更好的回答"
SOFT_KEYS = ["更好的回答", "更好回答", "更好得回答", "更好地回答", "better_answer", "better answer", "更好答案",
             "更好得答案", "更好的答案", "更好地答案", "更佳回答", "更佳答案", "更好答", "最佳答案", "更好答 案",
             "更好 的 回答 ", "betterAnswer", "更好 的 回应 ", "更好得回应回答", "答案", "回答"]


def loads(text):
    try:
        return json.loads(text)
    except Exception:
        try:
            return demjson.decode(text)
        except Exception:
            return None


def has_key(value):
    return isinstance(value, dict) and VERDICT_KEY in value


def soft_search(gen):
    for key in SOFT_KEYS:
        if key not in gen:
            continue
        m = re.search('"' + key + '":(.*?)([12１２])', gen, re.DOTALL)
        if m is None:
            m = re.search(key + '(.*?)([12１２])', gen, re.DOTALL)
        if m is not None:
            return {VERDICT_KEY: int(m.group(2))}
        m = re.search('([12])(?=(?:[^1|^2])*?' + key + ')', gen, re.DOTALL)
        if m is not None:
            return {VERDICT_KEY: int(m.group(1))}
    return None


def evaluate(gen):
    gen = gen.replace("\n", " ").strip()
    content = None
    if "```json" in gen:
        m = re.search(r"```json(.*?)```", gen, re.DOTALL)
        if m is not None:
            content = loads(m.group(1))
            if not has_key(content):
                # The evaluator re-searches for a fence inside the last block's text: never found.
                last = re.findall(r"```json(.*?)```", gen, re.DOTALL)[-1]
                m2 = re.search(r"```json(.*?)```", last, re.DOTALL)
                content = loads(m2.group(0)) if m2 is not None else None
    if not isinstance(content, dict) and gen.startswith("{"):
        content = loads(gen)
    if not isinstance(content, dict) and "{" in gen and "}" in gen:
        m = re.search(r"{(.*?)}", gen, re.DOTALL)
        if m is not None:
            content = loads(m.group(0))
            if content is not None and VERDICT_KEY not in content:
                inner = re.findall(r"{(.*?)}", gen, re.DOTALL)[-1]
                m2 = re.search(r"{(.*?)}", "{" + inner + "}", re.DOTALL)
                content = loads(m2.group(0)) if m2 is not None else None
    if not has_key(content):
        content = soft_search(gen)
    if not has_key(content) or content[VERDICT_KEY] not in [1, 2]:
        return "parse_failed"
    return "A>B" if content[VERDICT_KEY] == 1 else "B>A"


def main():
    failures = 0
    rows = 0
    with open(sys.argv[1], encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            rows += 1
            got = evaluate(row["text"])
            if got != row["verdict"]:
                failures += 1
                print(f"line {number}: expected {row['verdict']}, Python gives {got}: {row['text']!r}")
    print(f"{rows} rows, {failures} disagreements")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
