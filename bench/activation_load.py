"""Activating a model during `make bench`'s 20-conversation load drops none of them (issue #24).

  python -m bench.activation_load [--conversations 20]

ClaudIA's servers are started as the bench starts them (bench/servers.py: two Rasa workers, the
action server, the web front) with the project's model. A second model is trained from the same
data (Rasa's cache makes it quick; it is another archive, so every worker really loads it). While
`--conversations` scripted conversations run at once (each slot starting a new one when its last
ends), the second model is activated through the review's service (web/model_service.py, as the
« Activer » button does), then the first one again, with 3 s of load before, between and after:
each Rasa worker loads the new model in a thread and swaps it (serving/model_follower.py). Every
turn must answer 200 with replies, and every conversation must reach its end (« C'est fait »).
Prints the figures as a Markdown table; exits 1 if a turn or a conversation failed.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Dict, List

import aiohttp

from bench.servers import ROOT, prepare_ours, timed_train
from claudia.db import Database
from claudia.model_registry import ModelRegistry
from web.model_settings import ModelSettings
from web.model_service import ModelService

MODEL = ROOT / "models" / "claudia.tar.gz"


async def conversations(assistant, count: int, stop: asyncio.Event, stats: Dict[str, list]) -> None:
    """`count` conversations at once, each slot starting a new one as soon as its last ended,
    until `stop` is set (the activations are over)."""
    async def one(slot: int, http: aiohttp.ClientSession) -> None:
        round_ = 0
        while not stop.is_set():
            n = slot + round_ * count
            sender, done = f"bascule-{int(time.time())}-{n}", False
            for text in assistant.script_for(n):
                started = time.perf_counter()
                try:
                    async with http.post(assistant.url, json={"sender": sender, "message": text},
                                         headers=assistant.headers_for("bench.user")) as response:
                        replies = await response.json()
                        ok = response.status == 200 and bool(replies)
                        done = done or any("C'est fait" in (r.get("text") or "") for r in replies)
                except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
                    ok = False
                stats["turns"].append((time.monotonic(), time.perf_counter() - started, ok))
            stats["conversations"].append(done)
            round_ += 1

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                     timeout=aiohttp.ClientTimeout(total=120)) as http:
        await asyncio.gather(*(one(n, http) for n in range(count)))


async def switch(service: ModelService, models: List[int], stop: asyncio.Event, stats: Dict[str, list]) -> None:
    for model_id in models:
        await asyncio.sleep(3.0)
        started = time.monotonic()
        await asyncio.to_thread(service.activate, model_id, "bench", "banc : activation sous charge")
        switched = await service.wait_for_workers(model_id, timeout=120)
        stats["switches"].append((started, time.monotonic() - started, switched))
    await asyncio.sleep(3.0)
    stop.set()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--structures", type=int, default=2000, help="structures in the bench registry")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="claudia-bascule-"))
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2", RASA_TELEMETRY_ENABLED="false",
               CLAUDIA_MODEL_POLL_SECONDS="1",
               CLAUDIA_RASA_WORKERS="2")
    models = work / "models"
    (models / "candidates").mkdir(parents=True)
    shutil.copyfile(MODEL, models / "claudia.tar.gz")
    timed_train(ROOT, models / "autre", env, ["--config", "config.yml", "--domain", "domain.yml", "--data", "data"])
    assistant = prepare_ours(work, env, args.structures, model=models / "claudia.tar.gz")
    database = Database(f"sqlite:///{work / 'claudia.db'}")
    settings = ModelSettings.from_environment(dict(CLAUDIA_MODELS_DIR=str(models),
                                                   CLAUDIA_MODEL_WORK_DIR=str(work / "entrainements")))
    service = ModelService(ModelRegistry(database), settings)
    try:
        for server in assistant.servers:
            server.start()
        service.ensure_initial()
        first = service.registry.active()["id"]
        second_file = models / "candidates" / "autre.tar.gz"
        shutil.copyfile(models / "autre" / "model.tar.gz", second_file)
        from claudia.model_judging import file_sha256

        second = service.registry.register("autre", str(second_file), file_sha256(second_file), "bench")
        asyncio.run(service.wait_for_workers(first, timeout=300))
        stats: Dict[str, list] = {"turns": [], "conversations": [], "switches": []}

        async def run() -> None:
            stop = asyncio.Event()
            await asyncio.gather(conversations(assistant, args.conversations, stop, stats),
                                 switch(service, [second, first], stop, stats))
        asyncio.run(run())
    finally:
        for server in assistant.servers:
            server.stop()
    turns, failed = stats["turns"], [t for t in stats["turns"] if not t[2]]
    during = [t[1] for t in turns if any(s <= t[0] <= s + d for s, d, _ in stats["switches"])]
    latencies = sorted(t[1] for t in turns)
    print("| | |\n|---|---:|")
    print(f"| conversations at once (each slot starts another when one ends) | {args.conversations} |")
    print(f"| conversations completed (« C'est fait ») | {sum(stats['conversations'])} / {len(stats['conversations'])} |")
    print(f"| turns answered 200 with replies | {len(turns) - len(failed)} / {len(turns)} |")
    for n, (_, seconds, ok) in enumerate(stats["switches"], 1):
        print(f"| activation {n}: every worker on the new model after | {seconds:.1f} s{'' if ok else ' (NOT all)'} |")
    print(f"| turn p50 / p95, whole run | {latencies[len(latencies) // 2] * 1000:.0f} / "
          f"{latencies[int(len(latencies) * .95)] * 1000:.0f} ms |")
    outside = sorted(t[1] for t in turns if not any(s <= t[0] <= s + d for s, d, _ in stats["switches"]))
    for label, values in (("while workers switched", sorted(during)), ("the rest of the run", outside)):
        if values:
            print(f"| turn p50 / p95 / max, {label} ({len(values)} turns) | {values[len(values) // 2] * 1000:.0f} / "
                  f"{values[int(len(values) * .95)] * 1000:.0f} / {values[-1] * 1000:.0f} ms |")
    if failed or not all(stats["conversations"]) or not all(ok for *_, ok in stats["switches"]):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
