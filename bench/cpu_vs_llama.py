#!/usr/bin/python3
"""gavel vs llama.cpp's own llama-bench on this CPU: the same random-weight models, the same token
counts, the same thread count, runs interleaved (gavel, llama, llama, gavel, ... one timed run each
per round after a warm-up) because the machine drifts by 10-25% between minutes. Driven by
bench/cpu_vs_llama.sh, which builds what it needs; see there for usage.

Rows: Qwen2-0.5B shape prompt processing (pp512) and generation (tg128) in BF16, F32 and INT8
(gavel: the BF16 model with --weights int8, its matrices quantised at load to Q8_0-style blocks;
llama.cpp: a Q8_0 GGUF of the same model, as convert_hf_to_gguf --outtype q8_0 writes it); the
jina-embeddings-v3 encoder (full shape, BF16) on one input of 1024 and of 4096 tokens; and, gavel
only, a JinaJudge pair (encoder + head) of 1024 tokens, and of 1024 and 4096 tokens with the
attention on bf16 dot products (--attention bf16). For each: gavel and llama.cpp as mean ± sd
over the rounds, their ratio (> 1: gavel faster), and the fraction of this machine's limit each
reaches, measured by bench/machine_peak:
  prefill / encode: GFLOP/s against the peak of the FMA units (F32), of the fastest bf16 unit
      (BF16: AMX tiles where the CPU has them, else AVX512-BF16 dot products) or of AVX512-VNNI
      int8 dot products (INT8, GOP/s), measured at the start, FLOPs = 2 x
      parameters in matmuls x tokens + attention (QK^T and PV; causal: half);
  decode: GB/s against memory read bandwidth, bytes = the weight file's tensor bytes x tok/s (INT8,
      gavel: the bytes it streams a token, Q8_0 matrices at 34 bytes per 32 weights including the
      lm_head, norms and biases as stored). The read bandwidth of this VM swings by 2x between
      minutes (40 to 85 GB/s on 2 threads in one hour), so it is measured again right before each
      round's pair of Qwen2 runs (machine_peak --memory-only), and each run is divided by the figure
      measured beside it; the column is the mean of those fractions. That figure is the sustained
      read: the best of reading each thread's share as 1, 2 or 4 streams at once (before session 8,
      2026-12-04, 1 stream only), run without a break for as long as a decode run takes (4 s),
      all its bytes over all its time, as a decode run's tok/s is. Until session 18 (2026-12-06) it
      was the burst read, the best of 3 trials of 0.3 s; on the development Xeon the speed dips to
      half for ~0.1 s about every 1.1 s under any steady reader, so bursts read 12-15% faster than
      the same reader sustained over seconds, a rate no run of seconds reaches. The fractions
      against the burst beside each round and against the start-of-run burst are printed below the
      table too. The read beside a row is as many bytes as gavel's decode step streams (BF16
      943 MiB, F32 1885 MiB, INT8 501 MiB): this host's L3 (300 MiB) serves part of a smaller
      buffer, and before session 17 a fixed 512 MiB read 38-40 GB/s where 1 GiB read 35-36 and 2 GiB
      33-34, a yardstick the BF16 and F32 weights cannot reach.
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SUSTAIN_SECONDS = 4  # the read beside a decode row: about as long as gavel's BF16 tg128 run
ROOT = os.path.dirname(HERE)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    if r.returncode != 0:
        raise SystemExit(f"cpu_vs_llama: {' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()[-2000:]}")
    return r.stdout


# ---- models -------------------------------------------------------------------------------------

def make_model(gavel, out, arch, size, dtype):
    if os.path.exists(os.path.join(out, ".complete")):
        return
    log(f"making {arch} {size} {dtype} in {out}")
    run([gavel, "make-model", "--arch", arch, "--size", size, "--dtype", dtype, "--out", out])
    open(os.path.join(out, ".complete"), "w").close()


def convert(cmd, out, env=None):
    if os.path.exists(out):
        return
    log(f"writing {out}")
    tmp = out + ".tmp"
    run([a if a != "OUT" else tmp for a in cmd], env=env)
    os.rename(tmp, out)


# ---- FLOPs --------------------------------------------------------------------------------------

def qwen2_shape(cfg):
    h = cfg["hidden_size"]
    heads = cfg["num_attention_heads"]
    kv = cfg.get("num_key_value_heads", heads)
    return h, cfg["intermediate_size"], cfg["num_hidden_layers"], heads, kv, cfg.get("head_dim", h // heads)


def qwen2_layer_matrix_params(cfg):
    h, inter, _, heads, kv, hd = qwen2_shape(cfg)
    return h * heads * hd + 2 * h * kv * hd + heads * hd * h + 3 * h * inter


def qwen2_prefill_flops(cfg, n):
    h, _, layers, heads, _, hd = qwen2_shape(cfg)
    matmul = 2 * n * layers * qwen2_layer_matrix_params(cfg) + 2 * h * cfg["vocab_size"]  # lm_head: last token only
    attention = layers * 2 * heads * hd * n * (n + 1)  # QK^T and PV over the causal half, 2 FLOPs each
    return matmul + attention


def checkpoint_bytes(model_dir):
    """The bytes of a model folder's safetensors files (headers included: a few KiB)."""
    return sum(os.path.getsize(os.path.join(model_dir, f)) for f in os.listdir(model_dir) if f.endswith(".safetensors"))


def qwen2_q8_0_decode_bytes(cfg, vector_bytes):
    """Weight bytes one decode step of gavel --weights int8 streams: the blocks' matrices and the
    lm_head (tied or not) in Q8_0, 34 bytes per 32 weights; norms and biases as stored, `vector_bytes`
    a value. The embedding lookup, one row a token, is not counted (a tied table is counted once, as
    the lm_head, as it is once in llama.cpp's GGUF)."""
    h, _, layers, heads, kv, hd = qwen2_shape(cfg)
    matrices = layers * qwen2_layer_matrix_params(cfg) + h * cfg["vocab_size"]
    if matrices % 32:
        raise SystemExit(f"cpu_vs_llama: {matrices} matrix weights do not split into Q8_0's 32-weight blocks")
    vectors = layers * (2 * h + heads * hd + 2 * kv * hd) + h  # 2 norms, q/k/v biases; final norm
    return matrices // 32 * 34 + vectors * vector_bytes


def jina_encode_flops(cfg, n):
    h, inter, layers = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    per_layer = 3 * h * h + h * h + 2 * h * inter
    return 2 * n * layers * per_layer + layers * 4 * h * n * n


# ---- runners ------------------------------------------------------------------------------------

def gavel_bench(gavel, model, threads, extra, warmup=True):
    cmd = [gavel, "bench", "--model", model, "--threads", str(threads), "--repetitions", "1", "--json"] + extra
    if not warmup:
        cmd.append("--no-warmup")
    return json.loads(run(cmd))


def llama_bench(llama, gguf, threads, extra, warmup=True):
    cmd = [llama, "-m", gguf, "-t", str(threads), "-r", "1", "-o", "jsonl"] + extra
    if not warmup:
        cmd.append("--no-warmup")
    tests = [json.loads(line) for line in run(cmd).splitlines() if line.startswith("{")]
    if not tests:
        raise SystemExit(f"cpu_vs_llama: {' '.join(cmd)} printed no results")
    return tests


class Row:
    """One line of the table: a metric measured on both sides (or gavel only)."""

    def __init__(self, name, unit, precision, kind, work):
        self.name, self.unit, self.precision, self.kind = name, unit, precision, kind
        self.work = work  # FLOPs per input (prefill/encode) or None (decode: bytes come from the runs)
        self.gavel, self.llama = [], []
        self.gavel_bytes = self.llama_bytes = None
        self.mem = []  # decode: sustained read GB/s measured right before each round's runs
        self.mem_burst = []  # decode: the burst read GB/s (best 0.3 s trial) measured with it
        self.stream_bytes = None  # decode: the bytes gavel streams a token (the size of that read)


def mean_sd(xs):
    if not xs:
        return None, None
    return statistics.fmean(xs), (statistics.stdev(xs) if len(xs) > 1 else 0.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gavel", required=True)
    ap.add_argument("--llama-bench", required=True)
    ap.add_argument("--llama-source", required=True, help="the llama.cpp source (its gguf-py writes the GGUFs)")
    ap.add_argument("--machine-peak", required=True)
    ap.add_argument("--tokenizer", required=True, help="a Qwen2 tokenizer.json for the Qwen2 GGUF's vocabulary")
    ap.add_argument("--work", required=True, help="folder for the models and GGUFs (kept: a rerun reuses them)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--gavel-matmul", choices=["f32", "bf16"], default="bf16",
                    help="gavel's products for BF16 weights: bf16 rounds activations to bf16 as llama.cpp's BF16 "
                         "path does (equal precision, the default here); f32 keeps them f32 (gavel's default)")
    ap.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 3; --quick: 1)")
    ap.add_argument("--quick", action="store_true",
                    help="1 round; BF16 and INT8 only; pp512, tg32, jina 1024 only (a smoke run, not figures to quote)")
    ap.add_argument("--json-out", help="also write every run's figures here")
    args = ap.parse_args()
    rounds = args.rounds or (1 if args.quick else 3)
    threads = args.threads
    gen_tokens = 32 if args.quick else 128
    prompt_tokens = 512
    encode_lengths = [1024] if args.quick else [1024, 4096]
    precisions = ["bf16", "int8"] if args.quick else ["bf16", "f32", "int8"]
    started = time.time()

    os.makedirs(args.work, exist_ok=True)
    py = "/usr/bin/python3"
    ref = os.path.join(ROOT, "tests", "reference")
    env = dict(os.environ, PYTHONPATH=os.path.join(args.llama_source, "gguf-py"))

    if "int8" in precisions and "--weights" not in run([args.gavel, "bench", "--help"]):
        raise SystemExit(f"cpu_vs_llama: {args.gavel} has no 'bench --weights' (the INT8 rows need it): rebuild it")

    # Models (same seed: the F32 model holds the BF16 model's values widened) and their GGUFs. INT8:
    # gavel quantises the BF16 model at load; llama.cpp reads a Q8_0 GGUF of it.
    qwen = {}
    for p in precisions:
        dtype, outtype = ("bf16", "q8_0") if p == "int8" else (p, p)
        d = os.path.join(args.work, f"qwen2-0.5b-{dtype}")
        make_model(args.gavel, d, "qwen2", "0.5b", dtype)
        g = os.path.join(args.work, f"qwen2-0.5b-{outtype}.gguf")
        convert([py, os.path.join(ref, "qwen2_gguf.py"), d, args.tokenizer, "OUT", args.llama_source, "--outtype", outtype], g)
        qwen[p] = (d, g)
    judge = os.path.join(args.work, "jina-judge-full-bf16")
    make_model(args.gavel, judge, "jina-judge", "full", "bf16")
    jina_gguf = os.path.join(args.work, "jina-v3-full-bf16.gguf")
    convert([py, os.path.join(ref, "jina_gguf.py"), os.path.join(judge, "model.safetensors"),
             os.path.join(judge, "encoder", "config.json"), "OUT", "--outtype", "bf16"], jina_gguf, env=env)
    prep_s = time.time() - started

    # gavel maps a checkpoint for transparent huge pages (src/core/mapped_file.cpp), which the kernel
    # can give only to a file it reads from disk through that map; a checkpoint read by an older run
    # (or written by a gavel before 2026-12-05, whose make-model now does this itself) sits in 4 KiB
    # pages. Write back and drop them from the page cache once (dirty pages are not dropped), so that
    # gavel's warm-up run reads them as its first load of a downloaded checkpoint would. The GGUFs are
    # left as they are (llama.cpp does not ask for huge pages).
    for d in sorted({qwen[p][0] for p in precisions} | {judge}):
        for name in os.listdir(d):
            if name.endswith(".safetensors"):
                fd = os.open(os.path.join(d, name), os.O_RDONLY)
                try:
                    os.fdatasync(fd)
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                finally:
                    os.close(fd)

    log("measuring the machine's limits (bench/machine_peak)")
    peak = json.loads(run([args.machine_peak, "--threads", str(threads), "--trials", "5", "--seconds", "0.3"]))
    if "amx_bf16_gflops" not in peak:
        raise SystemExit(f"cpu_vs_llama: {args.machine_peak} predates amx_bf16_gflops: rebuild it")
    t = str(threads)
    # BF16 products: the machine's fastest bf16 unit, AMX tiles where there are some (gavel uses
    # them; llama.cpp at this commit multiplies BF16 on AVX512-BF16 alone).
    bf16_rates = [r for r in ((peak["bf16_dot_gflops"] or {}).get(t), (peak["amx_bf16_gflops"] or {}).get(t)) if r]
    limits = {"f32": peak["fma_f32_gflops"][t] if peak["fma_f32_gflops"] else None,
              "bf16": max(bf16_rates) if bf16_rates else None, "int8": (peak["int8_dot_gops"] or {}).get(t),
              "mem": peak["mem_read_gbs"][t]}

    with open(os.path.join(qwen[precisions[0]][0], "config.json")) as f:
        qcfg = json.load(f)
    with open(os.path.join(judge, "encoder", "config.json")) as f:
        jcfg = json.load(f)

    rows, jobs = [], []
    for p in precisions:
        d, g = qwen[p]
        pp = Row(f"qwen2-0.5b {p.upper()} pp{prompt_tokens}", "tok/s", p, "prefill", qwen2_prefill_flops(qcfg, prompt_tokens))
        tg = Row(f"qwen2-0.5b {p.upper()} tg{gen_tokens}", "tok/s", p, "decode", None)
        tg.stream_bytes = qwen2_q8_0_decode_bytes(qcfg, 2) if p == "int8" else checkpoint_bytes(d)
        rows += [pp, tg]

        def gavel_qwen(pp=pp, tg=tg, d=d, p=p):
            extra = {"bf16": ["--matmul", args.gavel_matmul], "f32": [], "int8": ["--weights", "int8"]}[p]
            j = gavel_bench(args.gavel, d, threads, ["--prompt-tokens", str(prompt_tokens), "--gen-tokens", str(gen_tokens)] + extra)
            pp.gavel.append(j["prefill_tok_s"])
            tg.gavel.append(j["decode_tok_s"])
            # weight_bytes is the checkpoint's: with --weights int8 gavel streams its matrices as Q8_0
            # and the norms and biases as stored (BF16, 2 bytes).
            tg.gavel_bytes = tg.stream_bytes if p == "int8" else j["weight_bytes"]

        def llama_qwen(pp=pp, tg=tg, g=g):
            for test in llama_bench(args.llama_bench, g, threads, ["-p", str(prompt_tokens), "-n", str(gen_tokens)]):
                if test["n_prompt"] > 0:
                    pp.llama.append(test["avg_ts"])
                else:
                    tg.llama.append(test["avg_ts"])
                    tg.llama_bytes = test["model_size"]

        jobs.append((gavel_qwen, llama_qwen, tg))
    for n in encode_lengths:
        row = Row(f"jina-v3 BF16 encode {n}", "s", "bf16", "encode", jina_encode_flops(jcfg, n))
        rows.append(row)
        # The long input costs tens of seconds a run: no warm-up there (the weights are resident by then).
        warm = n <= 1024

        def gavel_jina(row=row, n=n, warm=warm):
            j = gavel_bench(args.gavel, judge, threads, ["--encode-tokens", str(n), "--encoder-only", "--matmul", args.gavel_matmul], warm)
            row.gavel.append(j["encode_s"])

        def llama_jina(row=row, n=n, warm=warm):
            test = llama_bench(args.llama_bench, jina_gguf, threads,
                               ["-embd", "1", "-p", str(n), "-n", "0", "-b", str(n), "-ub", str(n)], warm)[0]
            row.llama.append(test["avg_ns"] / 1e9)

        jobs.append((gavel_jina, llama_jina, None))
    # The JinaJudge pair targets (gavel only): attention in f32 as in the rows above, and on
    # bf16 dot products (--attention bf16: AMX or AVX512-BF16), which llama.cpp's encoder does not do.
    for n, attention in ((1024, "f32"), (1024, "bf16"), (4096, "bf16")):
        label = "" if attention == "f32" else ", bf16 attention"
        pair = Row(f"JinaJudge BF16 pair {n}{label} (gavel only)", "s", "bf16", "encode", None)
        rows.append(pair)

        def gavel_pair(pair=pair, n=n, attention=attention):
            flags = ["--encode-tokens", str(n), "--matmul", args.gavel_matmul, "--attention", attention]
            pair.gavel.append(gavel_bench(args.gavel, judge, threads, flags, n <= 1024)["encode_s"])

        jobs.append((gavel_pair, None, None))

    def read_bandwidth(row):
        """Reads as many bytes as the row's decode step streams: the burst and the sustained figure."""
        mib = str(max(64, -(-row.stream_bytes // (1 << 20))))
        j = json.loads(run([args.machine_peak, "--threads", t, "--trials", "3", "--seconds", "0.3",
                            "--mem-mib", mib, "--memory-only", "--sustain-seconds", str(SUSTAIN_SECONDS)]))
        if not j.get("mem_read_gbs_sustained"):
            raise SystemExit(f"cpu_vs_llama: {args.machine_peak} has no --sustain-seconds: rebuild it")
        row.mem_burst.append(j["mem_read_gbs"][t])
        row.mem.append(j["mem_read_gbs_sustained"][t])

    for r in range(rounds):
        log(f"round {r + 1}/{rounds} ({time.time() - started:.0f} s)")
        for gavel_job, llama_job, decode_row in jobs:
            if decode_row:
                read_bandwidth(decode_row)
            order = [gavel_job, llama_job] if r % 2 == 0 else [llama_job, gavel_job]
            for job in order:
                if job:
                    job()

    def decode_bytes(row, side):
        return row.gavel_bytes if side == "gavel" else row.llama_bytes

    def beside_fraction(row, side, mems):
        """The mean over the rounds of each round's GB/s over the read bandwidth (mems) measured right
        before that round's runs."""
        weight_bytes = decode_bytes(row, side)
        values = row.gavel if side == "gavel" else row.llama
        if not weight_bytes or not values or len(values) != len(mems):
            return None
        return statistics.fmean(weight_bytes * v / 1e9 / mem for v, mem in zip(values, mems))

    def fraction(row, value, side):
        if value is None:
            return None
        if row.kind == "decode":
            return beside_fraction(row, side, row.mem)
        limit = limits[row.precision]
        if not limit or row.work is None:
            return None
        per_s = row.work / value if row.unit == "s" else row.work * value / prompt_tokens
        return per_s / 1e9 / limit

    def start_fraction(row, value, side):
        weight_bytes = decode_bytes(row, side)
        return weight_bytes * value / 1e9 / limits["mem"] if value and weight_bytes and limits["mem"] else None

    mems = [m for row in rows for m in row.mem]
    bursts = [m for row in rows for m in row.mem_burst]
    start_notes, burst_notes = [], []

    def fmt(m, s, unit):
        if m is None:
            return "-"
        return f"{m:.3f} ± {s:.3f} s" if unit == "s" else f"{m:.2f} ± {s:.2f} tok/s"

    def pct(x):
        return "-" if x is None else f"{100 * x:.0f}%"

    beside = (f" (beside the decode runs: sustained {min(mems):.1f} to {max(mems):.1f} GB/s, bursts {min(bursts):.1f} "
              f"to {max(bursts):.1f})" if mems else "")
    lines = [f"gavel vs llama.cpp llama-bench, {threads} threads, {rounds} interleaved round(s), "
             f"{peak['cpu']} ({peak['isa']}); limits at {threads} threads: f32 FMA {limits['f32']} GFLOP/s, "
             f"BF16 {limits['bf16']} GFLOP/s, int8 dot {limits['int8']} GOP/s, memory read {limits['mem']} GB/s"
             + beside,
             f"{'test':<54} {'gavel':>24} {'llama.cpp':>24} {'ratio':>6} {'gavel/limit':>11} {'llama/limit':>11}"]
    summary = {"threads": threads, "rounds": rounds, "machine_peak": peak, "rows": []}
    for row in rows:
        gm, gs = mean_sd(row.gavel)
        lm, ls = mean_sd(row.llama)
        ratio = None
        if gm and lm:
            ratio = gm / lm if row.unit == "tok/s" else lm / gm
        gf, lf = fraction(row, gm, "gavel"), fraction(row, lm, "llama")
        lines.append(f"{row.name:<54} {fmt(gm, gs, row.unit):>24} {fmt(lm, ls, row.unit):>24} "
                     f"{'-' if ratio is None else f'{ratio:.2f}x':>6} {pct(gf):>11} {pct(lf):>11}")
        entry = {"test": row.name, "unit": row.unit, "gavel": row.gavel, "llama": row.llama, "ratio": ratio,
                 "gavel_fraction_of_limit": gf, "llama_fraction_of_limit": lf, "flops": row.work}
        if row.kind == "decode":
            entry["mem_read_gbs_beside"] = row.mem_burst
            entry["mem_read_gbs_sustained_beside"] = row.mem
            entry["sustain_seconds"] = SUSTAIN_SECONDS
            entry["gavel_fraction_of_burst_beside"] = beside_fraction(row, "gavel", row.mem_burst)
            entry["llama_fraction_of_burst_beside"] = beside_fraction(row, "llama", row.mem_burst)
            burst_notes.append(f"{row.name}: gavel {pct(entry['gavel_fraction_of_burst_beside'])}, "
                               f"llama.cpp {pct(entry['llama_fraction_of_burst_beside'])}")
            entry["gavel_fraction_of_start_limit"] = start_fraction(row, gm, "gavel")
            entry["llama_fraction_of_start_limit"] = start_fraction(row, lm, "llama")
            start_notes.append(f"{row.name}: gavel {pct(entry['gavel_fraction_of_start_limit'])}, "
                               f"llama.cpp {pct(entry['llama_fraction_of_start_limit'])}")
        summary["rows"].append(entry)
    if burst_notes:
        lines.append("decode against the burst read beside each round (best 0.3 s of 3 trials) instead: "
                     + "; ".join(burst_notes))
    if start_notes:
        lines.append(f"decode against the start-of-run burst read ({limits['mem']} GB/s) instead: "
                     + "; ".join(start_notes))
    lines.append(f"(ratio > 1: gavel faster; limit: GB/s vs memory read sustained for {SUSTAIN_SECONDS} s beside each "
                 f"round for tg, "
                 f"GFLOP/s vs FMA (F32), "
                 f"BF16 (AMX or dot) or int8-dot (INT8) peak for pp/encode; model preparation {prep_s:.0f} s, runs "
                 f"{time.time() - started - prep_s:.0f} s)")
    print("\n".join(lines))
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main()
