"""ClaudIA side by side with a stock `rasa init` assistant, on this machine, in one run.

  python -m bench.run_bench [--quick] [--only load,length,nlu,soak,metrics] [--soak SECONDS]
  make bench [BENCH=load,length]

Measures, through HTTP on loopback: turn latency (p50/p95/p99) and throughput with 1, 20
and 100 concurrent scripted conversations; cold start (process start to first answered
message); resident memory of every server process; training time from scratch; how a
turn's latency grows with the conversation (bench/length.py, up to 300 turns); ClaudIA's
NLU quality by 5-fold cross-validation; a soak; the metrics' cost (throughput with metrics
on and off, bench/metrics_cost.py). A full run writes bench/results.md and
bench/latency.png; a partial run (--only) writes results/bench-<parts>.md.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List, Optional

from bench import length, metrics_cost
from bench.load import first_answer, run_load, soak
from bench.report import ratio_lines
from bench.servers import (BENCH, CONCURRENCY, RASA, ROOT, behind_proxy, prepare_ours, prepare_stock, pss_mb,
                           rss_mb)

PARTS = ("load", "length", "nlu", "soak", "metrics")


def cross_validation(work: Path, env: Dict[str, str], folds: int) -> Dict[str, object]:
    out = work / "cv"
    subprocess.run([RASA, "test", "nlu", "--nlu", "data/nlu", "--config", "config.yml", "--cross-validation",
                    "--folds", str(folds), "--out", str(out)], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    report = json.loads((out / "DIETClassifier_report.json").read_text()) if (out / "DIETClassifier_report.json").exists() \
        else json.loads((out / "intent_report.json").read_text())
    worst = sorted(((name, v["f1-score"], v.get("confused_with", {})) for name, v in report.items()
                    if isinstance(v, dict) and "f1-score" in v and name not in ("accuracy", "macro avg", "weighted avg",
                                                                                 "micro avg")),
                   key=lambda item: item[1])[:5]
    return {"f1": report["weighted avg"]["f1-score"], "worst": worst}


def plot(results: Dict[str, Dict[int, Dict[str, float]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for name, by_conc in results.items():
        conc = sorted(by_conc)
        axes[0].plot(conc, [by_conc[c]["p95"] * 1000 for c in conc], marker="o", label=f"{name} p95")
        axes[0].plot(conc, [by_conc[c]["p50"] * 1000 for c in conc], marker=".", linestyle="--", label=f"{name} p50")
        axes[1].plot(conc, [by_conc[c]["throughput"] for c in conc], marker="o", label=name)
    axes[0].set(xlabel="conversations simultanées", ylabel="latence par tour (ms)", xscale="log", yscale="log")
    axes[1].set(xlabel="conversations simultanées", ylabel="tours par seconde", xscale="log")
    for axis in axes:
        axis.legend()
        axis.grid(True, alpha=.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)



def measure(assistant, concurrency, results, args) -> None:
    """Starts the assistant's servers, runs the load and, for ClaudIA, the length curve and soak."""
    name = assistant.name
    try:
        for server in assistant.servers:
            server.start()
        results["cold_start"][name] = asyncio.run(first_answer(assistant, assistant.servers[-1].started_at))
        print(f"{name}: cold start {results['cold_start'][name]:.1f}s", flush=True)
        if "load" in args.only:
            results["latency"][name] = {}
            # Both assistants answer one whole scripted conversation first, unmeasured: the
            # figures are those of a running server, not of its first calls (lazy imports, pools).
            asyncio.run(run_load(assistant, 1, "warm-up"))
            for level in concurrency:
                if hasattr(assistant, "reset_registry"):
                    assistant.reset_registry()
                # alone, five conversations in a row: 20 turns rather than 4 for the percentiles
                row = asyncio.run(run_load(assistant, level, str(int(time.time())), rounds=5 if level == 1 else 1))
                results["latency"][name][level] = row
                print(f"{name} x{level}: p50 {row['p50']*1000:.0f} ms, p95 {row['p95']*1000:.0f} ms, "
                      f"{row['throughput']:.1f} turns/s", flush=True)
        for server in assistant.servers:
            results["memory"][server.name] = {"rss": rss_mb(server.process.pid), "pss": pss_mb(server.process.pid)}
        if name == "ClaudIA" and "length" in args.only:
            results["length"] = asyncio.run(length.length_curve(assistant, args.turns))
            print("\n".join(length.report(results["length"])), flush=True)
        if name == "ClaudIA" and "soak" in args.only and args.soak > 0:
            assistant.reset_registry()
            results["soak"] = asyncio.run(soak(assistant, args.soak, 20, [s.process.pid for s in assistant.servers]))
    finally:
        for server in assistant.servers:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer conversations and folds (smoke run)")
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts among {', '.join(PARTS)}")
    parser.add_argument("--soak", type=float, default=180, help="seconds of soak after the load runs (0: none)")
    parser.add_argument("--turns", type=int, default=300, help="length of the conversation of the length curve")
    args = parser.parse_args()
    args.only = {part.strip() for part in args.only.split(",") if part.strip()}
    unknown = args.only - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    concurrency = (1, 5) if args.quick else CONCURRENCY
    folds = 2 if args.quick else 5
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", RASA_TELEMETRY_ENABLED="false")
    work = Path(tempfile.mkdtemp(prefix="claudia-bench-"))
    print(f"work directory: {work}", flush=True)
    results: Dict[str, object] = {"latency": {}, "memory": {}, "cold_start": {}, "train": {}}
    assistants = []
    if args.only & {"load"}:
        stock = prepare_stock(work, env)
        results["train"]["stock"] = stock.train_seconds
        print(f"stock trained in {stock.train_seconds:.0f}s", flush=True)
        assistants.append(stock)
    if args.only & {"load", "length", "soak"}:
        # As `make run` lays it out: HAProxy in front, the Rasa workers a port each (issue #26).
        ours = behind_proxy(prepare_ours(work, env, max(concurrency)), work)
        results["train"]["ClaudIA"] = ours.train_seconds
        print(f"ClaudIA trained in {ours.train_seconds:.0f}s", flush=True)
        assistants.append(ours)
    for assistant in assistants:
        measure(assistant, concurrency, results, args)
    if "nlu" in args.only:
        results["cv"] = cross_validation(work, env, folds)
    lines = header(args) + (ratio_lines(results, concurrency, folds) if args.only - {"metrics"} else [])
    if "metrics" in args.only:
        results["metrics"] = metrics_cost.measure(work, env, quick=args.quick)
        lines += metrics_cost.report(results["metrics"])
    if results.get("length"):
        lines += ["", f"## Latency against the conversation's length (one conversation, {args.turns} turns)", ""]
        lines += length.report(results["length"])
    if results["latency"] and len(results["latency"]) == 2:
        plot(results["latency"], (BENCH if args.only == set(PARTS) else work) / "latency.png")
    (work / "results.json").write_text(json.dumps(results, default=str, indent=1), encoding="utf-8")
    if args.only == set(PARTS) and not args.quick:
        lines += ["", "![latency](latency.png)", ""]
        changes = BENCH / "changes.md"
        if changes.exists():
            lines += [changes.read_text(encoding="utf-8")]
        out = BENCH / "results.md"
    else:
        out = ROOT / "results" / f"bench-{'-'.join(sorted(args.only))}.md"
        out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    print(f"written to {out}")


def header(args) -> List[str]:
    return [
        "# Benchmark: ClaudIA vs a stock `rasa init` assistant",
        "",
        f"Run on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"through HTTP on loopback; parts: {', '.join(sorted(args.only))}. `make bench` reproduces it.",
        "",
        "ClaudIA: started as `make run` starts it (HAProxy in front, action server, Rasa server with 2 worker processes, "
        "web front), a full "
        "activation through the authenticated channel (4 turns: request with the SIRET, structure confirmed, action "
        "confirmed, thumbs up), SIRENE from the CSV source, SQLite registry and tracker store. Stock: `rasa init`'s "
        "assistant (default config: DIET, TED, Memoization, Rule), REST channel, 4 turns of its own stories, "
        "in-memory tracker store.",
    ]


if __name__ == "__main__":
    main()
