"""Scripted conversations through HTTP: latency percentiles, throughput, soak, cold start."""
from __future__ import annotations

import asyncio
import time
from typing import Dict, List

import aiohttp

from bench.servers import Assistant, rss_mb


async def say(http: aiohttp.ClientSession, assistant: Assistant, sender: str, text: str, login: str) -> float:
    started = time.perf_counter()
    async with http.post(assistant.url, json={"sender": sender, "message": text},
                         headers=assistant.headers_for(login)) as response:
        replies = await response.json()
        if response.status != 200 or not replies:
            raise RuntimeError(f"{assistant.name}: {response.status} {replies}")
    return time.perf_counter() - started


async def run_load(assistant: Assistant, concurrency: int, run_id: str, rounds: int = 1) -> Dict[str, float]:
    """`concurrency` conversations at once, each slot running `rounds` of them one after the other."""
    latencies: List[float] = []

    async def conversation(slot: int, http: aiohttp.ClientSession) -> None:
        for round_ in range(rounds):
            n = slot + round_ * concurrency
            sender = f"bench-{run_id}-{concurrency}-{n}"
            for text in assistant.script_for(n):
                latencies.append(await say(http, assistant, sender, text, "bench.user"))

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=600)) as http:
        started = time.perf_counter()
        await asyncio.gather(*(conversation(n, http) for n in range(concurrency)))
        wall = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))]

    return {"turns": len(latencies), "p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99),
            "throughput": len(latencies) / wall, "latencies": latencies}


async def soak(assistant: Assistant, seconds: float, concurrency: int, pids: List[int]) -> Dict[str, object]:
    """Conversations in a loop for `seconds`; resident memory sampled every 10 s."""
    samples: List[tuple] = []
    turns = {"n": 0, "errors": 0}
    deadline = time.monotonic() + seconds

    async def loop(n: int, http: aiohttp.ClientSession) -> None:
        round_ = 0
        while time.monotonic() < deadline:
            sender = f"soak-{n}-{round_}"
            for text in [assistant.script_for(n)[0], "oui", "non"]:
                try:
                    await say(http, assistant, sender, text, "bench.user")
                    turns["n"] += 1
                except (RuntimeError, aiohttp.ClientError, asyncio.TimeoutError):
                    turns["errors"] += 1
            round_ += 1

    async def sample() -> None:
        started = time.monotonic()
        while time.monotonic() < deadline:
            samples.append((round(time.monotonic() - started), sum(rss_mb(pid) for pid in pids)))
            await asyncio.sleep(10)

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
        await asyncio.gather(sample(), *(loop(n, http) for n in range(concurrency)))
    return {"samples": samples, "turns": turns["n"], "errors": turns["errors"], "seconds": seconds,
            "concurrency": concurrency}


async def first_answer(assistant: Assistant, started: float, timeout: float = 300) -> float:
    """Seconds from process start until the first message gets an answer."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        while time.monotonic() - started < timeout:
            try:
                await say(http, assistant, "bench-cold-start", "bonjour" if assistant.name == "ClaudIA" else "hello",
                          "bench.user")
                return time.monotonic() - started
            except (aiohttp.ClientError, RuntimeError, asyncio.TimeoutError):
                await asyncio.sleep(0.2)
    raise RuntimeError(f"{assistant.name} did not answer within {timeout}s")


