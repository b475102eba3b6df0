#!/usr/bin/env python3
"""Summarises matmul_bench --benchmark_format=json: per case, wall ms, GFLOP/s (wall), GFLOP per
CPU-second (flops / process CPU time over all threads: what each busy core delivered), GB/s (wall)
and the new/old wall-clock speed-up.  Usage: matmul_summary.py bench.json"""
import json, re, sys

data = json.load(open(sys.argv[1]))
rows = {}
for b in data["benchmarks"]:
    name = b["name"].replace("/real_time", "")
    rows[name] = b
print(f"{'case':58s} {'wall ms':>9s} {'GFLOP/s':>9s} {'GF/cpu-s':>9s} {'GB/s':>7s} {'x old':>6s}")
for name, b in rows.items():
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]
    wall, cpu = b["real_time"] * scale, b["cpu_time"] * scale
    gf = b["GFLOP/s"]
    flops = gf * wall  # per iteration, in GFLOP
    gf_cpu = flops / cpu if cpu > 0 else float("nan")
    old = rows.get(re.sub(r"/new(_bf16dot)?/", "/old/", name))
    speedup = f"{old['real_time'] / b['real_time']:6.2f}" if old and old is not b else ""
    print(f"{name:58s} {b['real_time'] * scale * 1e3:9.3f} {gf:9.1f} {gf_cpu:9.1f} {b['GB/s']:7.1f} {speedup:>6s}")
