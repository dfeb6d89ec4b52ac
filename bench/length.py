"""Does a turn get slower as the conversation grows? One conversation alone, N turns.

  python -m bench.length [--turns 300] [--model models/claudia.tar.gz]

The user asks the help questions in turn (each answered by the action server, so each
turn loads the conversation, predicts, calls the action server and saves). Reports the
median latency per window of 20 turns and the ratio of the last window to the first
(goal: turn 300 within 1.2× of turn 10).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Dict, List

import aiohttp

from bench.load import first_answer, say
from bench.servers import ROOT, Assistant, _family, prepare_ours

QUESTIONS = [
    "c'est quoi un SIRET ?",
    "quels sont les prérequis ?",
    "qu'est-ce qu'une structure publique ?",
    "c'est quoi le siret reprenant l'activite",
]
WINDOW = 20


def cpu_seconds(assistant: Assistant) -> float:
    """CPU time used so far by the assistant's servers and their workers (from /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for server in assistant.servers:
        for pid in _family(server.process.pid):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except (OSError, IndexError, ValueError):
                pass
    return total / ticks


async def length_curve(assistant: Assistant, turns: int) -> Dict[str, List[float]]:
    """Latency of each turn of one conversation of `turns` turns, in seconds ("long"), and,
    for its last WINDOW turns, of the first WINDOW turns of a new conversation asked in
    alternation ("fresh"): the two windows run under the same load from anything else on
    the machine, so their ratio is fair even when the machine is shared."""
    stamp = int(time.time())
    long, fresh = f"length-{stamp}", f"length-fresh-{stamp}"
    result: Dict[str, List[float]] = {"long": [], "fresh": [], "long_cpu": [], "fresh_cpu": []}

    async def turn(http, sender: str, question: str, key: str) -> None:
        cpu = cpu_seconds(assistant)
        result[key].append(await say(http, assistant, sender, question, "bench.user"))
        result[key + "_cpu"].append(cpu_seconds(assistant) - cpu)

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
        for n in range(turns):
            question = QUESTIONS[n % len(QUESTIONS)]
            if n >= turns - WINDOW:
                await turn(http, fresh, question, "fresh")
            await turn(http, long, question, "long")
    return result


def windows(latencies: List[float]) -> Dict[int, float]:
    """Median latency (s) of each window of WINDOW turns, keyed by the window's last turn."""
    return {end: statistics.median(latencies[end - WINDOW:end])
            for end in range(WINDOW, len(latencies) + 1, WINDOW)}


def summary(result: Dict[str, List[float]]) -> Dict[str, float]:
    by_window = windows(result["long"])
    first, last = by_window[min(by_window)], by_window[max(by_window)]
    fresh = statistics.median(result["fresh"])
    # CPU per turn (mean: /proc counts in 10 ms ticks), insensitive to other programs' load.
    cpu_first = statistics.mean(result["long_cpu"][:WINDOW])
    cpu_last = statistics.mean(result["long_cpu"][-WINDOW:])
    cpu_fresh = statistics.mean(result["fresh_cpu"])
    return {"first_ms": first * 1000, "last_ms": last * 1000, "ratio": last / first,
            "fresh_ms": fresh * 1000, "paired_ratio": last / fresh, "turns": len(result["long"]),
            "cpu_first_ms": cpu_first * 1000, "cpu_last_ms": cpu_last * 1000, "cpu_fresh_ms": cpu_fresh * 1000,
            "cpu_ratio": cpu_last / cpu_fresh if cpu_fresh else float("nan")}


def report(result: Dict[str, List[float]]) -> List[str]:
    """Markdown lines: the curve by window and both ratios."""
    numbers = summary(result)
    lines = ["| turns | median latency (ms) |", "|---|---|"]
    lines += [f"| {end - WINDOW + 1}–{end} | {median * 1000:.0f} |" for end, median in windows(result["long"]).items()]
    lines += ["", f"Turns {numbers['turns'] - WINDOW + 1}–{numbers['turns']} against turns 1–{WINDOW}: "
                  f"**{numbers['ratio']:.2f}×** (goal ≤ 1.2). Same last turns against the first {WINDOW} turns of "
                  f"a new conversation asked in alternation with them (same machine load): "
                  f"{numbers['last_ms']:.0f} ms / {numbers['fresh_ms']:.0f} ms = **{numbers['paired_ratio']:.2f}×**. "
                  f"CPU time of ClaudIA's servers per turn (mean): turns 1–{WINDOW} {numbers['cpu_first_ms']:.1f} ms, "
                  f"last turns {numbers['cpu_last_ms']:.1f} ms, new conversation alongside "
                  f"{numbers['cpu_fresh_ms']:.1f} ms: **{numbers['cpu_ratio']:.2f}×**."]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "claudia.tar.gz")
    args = parser.parse_args()
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", RASA_TELEMETRY_ENABLED="false")
    work = Path(tempfile.mkdtemp(prefix="claudia-length-"))
    assistant = prepare_ours(work, env, 1, model=args.model)
    try:
        for server in assistant.servers:
            server.start()
        asyncio.run(first_answer(assistant, assistant.servers[-1].started_at))
        result = asyncio.run(length_curve(assistant, args.turns))
    finally:
        for server in assistant.servers:
            server.stop()
    print("\n".join(report(result)))


if __name__ == "__main__":
    main()
