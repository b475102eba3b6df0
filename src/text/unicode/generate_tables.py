#!/usr/bin/env python3
"""Generates gavel's Unicode tables (a C++ include file) from Debian's unicode-data (UCD 15.0).

The Hugging Face tokenizers library, whose behaviour gavel reproduces, does not use one Unicode
version: its normalizers use the unicode-normalization-alignments crate (Unicode 9.0 tables), its
regexes use Oniguruma (Unicode 16.0), Rust's char methods follow Unicode 17.0, the Punctuation
pre-tokenizer uses the unicode_categories crate (an old version). So:

  * normalization data (decompositions, combining classes, compositions) keeps only characters
    assigned in Unicode 9.0 or earlier (DerivedAge.txt), which reproduces the 9.0 tables exactly
    because Unicode never changes the normalization of an assigned character;
  * character classes come from UCD 15.0 plus reference_deltas.txt, the code points where the
    reference library's classes differ from UCD 15.0. That file is written by --write-deltas from
    the output of tools/reference/probe_unicode.js, which asks the reference about every code point.

Usage:
  generate_tables.py --ucd /usr/share/unicode --deltas reference_deltas.txt --output unicode_tables.inc
  generate_tables.py --ucd /usr/share/unicode --write-deltas PROBE.json --deltas reference_deltas.txt
Only the standard library is needed.
"""
import argparse
import json
import os
import sys

MAX_CODE_POINT = 0x10FFFF
NORMALIZATION_VERSION = (9, 0)
BLOCK = 256  # two-stage tables: code point >> 8 selects a block of 256 entries

# Bits of the character-class table; keep in sync with src/text/unicode.hpp.
CLASS_BITS = {
    "onig_letter": 0,      # Oniguruma \p{L}
    "onig_number": 1,      # Oniguruma \p{N}
    "onig_space": 2,       # Oniguruma \s
    "onig_word": 3,        # Oniguruma \w
    "rust_whitespace": 4,  # Rust char::is_whitespace
    "rust_numeric": 5,     # Rust char::is_numeric
    "hf_punctuation": 6,   # tokenizers' is_punc: ASCII punctuation or unicode_categories punctuation
    "regex_word": 7,       # Rust regex crate \w
    "nfd_stable": 8,       # unchanged by NFD, and never reordered or composed with neighbours
    "nfkd_stable": 9,
    "nfc_stable": 10,
    "nfkc_stable": 11,
    "hf_mark": 12,         # what StripAccents removes (the normalization crate's is_combining_mark)
    "hf_bert_control": 13, # what BertNormalizer's clean_text removes (unicode_categories' is_other)
    "hf_nonspacing_mark": 14,  # what BertNormalizer's accent stripping removes (is_mark_nonspacing)
}

GRAPHEME_VALUES = ["Other", "CR", "LF", "Control", "Extend", "ZWJ", "Regional_Indicator", "Prepend",
                   "SpacingMark", "L", "V", "T", "LV", "LVT"]
EXTENDED_PICTOGRAPHIC_BIT = 0x80

S_BASE, L_BASE, V_BASE, T_BASE = 0xAC00, 0x1100, 0x1161, 0x11A7
L_COUNT, V_COUNT, T_COUNT = 19, 21, 28
N_COUNT = V_COUNT * T_COUNT
S_COUNT = L_COUNT * N_COUNT


def parse_ranges(path, wanted=None):
    """Yields (first, last, value) from a UCD property file ("X..Y ; Value # comment")."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            fields = [x.strip() for x in line.split(";")]
            value = fields[1]
            if wanted is not None and value != wanted:
                continue
            r = fields[0]
            a, b = r.split("..") if ".." in r else (r, r)
            yield int(a, 16), int(b, 16), value


def code_point_set(path, wanted):
    s = set()
    for a, b, _ in parse_ranges(path, wanted):
        s.update(range(a, b + 1))
    return s


class Ucd:
    def __init__(self, root):
        self.root = root
        self.category = {}
        self.ccc = {}
        self.decomposition = {}  # code point -> (is_compat, [code points])
        self.lowercase = {}
        with open(os.path.join(root, "UnicodeData.txt"), encoding="utf-8") as f:
            first = None
            for line in f:
                fields = line.rstrip("\n").split(";")
                c = int(fields[0], 16)
                if fields[1].endswith("First>"):
                    first = c
                    continue
                lo = first if fields[1].endswith("Last>") else c
                first = None
                for x in range(lo, c + 1):
                    self.category[x] = fields[2]
                    if fields[3] != "0":
                        self.ccc[x] = int(fields[3])
                if fields[5]:
                    parts = fields[5].split()
                    compat = parts[0].startswith("<")
                    if compat:
                        parts = parts[1:]
                    self.decomposition[c] = (compat, [int(p, 16) for p in parts])
                if fields[13]:
                    self.lowercase[c] = [int(fields[13], 16)]
        with open(os.path.join(root, "SpecialCasing.txt"), encoding="utf-8") as f:
            for line in f:
                line = line.split("#", 1)[0].strip()
                if not line:
                    continue
                fields = [x.strip() for x in line.split(";")]
                if len(fields) >= 5 and fields[4]:
                    continue  # conditional mappings: Rust's char::to_lowercase ignores them
                c = int(fields[0], 16)
                lower = [int(x, 16) for x in fields[1].split()]
                if lower != [c]:
                    self.lowercase[c] = lower
        self.age = {}
        for a, b, v in parse_ranges(os.path.join(root, "DerivedAge.txt")):
            version = tuple(int(x) for x in v.split("."))
            for x in range(a, b + 1):
                self.age[x] = version
        self.white_space = code_point_set(os.path.join(root, "PropList.txt"), "White_Space")
        self.join_control = code_point_set(os.path.join(root, "PropList.txt"), "Join_Control")
        self.alphabetic = code_point_set(os.path.join(root, "DerivedCoreProperties.txt"), "Alphabetic")
        self.full_composition_exclusion = code_point_set(
            os.path.join(root, "DerivedNormalizationProps.txt"), "Full_Composition_Exclusion")
        self.grapheme = {}
        for a, b, v in parse_ranges(os.path.join(root, "auxiliary", "GraphemeBreakProperty.txt")):
            for x in range(a, b + 1):
                self.grapheme[x] = v
        self.extended_pictographic = code_point_set(os.path.join(root, "emoji", "emoji-data.txt"),
                                                    "Extended_Pictographic")

    def category_set(self, prefixes):
        return {c for c, g in self.category.items() if g.startswith(prefixes)}

    def base_classes(self):
        """Character classes as UCD 15.0 defines them (before the reference deltas)."""
        letters = self.category_set("L")
        marks = self.category_set("M")
        numbers = self.category_set("N")
        connectors = self.category_set("Pc")
        ascii_punctuation = {c for c in range(0x21, 0x7F) if not chr(c).isalnum()}
        # The unicode_categories and unicode-normalization crates the reference uses know Unicode 9.0.
        old = {c for c, v in self.age.items() if v <= NORMALIZATION_VERSION}
        return {
            "onig_letter": letters,
            "onig_number": numbers,
            "onig_space": set(self.white_space),
            "onig_word": self.alphabetic | marks | self.category_set("Nd") | connectors,
            "rust_whitespace": set(self.white_space),
            "rust_numeric": set(numbers),
            "hf_punctuation": (self.category_set("P") & old) | ascii_punctuation,
            "regex_word": self.alphabetic | marks | self.category_set("Nd") | connectors | self.join_control,
            "hf_mark": self.category_set("M") & old,
            "hf_bert_control": (self.category_set("C") & old) - {0x09, 0x0A, 0x0D},
            "hf_nonspacing_mark": self.category_set("Mn") & old,
        }


def apply_deltas(classes, lowercase, deltas_path):
    with open(deltas_path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            fields = line.split()
            if fields[0] == "lowercase":
                lowercase[int(fields[1], 16)] = [int(x, 16) for x in fields[2:]]
                continue
            name, op = fields[0], fields[1]
            if name not in classes or op not in "+-":
                sys.exit(f"{deltas_path}:{number}: unknown class or operation '{name} {op}'")
            for r in fields[2:]:
                a, b = r.split("..") if ".." in r else (r, r)
                members = range(int(a, 16), int(b, 16) + 1)
                if op == "+":
                    classes[name].update(members)
                else:
                    classes[name].difference_update(members)


def format_ranges(members):
    out = []
    for c in sorted(members):
        if out and out[-1][1] == c - 1:
            out[-1][1] = c
        else:
            out.append([c, c])
    return ["%04X" % a if a == b else "%04X..%04X" % (a, b) for a, b in out]


def write_deltas(ucd, probe_path, deltas_path):
    with open(probe_path, encoding="utf-8") as f:
        probe = json.load(f)
    base = ucd.base_classes()
    # The probe sees nonspacing marks through NFD: characters NFD changes say nothing about themselves.
    norm = Normalization(ucd)
    decomposable = {c for c in norm.decomposition if norm.full_decomposition(c, False) != [c]}
    decomposable |= set(range(S_BASE, S_BASE + S_COUNT))
    lines = ["# Where the Hugging Face tokenizers library's character classes differ from Debian's UCD 15.0.",
             "# Written by generate_tables.py --write-deltas from tools/reference/probe_unicode.js output;",
             "# do not edit by hand. '+' adds code points to a class, '-' removes them.",
             "# lowercase CP MAPPING... : Rust's char::to_lowercase where UCD 15.0 has no such mapping."]
    for name in base:
        reference = set(probe[name])
        if name == "hf_nonspacing_mark":
            reference = (reference - decomposable) | (base[name] & decomposable)
        for op, members in (("+", reference - base[name]), ("-", base[name] - reference)):
            ranges = format_ranges(members)
            for i in range(0, len(ranges), 12):
                lines.append(f"{name} {op} " + " ".join(ranges[i:i + 12]))
    reference_lower = {int(k): v for k, v in probe["lowercase"].items()}
    for c in sorted(set(reference_lower) | set(ucd.lowercase)):
        if reference_lower.get(c, [c]) != ucd.lowercase.get(c, [c]):
            lines.append("lowercase %04X " % c + " ".join("%04X" % x for x in reference_lower.get(c, [c])))
    with open(deltas_path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print(f"generate_tables: wrote {deltas_path} ({len(lines) - 4} lines)")


class Normalization:
    """Unicode 9.0 normalization data, derived from UCD 15.0 by assigned age."""

    def __init__(self, ucd):
        self.ucd = ucd
        old = lambda c: ucd.age.get(c, (99, 0)) <= NORMALIZATION_VERSION
        self.ccc = {c: v for c, v in ucd.ccc.items() if old(c)}
        self.decomposition = {c: d for c, d in ucd.decomposition.items() if old(c)}
        self.compositions = {}
        for c, (compat, parts) in self.decomposition.items():
            if compat or len(parts) != 2 or c in ucd.full_composition_exclusion:
                continue
            self.compositions[(parts[0], parts[1])] = c
        self.composition_seconds = {b for (_, b) in self.compositions}

    def full_decomposition(self, c, compat):
        if S_BASE <= c < S_BASE + S_COUNT:
            s = c - S_BASE
            out = [L_BASE + s // N_COUNT, V_BASE + (s % N_COUNT) // T_COUNT]
            if s % T_COUNT:
                out.append(T_BASE + s % T_COUNT)
            return out
        entry = self.decomposition.get(c)
        if entry is None or (entry[0] and not compat):
            return [c]
        out = []
        for p in entry[1]:
            out.extend(self.full_decomposition(p, compat))
        return out

    def normalize(self, text, compat, compose):
        chars = []
        for c in text:
            chars.extend(self.full_decomposition(c, compat))
        # canonical ordering (stable sort of each run of non-starters)
        i = 0
        while i < len(chars):
            if self.ccc.get(chars[i], 0) == 0:
                i += 1
                continue
            j = i
            while j < len(chars) and self.ccc.get(chars[j], 0) != 0:
                j += 1
            chars[i:j] = sorted(chars[i:j], key=lambda x: self.ccc.get(x, 0))
            i = j
        if not compose:
            return chars
        out = []
        starter = None
        previous_ccc = 0
        for c in chars:
            ccc = self.ccc.get(c, 0)
            if starter is not None:
                # Not blocked: adjacent to the starter, or every character since has a lower class.
                if len(out) - 1 == starter or (previous_ccc != 0 and previous_ccc < ccc):
                    composite = self.compose_pair(out[starter], c)
                    if composite is not None:
                        out[starter] = composite
                        continue
            if ccc == 0:
                starter = len(out)
            out.append(c)
            previous_ccc = ccc
        return out

    def compose_pair(self, a, b):
        if L_BASE <= a < L_BASE + L_COUNT and V_BASE <= b < V_BASE + V_COUNT:
            return S_BASE + ((a - L_BASE) * V_COUNT + (b - V_BASE)) * T_COUNT
        if S_BASE <= a < S_BASE + S_COUNT and (a - S_BASE) % T_COUNT == 0 and T_BASE < b < T_BASE + T_COUNT:
            return a + (b - T_BASE)
        return self.compositions.get((a, b))

    def stable(self, c, compat, compose):
        """True when c can never change under this form, alone or next to other characters."""
        if self.ccc.get(c, 0) != 0:
            return False
        if compose:
            if c in self.composition_seconds or (V_BASE <= c < V_BASE + V_COUNT) or (T_BASE < c < T_BASE + T_COUNT):
                return False
            return self.normalize([c], compat, True) == [c]
        return self.full_decomposition(c, compat) == [c]


def two_stage(values, default, name, value_type):
    """C++ for a two-stage lookup table of one small integer per code point."""
    blocks, block_ids, stage1 = [], {}, []
    for start in range(0, MAX_CODE_POINT + 1, BLOCK):
        block = tuple(values.get(c, default) for c in range(start, start + BLOCK))
        if block not in block_ids:
            block_ids[block] = len(blocks)
            blocks.append(block)
        stage1.append(block_ids[block])
    out = [f"constexpr uint16_t {name}Stage1[{len(stage1)}] = {{"]
    out += wrap(stage1)
    out.append("};")
    out.append(f"constexpr {value_type} {name}Stage2[{len(blocks) * BLOCK}] = {{")
    for block in blocks:
        out += wrap(block)
    out.append("};")
    return out


def wrap(numbers, per_line=24):
    numbers = list(numbers)
    return ["  " + ",".join(str(x) for x in numbers[i:i + per_line]) + "," for i in range(0, len(numbers), per_line)]


def generate(ucd, deltas_path, output):
    classes = ucd.base_classes()
    lowercase = dict(ucd.lowercase)
    apply_deltas(classes, lowercase, deltas_path)
    norm = Normalization(ucd)

    flags = {}
    for name, members in classes.items():
        bit = 1 << CLASS_BITS[name]
        for c in members:
            flags[c] = flags.get(c, 0) | bit
    stability = {"nfd_stable": (False, False), "nfkd_stable": (True, False),
                 "nfc_stable": (False, True), "nfkc_stable": (True, True)}
    # Only characters with normalization data can be unstable; the rest are stable in every form.
    involved = set(norm.ccc) | set(norm.decomposition) | norm.composition_seconds
    involved |= set(range(S_BASE, S_BASE + S_COUNT)) | set(range(L_BASE, L_BASE + L_COUNT))
    involved |= set(range(V_BASE, V_BASE + V_COUNT)) | set(range(T_BASE, T_BASE + T_COUNT))
    every_form = sum(1 << CLASS_BITS[name] for name in stability)
    for c in range(MAX_CODE_POINT + 1):
        if 0xD800 <= c <= 0xDFFF:
            continue
        if c not in involved:
            flags[c] = flags.get(c, 0) | every_form
            continue
        for name, (compat, compose) in stability.items():
            if norm.stable(c, compat, compose):
                flags[c] = flags.get(c, 0) | (1 << CLASS_BITS[name])

    grapheme = {}
    for c, v in ucd.grapheme.items():
        grapheme[c] = GRAPHEME_VALUES.index(v)
    for c in ucd.extended_pictographic:
        grapheme[c] = grapheme.get(c, 0) | EXTENDED_PICTOGRAPHIC_BIT

    lines = ["// Generated by src/text/unicode/generate_tables.py from Debian's unicode-data (UCD 15.0)",
             "// and src/text/unicode/reference_deltas.txt. Do not edit.",
             "#pragma once", "#include <cstdint>", "namespace gavel::text::unicode_data {", ""]
    lines += two_stage(flags, 0, "kClass", "uint16_t")
    lines += two_stage(norm.ccc, 0, "kCombiningClass", "uint8_t")
    lines += two_stage(grapheme, 0, "kGrapheme", "uint8_t")

    data = []
    for name, compat in (("kCanonicalDecomposition", False), ("kCompatibilityDecomposition", True)):
        entries = []
        for c in sorted(norm.decomposition):
            full = norm.full_decomposition(c, compat)
            if full != [c]:
                entries.append((c, len(data), len(full)))
                data.extend(full)
        lines.append(f"constexpr DecompositionEntry {name}[{len(entries)}] = {{")
        lines += ["  {%d,%d,%d}," % e for e in entries]
        lines.append("};")
    lines.append(f"constexpr char32_t kDecompositionData[{len(data)}] = {{")
    lines += wrap(data)
    lines.append("};")

    pairs = sorted(norm.compositions.items())
    lines.append(f"constexpr CompositionEntry kComposition[{len(pairs)}] = {{")
    lines += ["  {%d,%d,%d}," % (a, b, c) for (a, b), c in pairs]
    lines.append("};")

    lower_entries = sorted(lowercase.items())
    lines.append(f"constexpr LowercaseEntry kLowercase[{len(lower_entries)}] = {{")
    for c, mapping in lower_entries:
        if len(mapping) > 3:
            sys.exit(f"generate_tables: lowercase of {c:04X} has more than 3 code points")
        padded = mapping + [0] * (3 - len(mapping))
        lines.append("  {%d,{%d,%d,%d}}," % (c, *padded))
    lines.append("};")
    lines.append("}  // namespace gavel::text::unicode_data")
    tmp = output + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, output)


def main():
    parser = argparse.ArgumentParser(description="gavel's Unicode tables")
    parser.add_argument("--ucd", default="/usr/share/unicode", help="Debian unicode-data directory")
    parser.add_argument("--deltas", required=True, help="reference_deltas.txt")
    parser.add_argument("--output", help="the C++ include file to write")
    parser.add_argument("--write-deltas", metavar="PROBE_JSON", help="write --deltas from a probe_unicode.js output")
    args = parser.parse_args()
    if not os.path.exists(os.path.join(args.ucd, "UnicodeData.txt")):
        sys.exit(f"generate_tables: {args.ucd}/UnicodeData.txt not found (install Debian's unicode-data)")
    ucd = Ucd(args.ucd)
    if args.write_deltas:
        write_deltas(ucd, args.write_deltas, args.deltas)
    elif args.output:
        generate(ucd, args.deltas, args.output)
    else:
        parser.error("give --output or --write-deltas")


if __name__ == "__main__":
    main()
