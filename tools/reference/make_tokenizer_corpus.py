#!/usr/bin/env python3
"""Writes the tokenizer parity corpus: one JSON line {"text": ..., "source": ...} per text.

Sources (all on a Debian 12 machine with tools/setup.sh's packages, or in the repository):
  gettext     translated messages of the gettext domains in GETTEXT_DOMAINS, every language (30+ scripts)
  normtest    every line of unicode-data's NormalizationTest.txt (the five forms of each case)
  code        source files (Python standard library, libc headers) in chunks, some indented with tabs
  crlf        texts with CRLF, lone CR and mixed line ends
  emoji       emoji ZWJ and modifier (skin tone) sequences from unicode-data, alone and in text
  long        long numbers, long words in several scripts, whitespace runs, repeated punctuation
  arena       the Russian LLM Arena sample in tests/data/text/ru_llm_arena
  judge       both judges' prompt templates (Con-J-Qwen2-7B, JinaJudge) filled with arena texts
  special     special-token strings inside text (<s>, <mask>, <|im_start|>, ...)

Also writes codepoints.jsonl: the code points of codepoint_lines(), in lines of 48, each character
repeated in the contexts that reveal its classes, for the normalizer and pre-tokenizer stage checks.

Usage: make_tokenizer_corpus.py --repo REPO_ROOT --out DIR [--seed N]
Deterministic for a given seed and set of Debian 12 package versions (the summary line ends with the
corpus's SHA-256, to compare machines). Only Python's standard library is needed.
"""
import argparse
import bz2
import glob
import hashlib
import json
import os
import random
import struct
import sys

MESSAGES_PER_LANGUAGE = 45

# The gettext domains read, by the Debian 12 package that installs them: Essential packages (on every
# Debian system) and packages tools/setup.sh installs. Only these are read, so that the corpus does not
# depend on what else a machine has installed. Together: 170+ languages, 30+ scripts.
GETTEXT_DOMAINS = {
    # Essential
    "bash": "bash", "coreutils": "coreutils", "diffutils": "diffutils", "dpkg": "dpkg", "findutils": "findutils",
    "grep": "grep", "sed": "sed", "shadow": "login", "tar": "tar",
    # tools/setup.sh
    "git": "git", "glib20": "libglib2.0-data", "libc": "libc-l10n", "Linux-PAM": "libpam-runtime",
    "iso_15924": "iso-codes", "iso_3166-1": "iso-codes", "iso_3166-2": "iso-codes", "iso_3166-3": "iso-codes",
    "iso_4217": "iso-codes", "iso_639-2": "iso-codes", "iso_639-3": "iso-codes", "iso_639-5": "iso-codes",
}

CONJ_PREFIX = ("作为一个评价专家，给定一个问题和它的两个可能的回答，请选出哪一个回答在连贯性、准确性、覆盖度和上述定义的整体质量方面最为符合。"
               "请用JSON格式输出你的判断, 其中\"原因\"是你提供的解释，\"更好的回答\"是整数类型的1或2，例如{\"原因\": \"你的解释\", \"更好的回答\": 1}。"
               "以下是问题和候选回答的内容：\n    \n问题：")


def read_mo(path):
    """The translated strings of a gettext .mo file (plural forms split)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 28:
        return []
    magic = struct.unpack_from("<I", data, 0)[0]
    endian = "<" if magic == 0x950412DE else ">" if magic == 0xDE120495 else None
    if endian is None:
        return []
    _, count, _, translations = struct.unpack_from(endian + "4I", data, 4)
    out = []
    for i in range(count):
        length, offset = struct.unpack_from(endian + "2I", data, translations + 8 * i)
        raw = data[offset:offset + length]
        for form in raw.split(b"\0"):
            try:
                text = form.decode("utf-8")
            except UnicodeDecodeError:
                continue
            if text and not text.startswith("Project-Id-Version") and "Content-Type:" not in text:
                out.append(text)
    return out


def gettext_texts():
    """MESSAGES_PER_LANGUAGE messages of every language of the GETTEXT_DOMAINS: the same corpus on
    every machine set up by tools/setup.sh, whatever else is installed there."""
    languages = {}
    missing = []
    for domain, package in sorted(GETTEXT_DOMAINS.items()):
        paths = sorted(glob.glob(f"/usr/share/locale/*/LC_MESSAGES/{domain}.mo"))
        if not paths:
            missing.append(f"{domain}.mo (package {package})")
        for path in paths:
            language = path.split("/")[4]
            languages.setdefault(language, set()).update(read_mo(path))
    if missing:
        sys.exit("make_tokenizer_corpus: no translations under /usr/share/locale for " + ", ".join(missing) +
                 ": run tools/setup.sh (and keep /usr/share/locale out of dpkg's path-exclude)")
    texts = []
    for language in sorted(languages):
        messages = sorted(languages[language])
        step = max(1, len(messages) // MESSAGES_PER_LANGUAGE)
        for text in messages[::step][:MESSAGES_PER_LANGUAGE]:
            texts.append(("gettext:" + language, text))
    return texts


def normalization_test_texts():
    path = "/usr/share/unicode/NormalizationTest.txt.bz2"
    if not os.path.exists(path):
        path = path[:-4]
    opener = bz2.open if path.endswith(".bz2") else open
    texts = []
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line or line.startswith("@"):
                continue
            columns = line.split(";")[:5]
            text = " ".join("".join(chr(int(cp, 16)) for cp in col.split()) for col in columns)
            texts.append(("normtest", text))
    return texts


def libc_headers():
    """The top-level headers of libc6-dev (g++ depends on it), not those other -dev packages add."""
    headers = []
    for listing in sorted(glob.glob("/var/lib/dpkg/info/libc6-dev:*.list") + glob.glob("/var/lib/dpkg/info/libc6-dev.list")):
        with open(listing, encoding="utf-8") as f:
            headers += [l.strip() for l in f if l.startswith("/usr/include/") and l.count("/") == 3 and l.strip().endswith(".h")]
    return sorted(set(headers))


def code_texts(rng):
    # Python's standard library (python3) and libc's headers: files of packages tools/setup.sh installs.
    files = sorted(glob.glob("/usr/lib/python3.*/[a-m]*.py"))[:40] + libc_headers()[:40]
    texts = []
    for path in files:
        try:
            with open(path, encoding="utf-8") as f:
                lines = f.read().split("\n")
        except (UnicodeDecodeError, OSError):
            continue
        for start in range(0, min(len(lines), 200), 25):
            chunk = lines[start:start + 25]
            if rng.random() < 0.5:  # re-indent with tabs: four spaces become one tab
                chunk = [l.replace("    ", "\t") for l in chunk]
            text = "\n".join(chunk)
            if text.strip():
                texts.append(("code:" + os.path.basename(path), text))
    return texts


def crlf_texts(samples, rng):
    texts = []
    for source, text in samples:
        if "\n" not in text:
            text = text + "\n" + text
        choice = rng.randrange(4)
        if choice == 0:
            text = text.replace("\n", "\r\n")
        elif choice == 1:
            text = text.replace("\n", "\r")
        elif choice == 2:
            text = text.replace("\n", "\n\r")
        else:
            text = text.replace("\n", " \r\n\t ") + "\r\n"
        texts.append(("crlf:" + source, text))
    return texts


def emoji_texts():
    texts = []
    for name in ("emoji-zwj-sequences.txt", "emoji-sequences.txt"):
        path = "/usr/share/unicode/emoji/" + name
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.split("#", 1)[0].strip()
                if not line:
                    continue
                field = line.split(";")[0].strip()
                if ".." in field:
                    a, b = field.split("..")
                    seq = "".join(chr(c) for c in range(int(a, 16), min(int(b, 16), int(a, 16) + 8) + 1))
                else:
                    seq = "".join(chr(int(cp, 16)) for cp in field.split())
                texts.append(("emoji", seq))
                texts.append(("emoji-in-text", f"Смотри {seq}{seq} and ok{seq}!"))
    return texts


def long_texts(rng):
    scripts = {
        "latin": "abcdefghijklmnopqrstuvwxyz", "cyrillic": "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "greek": "αβγδεζηθικλμνξοπρστυφχψω", "han": "的一是不了人我在有他这中大来上国个到说们为子和你地出道",
        "arabic": "ابتثجحخدذرزسشصضطظعغفقكلمنهوي", "devanagari": "कखगघङचछजझञटठडढणतथदधनपफबभमयरलवशषसह्ािीुूेैोौं",
        "thai": "กขฃคฅฆงจฉชซฌญฎฏฐฑฒณดตถทธนบปผฝพฟภมยรลวศษสหฬอฮะัาำิีึืุู", "hangul": "가나다라마바사아자차카타파하",
    }
    texts = []
    for n in (1, 2, 3, 4, 7, 10, 16, 33, 64, 100, 257, 1000):
        texts.append(("long:number", "".join(rng.choice("0123456789") for _ in range(n))))
        texts.append(("long:number", f"Итого: {rng.randrange(10**12)}.{rng.randrange(100):02d} ₽, "
                                     f"{rng.randrange(10**6):,} items, +7 (912) 345-67-89, 3.14159e-10"))
    for script, letters in sorted(scripts.items()):
        for n in (5, 40, 300, 2000):
            texts.append(("long:" + script, "".join(rng.choice(letters) for _ in range(n))))
    for n in (2, 3, 17, 200):
        texts.append(("long:spaces", "a" + " " * n + "b" + "\t" * n + "c" + " \t" * n + "\n" * n + "d" + " " * n))
        texts.append(("long:punct", "!" * n + "?" + "." * n + "-" * n + "=" * n + "'" * n + "\"" * n))
    texts.append(("long:url", "https://example.com/" + "/".join(rng.choice(["a", "path", "x1", "%20", "~u"]) for _ in range(300))))
    texts.append(("long:contractions", "I'm you're he's we've they'll I'd don't WON'T She'S IT'LL 'S 'T 'Re 'VE 'M 'LL 'D 'ſ"))
    texts.append(("long:edge", ""))
    texts.append(("long:edge", " "))
    texts.append(("long:edge", "\n"))
    texts.append(("long:edge", "   leading and trailing   "))
    return texts


def arena_texts(repo):
    base = os.path.join(repo, "tests", "data", "text", "ru_llm_arena")
    texts, questions, answers = [], [], []
    with open(os.path.join(base, "questions.jsonl"), encoding="utf-8") as f:
        for line in f:
            questions.append(json.loads(line)["content"])
            texts.append(("arena:question", questions[-1]))
    with open(os.path.join(base, "answers.jsonl"), encoding="utf-8") as f:
        for line in f:
            answers.append(json.loads(line)["content"])
            texts.append(("arena:answer", answers[-1]))
    with open(os.path.join(base, "judge_prompts.jsonl"), encoding="utf-8") as f:
        for line in f:
            texts.append(("arena:jina_prompt", json.loads(line)["user_prompt"]))
    return texts, questions, answers


def judge_texts(questions, answers):
    texts = []
    for i in range(40):
        q, a, b = questions[i * 7 % len(questions)], answers[i % len(answers)], answers[(i * 3 + 1) % len(answers)]
        prompt = CONJ_PREFIX + q + "\n回答1：" + a + "\n回答2：" + b
        texts.append(("judge:conj", prompt))
        texts.append(("judge:conj_chatml", "<|im_start|>system\n<|im_end|>\n<|im_start|>user\n" + prompt +
                      "<|im_end|>\n<|im_start|>assistant\n"))
        texts.append(("judge:conj_human", "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>human\n" +
                      prompt + "<|im_end|>\n<|im_start|>assistant\n {\"原因\":"))
        texts.append(("judge:jina", f"<user prompt>\n{q}\n<end>\n<assistant A answer>\n{a}\n<end>\n<assistant B answer>\n{b}\n<end>"))
    texts.append(("judge:arena_hard", "<|User Prompt|>\n{q}\n\n<|The Start of Assistant A's Answer|>\n{a}\n"
                  "<|The End of Assistant A's Answer|>\n\n<|The Start of Assistant B's Answer|>\n{b}\n"
                  "<|The End of Assistant B's Answer|>".format(q=questions[0], a=answers[0], b=answers[1])))
    return texts


def special_texts():
    pieces = ["<s>", "</s>", "<pad>", "<unk>", "<mask>", "<|endoftext|>", "<|im_start|>", "<|im_end|>",
              "<tool_call>", "</tool_call>", "<|fim_prefix|>", "<think>", "▁", "<0x41>"]
    texts = []
    for i, p in enumerate(pieces):
        texts.append(("special", f"{p}"))
        texts.append(("special", f"Hello {p} world"))
        texts.append(("special", f"x{p}y  {p}\n{p}{p}   {p} end"))
        texts.append(("special", f"  {p}  Привет{p}мир {pieces[(i + 3) % len(pieces)]}"))
    return texts


def codepoint_lines(repo):
    """Every assigned code point of UCD 15.0 (every 16th inside the big uniform ranges such as CJK
    ideographs), every code point the reference-delta file names, and a sample of unassigned ones."""
    chosen = set()
    with open("/usr/share/unicode/UnicodeData.txt", encoding="utf-8") as f:
        first = None
        for line in f:
            fields = line.split(";")
            c = int(fields[0], 16)
            if fields[1].endswith("First>"):
                first = c
                continue
            if fields[1].endswith("Last>"):
                chosen.update(range(first, c + 1, 16))
                chosen.add(c)
                continue
            chosen.add(c)
    deltas = os.path.join(repo, "src", "text", "unicode", "reference_deltas.txt")
    with open(deltas, encoding="utf-8") as f:
        for line in f:
            fields = line.split("#", 1)[0].split()
            for r in fields[1:] if fields and fields[0] == "lowercase" else fields[2:]:
                a, b = r.split("..") if ".." in r else (r, r)
                chosen.update(range(int(a, 16), int(b, 16) + 1))
    chosen.update(range(0, 0x110000, 97))
    chars = sorted(c for c in chosen if not 0xD800 <= c <= 0xDFFF)
    lines = []
    for i in range(0, len(chars), 48):
        parts = []
        for c in chars[i:i + 48]:
            ch = chr(c)
            # The character after a letter, doubled, before '.', after a space and before a digit.
            parts.append(f"a{ch}{ch}.{ch} {ch}1")
        lines.append(" ".join(parts))
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repo", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=20240923)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)

    texts = gettext_texts()
    gettext_count = len(texts)
    languages = len({s for s, _ in texts})
    texts += normalization_test_texts()
    arena, questions, answers = arena_texts(args.repo)
    texts += code_texts(rng)
    texts += crlf_texts(rng.sample(texts[:gettext_count], min(300, gettext_count)) + arena[:100], rng)
    texts += emoji_texts()
    texts += long_texts(rng)
    texts += arena
    texts += judge_texts(questions, answers)
    texts += special_texts()

    path = os.path.join(args.out, "corpus.jsonl")
    digest = hashlib.sha256()
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        for source, text in texts:
            line = json.dumps({"text": text, "source": source}, ensure_ascii=False) + "\n"
            digest.update(line.encode("utf-8"))
            f.write(line)
    os.replace(path + ".tmp", path)
    with open(os.path.join(args.out, "codepoints.jsonl.tmp"), "w", encoding="utf-8") as f:
        for line in codepoint_lines(args.repo):
            f.write(json.dumps({"text": line}, ensure_ascii=False) + "\n")
    os.replace(os.path.join(args.out, "codepoints.jsonl.tmp"), os.path.join(args.out, "codepoints.jsonl"))
    counts = {}
    for source, _ in texts:
        key = source.split(":")[0]
        counts[key] = counts.get(key, 0) + 1
    print(f"make_tokenizer_corpus: {len(texts)} lines ({languages} gettext languages): " +
          ", ".join(f"{k} {v}" for k, v in counts.items()) + f"; sha256 {digest.hexdigest()[:16]}")


if __name__ == "__main__":
    main()
