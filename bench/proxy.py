"""The load part with and without the reverse proxy, in one run (issue #26).

  python -m bench.proxy [--rounds 3] [--alternations 2] [--model models/claudia.tar.gz]

In turn, `--alternations` times: stock `rasa init`; ClaudIA without the proxy (the Rasa workers
share one socket behind their accept gate, serving/worker_accept.py); ClaudIA behind HAProxy
with that gate (as `make run` lays it out: serving/proxy_config.py); ClaudIA behind HAProxy with
a socket per worker and the proxy's `maxconn` instead of the gate (CLAUDIA_RASA_WORKER_PORTS=1,
serving/worker_ports.py). Behind the proxy, the Rasa workers and the web front listen on private
unix sockets, as in `make run` (serving/unix_sockets.py; `--loopback`: on loopback ports instead,
to compare). Through the proxy, the bench talks to its public channel port with the
per-address limits raised (every conversation of the bench comes from one address). Each ratio
is to the stock measure of the same alternation. Each measure is `--rounds` bursts of
20 conversations of 4 turns starting together. Prints one table; writes results/bench-proxy.md.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Dict, List

from bench.load import first_answer, run_load
from bench.servers import ROOT, Assistant, behind_proxy, prepare_ours, prepare_stock, rss_mb

CONCURRENCY = 20


def measure(assistant: Assistant, rounds: int, reset=None) -> Dict[str, float]:
    for server in assistant.servers:
        server.start()
    try:
        cold = asyncio.run(first_answer(assistant, assistant.servers[-1].started_at))
        asyncio.run(run_load(assistant, 1, "warm-up"))
        latencies: List[float] = []
        walls = 0.0
        for n in range(rounds):
            if reset:
                reset()
            row = asyncio.run(run_load(assistant, CONCURRENCY, f"{int(time.time())}-{n}"))
            latencies += row["latencies"]
            walls += row["turns"] / row["throughput"]
        memory = sum(rss_mb(server.process.pid) for server in assistant.servers)
    finally:
        for server in assistant.servers:
            server.stop()
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))]

    return {"turns": len(latencies), "p50": pct(0.5), "p95": pct(0.95), "p99": pct(0.99),
            "throughput": len(latencies) / walls, "rss": memory, "cold": cold}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--alternations", type=int, default=2)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "claudia.tar.gz")
    parser.add_argument("--loopback", action="store_true",
                        help="behind the proxy, the servers on loopback ports (CLAUDIA_PRIVATE_SOCKETS=0), not private sockets")
    args = parser.parse_args()
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", RASA_TELEMETRY_ENABLED="false")
    work = Path(tempfile.mkdtemp(prefix="claudia-bench-proxy-"))
    print(f"work directory: {work}", flush=True)
    stock = prepare_stock(work, env)
    ours = prepare_ours(work, env, CONCURRENCY * args.rounds, model=args.model)
    rows = []  # (alternation, name, row): stock is measured in every alternation, the ratios use its own
    for alternation in range(1, args.alternations + 1):
        for assistant in (stock, ours, "gate", "ports"):
            if assistant in ("gate", "ports"):  # its ports chosen just before it starts
                kind = assistant
                assistant = behind_proxy(ours, work, ports=kind == "ports", sockets=not args.loopback)
                assistant.name = "ClaudIA + proxy, " + ("a socket per worker" if kind == "ports" else "gate behind it") \
                    + (" (loopback ports)" if args.loopback else "")
            reset = getattr(assistant, "reset_registry", None)
            rows.append((alternation, assistant.name, measure(assistant, args.rounds, reset)))
            print(rows[-1], flush=True)
    lines = ["| alternation | assistant | turns | p50 (ms) | p95 (ms) | p99 (ms) | turns/s | p95 / stock | "
             "turns/s / stock | cold start (s) | RSS (MB) |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    stock_rows = {alternation: row for alternation, name, row in rows if name == "stock"}
    for alternation, name, row in rows:
        base = stock_rows[alternation]
        lines.append(f"| {alternation} | {name} | {row['turns']} | {row['p50'] * 1000:.0f} | {row['p95'] * 1000:.0f} | "
                     f"{row['p99'] * 1000:.0f} | {row['throughput']:.1f} | {row['p95'] / base['p95']:.2f} | "
                     f"{row['throughput'] / base['throughput']:.2f} | {row['cold']:.1f} | {row['rss']:.0f} |")
    out = ROOT / "results" / "bench-proxy.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
