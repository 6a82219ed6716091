#!/usr/bin/env python3
"""Draws docs/BENCHMARKS.md's charts from the JSON lines the benchmark scripts write.

  scripts/bench-plot.sh --sizes bench-sizes.jsonl --e2e bench-compare.jsonl

- bench-sizes.png: produce and catch-up consume throughput (MB/s) against record size, from
  scripts/bench-sizes.sh (immutactl bench's JSON objects).
- bench-e2e.png: the end-to-end latency distribution of every e2e run with `percentiles_us`
  (pairs of [percentile, microseconds]): immutactl bench e2e's objects, and every system's runs in
  the e2e rows of scripts/bench-compare.sh --json. One curve per system and rate, on
  the usual HdrHistogram axis: the percentile spread out as 1/(1 - p), so the tail is visible.

Objects without a `system` field are Immuta's.
"""
import argparse
import json

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402


def read(path):
    with open(path) as lines:
        return [json.loads(line) for line in lines if line.strip().startswith("{")]


def size_label(size):
    for unit, factor in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= factor:
            return f"{size // factor} {unit}"
    return f"{size} B"


def plot_sizes(rows, out):
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for workload in ("produce", "consume"):
        points = sorted((r["size"], r["mb_per_sec"]) for r in rows if r.get("benchmark") == workload)
        if points:
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=workload)
    ax.set_xscale("log", base=2)
    sizes = sorted({r["size"] for r in rows})
    ax.set_xticks(sizes, [size_label(s) for s in sizes], rotation=30)
    ax.set_xlabel("record size")
    ax.set_ylabel("MB/s of payload")
    ax.set_title("Immuta throughput against record size (ack write)")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def e2e_runs(rows):
    """Every e2e run with a distribution: objects of immutactl bench e2e, and the runs inside the
    p50 rows of scripts/bench-compare.sh --json (which carry them per system)."""
    for row in rows:
        if row.get("benchmark") == "e2e":
            yield row
        elif str(row.get("key", "")).startswith("e2e-") and row["key"].endswith("-p50"):
            rate = row["key"].split("-")[1]
            for system, runs in row.get("runs", {}).items():
                for run in runs:
                    yield {**run, "system": system, "rate": run.get("rate", rate)}


def plot_e2e(rows, out):
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for row in e2e_runs(rows):
        if "percentiles_us" not in row:
            continue
        points = [(p, v) for p, v in row["percentiles_us"] if p < 100]
        xs = [1 / (1 - p / 100) for p, _ in points]
        label = f'{row.get("system", "immuta")}, {row.get("rate", "?")} records/s'
        ax.plot(xs, [v for _, v in points], marker=".", label=label)
    ax.set_xscale("log")
    ticks = [0, 50, 90, 99, 99.9, 99.99]
    ax.set_xticks([1 / (1 - t / 100) for t in ticks], [f"{t}%" for t in ticks])
    ax.set_yscale("log")
    ax.set_xlabel("percentile")
    ax.set_ylabel("latency, µs (log)")
    ax.set_title("End-to-end latency, producer to subscriber in another process, 100 B")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", help="JSON lines from scripts/bench-sizes.sh")
    parser.add_argument("--e2e", nargs="*", default=[], help="JSON lines with e2e percentiles (any system)")
    parser.add_argument("--out", default="docs", help="directory for the PNGs (default: docs)")
    args = parser.parse_args()
    if args.sizes:
        plot_sizes(read(args.sizes), f"{args.out}/bench-sizes.png")
    rows = [row for path in args.e2e for row in read(path)]
    if rows:
        plot_e2e(rows, f"{args.out}/bench-e2e.png")


if __name__ == "__main__":
    main()
