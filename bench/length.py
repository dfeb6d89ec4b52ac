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
from bench.servers import ROOT, Assistant, prepare_ours

QUESTIONS = [
    "c'est quoi un SIRET ?",
    "quels sont les prérequis ?",
    "qu'est-ce qu'une structure publique ?",
    "c'est quoi le siret reprenant l'activite",
]
WINDOW = 20


async def length_curve(assistant: Assistant, turns: int) -> List[float]:
    """Latency of each turn of one conversation of `turns` turns, in seconds."""
    sender = f"length-{int(time.time())}"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
        return [await say(http, assistant, sender, QUESTIONS[n % len(QUESTIONS)], "bench.user")
                for n in range(turns)]


def windows(latencies: List[float]) -> Dict[int, float]:
    """Median latency (s) of each window of WINDOW turns, keyed by the window's last turn."""
    return {end: statistics.median(latencies[end - WINDOW:end])
            for end in range(WINDOW, len(latencies) + 1, WINDOW)}


def summary(latencies: List[float]) -> Dict[str, float]:
    by_window = windows(latencies)
    first, last = by_window[min(by_window)], by_window[max(by_window)]
    return {"first_ms": first * 1000, "last_ms": last * 1000, "ratio": last / first,
            "turns": len(latencies)}


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
        latencies = asyncio.run(length_curve(assistant, args.turns))
    finally:
        for server in assistant.servers:
            server.stop()
    for end, median in windows(latencies).items():
        print(f"turns {end - WINDOW + 1:3d}-{end:3d}: median {median * 1000:6.1f} ms")
    result = summary(latencies)
    print(f"last window / first window: {result['ratio']:.2f} (goal ≤ 1.2)")


if __name__ == "__main__":
    main()
