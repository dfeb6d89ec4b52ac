"""What the metrics cost: ClaudIA's throughput with metrics on and off, in one run.

  python -m bench.run_bench --only metrics        (make bench BENCH=metrics)

ClaudIA is started as `make run` starts it, with the trained model (models/claudia.tar.gz),
alternately with CLAUDIA_METRICS=0 (every metric a no-op, no /metrics) and with metrics on
while the bench itself scrapes every server's /metrics every SCRAPE_EVERY seconds (5 s, three
times Prometheus' usual rate: the exposition's cost is in the figure; one scrape of the three
servers takes about 9 ms of CPU). Besides throughput, the servers' CPU time per turn (read from
/proc) is compared: it depends less on what else the machine runs. Each start answers one
conversation unmeasured, then 20 conversations at once, each slot running ROUNDS full
activations in a row (4 turns each). Pairs off/on alternate so that a machine whose load
drifts (other processes) weighs on both sides alike; the figure is the median of the pairs'
throughput ratios.
"""
from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

import aiohttp

from bench.load import first_answer, run_load
from bench.servers import ROOT, _family, prepare_ours

CONCURRENCY, ROUNDS, PAIRS = 20, 30, 4
SCRAPE_EVERY = 5.0  # seconds: three times Prometheus' usual 15 s
MODEL = ROOT / "models" / "claudia.tar.gz"


async def _load_with_scrapes(assistant, urls: List[str], run_id: str, rounds: int) -> Dict[str, float]:
    scrapes = {"n": 0}
    done = asyncio.Event()

    async def scrape() -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
            while not done.is_set():
                for url in urls:
                    async with http.get(url) as answer:
                        if answer.status != 200:
                            raise RuntimeError(f"{url}: {answer.status}")
                        await answer.read()
                        scrapes["n"] += 1
                try:
                    await asyncio.wait_for(done.wait(), SCRAPE_EVERY)
                except asyncio.TimeoutError:
                    pass

    scraper = asyncio.create_task(scrape()) if urls else None
    try:
        row = await run_load(assistant, CONCURRENCY, run_id, rounds=rounds)
    finally:
        done.set()
        if scraper:
            await scraper
    row["scrapes"] = scrapes["n"]
    return row


def cpu_seconds(pids: List[int]) -> float:
    """User and system CPU time of these processes and their descendants, so far."""
    ticks = 0
    for pid in [one for pid in pids for one in _family(pid)]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def one_run(work: Path, env: Dict[str, str], metrics_on: bool, n: int, rounds: int) -> Dict[str, float]:
    run_env = dict(env, CLAUDIA_METRICS="1" if metrics_on else "0", CLAUDIA_METRICS_DIR=str(work / "metrics"))
    run_env.pop("CLAUDIA_METRICS_TOKEN", None)
    directory = work / f"{'on' if metrics_on else 'off'}-{n}"
    directory.mkdir()
    assistant = prepare_ours(directory, run_env, CONCURRENCY * rounds, model=MODEL)
    try:
        for server in assistant.servers:
            server.start()
        asyncio.run(first_answer(assistant, assistant.servers[-1].started_at))
        asyncio.run(run_load(assistant, 1, f"warm-{n}"))  # one whole conversation, unmeasured
        assistant.reset_registry()
        urls = []
        if metrics_on:
            ports = [server.env.get("CLAUDIA_WEB_PORT") for server in assistant.servers if server.name.endswith("web")]
            urls = [assistant.url.split("/webhooks/")[0] + "/metrics", f"http://127.0.0.1:{ports[0]}/metrics",
                    _actions_metrics(assistant)]
        pids = [server.process.pid for server in assistant.servers]
        cpu = cpu_seconds(pids)
        row = asyncio.run(_load_with_scrapes(assistant, urls, f"{int(time.time())}-{n}", rounds))
        row["cpu_ms_per_turn"] = (cpu_seconds(pids) - cpu) * 1000 / row["turns"]
    finally:
        for server in assistant.servers:
            server.stop()
    row.pop("latencies", None)
    return row


def _actions_metrics(assistant) -> str:
    (actions,) = [server for server in assistant.servers if server.name.endswith("actions")]
    return f"http://127.0.0.1:{actions.command[actions.command.index('--port') + 1]}/metrics"


def measure(work: Path, env: Dict[str, str], quick: bool = False) -> Dict[str, object]:
    """PAIRS pairs of runs (one, of ROUNDS // 10 rounds, with --quick: a smoke run)."""
    pairs, rounds = [], ROUNDS // 10 if quick else ROUNDS
    for n in range(1 if quick else PAIRS):
        off = one_run(work, env, False, n, rounds)
        on = one_run(work, env, True, n, rounds)
        pairs.append({"off": off, "on": on, "ratio": on["throughput"] / off["throughput"],
                      "cpu_ratio": on["cpu_ms_per_turn"] / off["cpu_ms_per_turn"]})
        print(f"metrics pair {n + 1}: off {off['throughput']:.1f} turns/s ({off['cpu_ms_per_turn']:.2f} ms CPU a turn), "
              f"on {on['throughput']:.1f} turns/s ({on['cpu_ms_per_turn']:.2f} ms, {on['scrapes']} scrapes), "
              f"ratio {pairs[-1]['ratio']:.3f}", flush=True)
    micro = subprocess.run([sys.executable, "-m", "bench.metrics_micro"], cwd=ROOT, env=env, check=True,
                           capture_output=True, text=True).stdout.strip().splitlines()[-1]
    return {"pairs": pairs, "ratio": statistics.median(p["ratio"] for p in pairs), "rounds": rounds,
            "cpu_ratio": statistics.median(p["cpu_ratio"] for p in pairs), "micro_us": float(micro),
            "cpu_ms_per_turn": statistics.median(r[k]["cpu_ms_per_turn"] for r in pairs for k in ("off", "on"))}


def report(result: Dict[str, object]) -> List[str]:
    pairs = result["pairs"]
    ratio = result["ratio"]
    lines = ["", f"## What the metrics cost ({CONCURRENCY} conversations at once, {CONCURRENCY * result['rounds']} activations "
             f"of 4 turns per measure, off/on alternated)", "",
             f"| pair | metrics off (turns/s) | metrics on, /metrics scraped every {SCRAPE_EVERY:g} s (turns/s) "
             "| on / off | p95 off → on (ms) | servers' CPU a turn, off → on (ms) |",
             "|---|---|---|---|---|---|"]
    for n, pair in enumerate(pairs, 1):
        lines.append(f"| {n} | {pair['off']['throughput']:.1f} | {pair['on']['throughput']:.1f} | {pair['ratio']:.3f} | "
                     f"{pair['off']['p95'] * 1000:.0f} → {pair['on']['p95'] * 1000:.0f} | "
                     f"{pair['off']['cpu_ms_per_turn']:.2f} → {pair['on']['cpu_ms_per_turn']:.2f} |")
    cost = (1 - ratio) * 100
    lines += ["", f"Median on/off ratio **{ratio:.3f}**: the metrics cost {cost:.1f} % of throughput "
              f"(goal ≤ 3 %: {'met' if cost <= 3 else '**not met**'}); the servers' CPU time a turn, on / off: "
              f"{result['cpu_ratio']:.3f} (median of the pairs). The metric operations of one turn, timed alone "
              f"(bench/metrics_micro.py): {result['micro_us']:.0f} µs of CPU, against "
              f"{result['cpu_ms_per_turn']:.1f} ms of the servers' CPU a turn "
              f"({result['micro_us'] / 10 / result['cpu_ms_per_turn']:.2f} %)."]
    return lines
