"""ClaudIA side by side with a stock `rasa init` assistant, on this machine, in one run.

  python -m bench.run_bench [--quick]

Measures, through HTTP on loopback: turn latency (p50/p95/p99) and throughput with
1, 20 and 100 concurrent scripted conversations; cold start (process start to first
answered message); resident memory of each server process; training time from
scratch; and ClaudIA's NLU quality by 5-fold cross-validation. Writes
bench/results.md and bench/latency.png.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List, Optional

import aiohttp
import yaml
from stdnum import luhn

from claudia.identity import issue_token

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RASA = str(Path(sys.executable).parent / "rasa")
SECRET = "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
CONCURRENCY = (1, 20, 100)
STOCK_SCRIPT = ["hello", "I am sad", "yes", "bye"]
# The settings scripts/run.sh uses for ClaudIA: small models do better with one TensorFlow
# thread per operation, and the action server (whose database calls block) with 2 workers.
RUNTIME_TUNING = {"TF_INTER_OP_PARALLELISM_THREADS": "1", "TF_INTRA_OP_PARALLELISM_THREADS": "1",
                  "ACTION_SERVER_SANIC_WORKERS": "2"}


def ours_script(siret: str) -> List[str]:
    return [f"activer la structure publique {siret}", "oui", "je confirme", "parfait merci"]


def synthetic_sirets(count: int) -> List[str]:
    sirets = []
    for n in range(count):
        base8 = f"29{n:06d}"
        siren = base8 + luhn.calc_check_digit(base8)
        nic4 = "0001"
        siret = siren + nic4 + luhn.calc_check_digit(siren + nic4)
        sirets.append(siret)
    return sirets


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (from /proc)."""
    total = 0
    pids = [pid] + [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                                                     text=True).stdout.split()]
    for one in pids:
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total / 1024


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    command: List[str]
    cwd: Path
    env: Dict[str, str]
    log: Path
    process: Optional[subprocess.Popen] = None
    started_at: float = 0.0

    def start(self) -> None:
        self.started_at = time.monotonic()
        self.process = subprocess.Popen(self.command, cwd=self.cwd, env=self.env,
                                        stdout=self.log.open("w"), stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


@dataclass
class Assistant:
    name: str
    url: str
    headers_for: callable
    script_for: callable
    servers: List[Server] = field(default_factory=list)
    train_seconds: float = 0.0
    cold_start: float = 0.0


async def say(http: aiohttp.ClientSession, assistant: Assistant, sender: str, text: str, login: str) -> float:
    started = time.perf_counter()
    async with http.post(assistant.url, json={"sender": sender, "message": text},
                         headers=assistant.headers_for(login)) as response:
        replies = await response.json()
        if response.status != 200 or not replies:
            raise RuntimeError(f"{assistant.name}: {response.status} {replies}")
    return time.perf_counter() - started


async def run_load(assistant: Assistant, concurrency: int, run_id: str) -> Dict[str, float]:
    latencies: List[float] = []

    async def conversation(n: int, http: aiohttp.ClientSession) -> None:
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


def timed_train(cwd: Path, out: Path, env: Dict[str, str], args: List[str]) -> float:
    started = time.monotonic()
    subprocess.run([RASA, "train", "--out", str(out), "--fixed-model-name", "model", *args], cwd=cwd, env=env,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - started


def prepare_stock(work: Path, env: Dict[str, str]) -> Assistant:
    project = work / "stock"
    shutil.copytree(Path(RASA).parent.parent / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" /
                    "site-packages" / "rasa" / "cli" / "initial_project", project)
    cache_env = dict(env, RASA_CACHE_DIRECTORY=str(work / "cache-stock"))
    seconds = timed_train(project, project / "models", cache_env, [])
    port = free_port()
    server = Server("stock rasa", [RASA, "run", "--model", str(project / "models" / "model.tar.gz"),
                                   "--interface", "127.0.0.1", "--port", str(port)], project, env, work / "stock.log")
    assistant = Assistant("stock", f"http://127.0.0.1:{port}/webhooks/rest/webhook", lambda login: {},
                          lambda n: STOCK_SCRIPT, [server], train_seconds=seconds)
    return assistant


def prepare_ours(work: Path, env: Dict[str, str], conversations: int) -> Assistant:
    sirets = synthetic_sirets(conversations)
    registry = {"structures": [{"siret": s, "name": f"Structure de banc {i}", "kind": "public", "status": "inactive"}
                               for i, s in enumerate(sirets)],
                "users": [{"login": "bench.user", "name": "Banc", "roles": [{"siret": s, "role": "principal"}
                                                                          for s in sirets]}]}
    (work / "registry.yml").write_text(yaml.safe_dump(registry), encoding="utf-8")
    header = "siret,etatAdministratifEtablissement,denominationUsuelleEtablissement,codePostalEtablissement," \
             "libelleCommuneEtablissement\n"
    (work / "sirene.csv").write_text(header + "".join(f"{s},A,STRUCTURE {i},93460,VALMONT\n"
                                                      for i, s in enumerate(sirets)), encoding="utf-8")
    ours_env = dict(env, CLAUDIA_DB_URL=f"sqlite:///{work / 'claudia.db'}", CLAUDIA_JWT_SECRET=SECRET,
                    SIRENE_SOURCE=str(work / "sirene.csv"), PYTHONPATH=str(ROOT), SANIC_HOST="127.0.0.1",
                    CLAUDIA_ACTIONS_TOKEN="bench-actions-token-" + secrets.token_hex(16),
                    CLAUDIA_TRACKER_DB_URL=f"sqlite:///{work / 'tracker.db'}", **RUNTIME_TUNING)
    cache_env = dict(ours_env, RASA_CACHE_DIRECTORY=str(work / "cache-ours"))
    seconds = timed_train(ROOT, work / "models-ours", cache_env, ["--config", "config.yml", "--domain", "domain.yml",
                                                                 "--data", "data"])
    actions_port, rasa_port = free_port(), free_port()
    subprocess.run([sys.executable, "-m", "scripts.endpoints", str(work / "endpoints.yml")], cwd=ROOT, check=True,
                   env=dict(ours_env, ACTIONS_URL=f"http://127.0.0.1:{actions_port}/webhook",
                            CLAUDIA_TRACKER_DB_URL=f"sqlite:///{work / 'tracker.db'}"))
    # Started as `make run` starts them (scripts/serve_actions.py, scripts/serve_rasa.py).
    actions = Server("ClaudIA actions", [sys.executable, "-m", "scripts.serve_actions",
                                         "--port", str(actions_port)], ROOT, ours_env, work / "actions.log")
    rasa = Server("ClaudIA rasa", [sys.executable, "-m", "scripts.serve_rasa",
                                   "--model", str(work / "models-ours" / "model.tar.gz"),
                                   "--endpoints", str(work / "endpoints.yml"),
                                   "--credentials", str(ROOT / "credentials.yml"),
                                   "--interface", "127.0.0.1", "--port", str(rasa_port)], ROOT, ours_env,
                  work / "rasa.log")
    subprocess.run([sys.executable, "-m", "claudia.admin", "load", str(work / "registry.yml")], cwd=ROOT,
                   env=ours_env, check=True, capture_output=True)
    def script(n: int) -> List[str]:
        return ours_script(sirets[n % len(sirets)])

    def headers(login: str) -> Dict[str, str]:
        return {"Authorization": "Bearer " + issue_token(login, SECRET, 3600)}

    assistant = Assistant("ClaudIA", f"http://127.0.0.1:{rasa_port}/webhooks/connected/webhook", headers, script,
                          [actions, rasa], train_seconds=seconds)
    assistant.reset_registry = lambda: subprocess.run(  # type: ignore[attr-defined]
        [sys.executable, "-m", "claudia.admin", "load", str(work / "registry.yml")], cwd=ROOT, env=ours_env,
        check=True, capture_output=True)
    return assistant


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer conversations and folds (smoke run)")
    parser.add_argument("--soak", type=float, default=180, help="seconds of soak after the load runs (0: none)")
    args = parser.parse_args()
    concurrency = (1, 5) if args.quick else CONCURRENCY
    folds = 2 if args.quick else 5
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", RASA_TELEMETRY_ENABLED="false")
    work = Path(tempfile.mkdtemp(prefix="claudia-bench-"))
    print(f"work directory: {work}", flush=True)
    stock = prepare_stock(work, env)
    print(f"stock trained in {stock.train_seconds:.0f}s", flush=True)
    ours = prepare_ours(work, env, max(concurrency))
    print(f"ClaudIA trained in {ours.train_seconds:.0f}s", flush=True)
    latency: Dict[str, Dict[int, Dict[str, float]]] = {}
    memory: Dict[str, float] = {}
    soaked: Optional[Dict[str, object]] = None
    for assistant in (stock, ours):
        try:
            for server in assistant.servers:
                server.start()
            assistant.cold_start = asyncio.run(first_answer(assistant, assistant.servers[-1].started_at))
            print(f"{assistant.name}: cold start {assistant.cold_start:.1f}s", flush=True)
            latency[assistant.name] = {}
            for level in concurrency:
                if hasattr(assistant, "reset_registry"):
                    assistant.reset_registry()
                latency[assistant.name][level] = asyncio.run(run_load(assistant, level, str(int(time.time()))))
                row = latency[assistant.name][level]
                print(f"{assistant.name} x{level}: p50 {row['p50']*1000:.0f} ms, p95 {row['p95']*1000:.0f} ms, "
                      f"{row['throughput']:.1f} turns/s", flush=True)
            for server in assistant.servers:
                memory[server.name] = rss_mb(server.process.pid)
            if assistant is ours and args.soak > 0:
                assistant.reset_registry()
                soaked = asyncio.run(soak(assistant, args.soak, 20, [s.process.pid for s in assistant.servers]))
                print(f"soak: {soaked['turns']} turns, memory {soaked['samples'][0][1]:.0f} → "
                      f"{soaked['samples'][-1][1]:.0f} MB", flush=True)
        finally:
            for server in assistant.servers:
                server.stop()
    cv = cross_validation(work, env, folds)
    plot(latency, BENCH / "latency.png")
    write_results(stock, ours, latency, memory, cv, concurrency, folds, soaked)
    print((BENCH / "results.md").read_text(encoding="utf-8"))


def write_results(stock, ours, latency, memory, cv, concurrency, folds, soaked=None) -> None:
    mid = 20 if 20 in concurrency else concurrency[-1]
    s, o = latency["stock"][mid], latency["ClaudIA"][mid]
    stock_mem, ours_mem = memory["stock rasa"], memory["ClaudIA rasa"]
    lines = [
        "# Benchmark: ClaudIA vs a stock `rasa init` assistant",
        "",
        f"Run on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"through HTTP on loopback. `make bench` reproduces it.",
        "",
        "ClaudIA: a full activation through the authenticated channel (4 turns: request with the SIRET, "
        "structure confirmed, action confirmed, thumbs up), SIRENE from the CSV source, action server and "
        "SQLite registry, SQL tracker store. Stock: `rasa init`'s assistant (default config: DIET, TED, "
        "Memoization, Rule), REST channel, 4 turns of its own stories, in-memory tracker store.",
        "",
        "| conversations | assistant | p50 (ms) | p95 (ms) | p99 (ms) | turns/s |",
        "|---|---|---|---|---|---|",
    ]
    for level in concurrency:
        for name in ("stock", "ClaudIA"):
            r = latency[name][level]
            lines.append(f"| {level} | {name} | {r['p50']*1000:.0f} | {r['p95']*1000:.0f} | {r['p99']*1000:.0f} "
                         f"| {r['throughput']:.1f} |")
    lines += [
        "",
        "| measure | stock | ClaudIA | ratio (ClaudIA / stock) | target |",
        "|---|---|---|---|---|",
        f"| p95 at {mid} conversations | {s['p95']*1000:.0f} ms | {o['p95']*1000:.0f} ms | "
        f"{o['p95']/s['p95']:.2f} | ≤ 0.5 |",
        f"| throughput at {mid} conversations | {s['throughput']:.1f}/s | {o['throughput']:.1f}/s | "
        f"{o['throughput']/s['throughput']:.2f} | ≥ 2 |",
        f"| resident memory, Rasa server | {stock_mem:.0f} MB | {ours_mem:.0f} MB | {ours_mem/stock_mem:.2f} | ≤ 0.75 |",
        f"| resident memory, action server | — | {memory['ClaudIA actions']:.0f} MB | | |",
        f"| cold start (start → first answer) | {stock.cold_start:.1f} s | {ours.cold_start:.1f} s | "
        f"{ours.cold_start/stock.cold_start:.2f} | ≤ 0.5 |",
        f"| training from scratch | {stock.train_seconds:.0f} s | {ours.train_seconds:.0f} s | "
        f"{ours.train_seconds/stock.train_seconds:.2f} | < 180 s |",
        f"| intent F1, {folds}-fold cross-validation (weighted) | | {cv['f1']:.3f} | | ≥ 0.95 |",
        "",
        "Worst intents in cross-validation (F1, most confused with):",
        "",
    ]
    for name, f1, confused in cv["worst"]:
        lines.append(f"- `{name}`: {f1:.3f} {json.dumps(confused, ensure_ascii=False) if confused else ''}")
    if soaked:
        first, last = soaked["samples"][0][1], soaked["samples"][-1][1]
        lines += ["", f"Soak: {soaked['concurrency']} conversations looping for {soaked['seconds']:.0f} s "
                      f"(request, confirm the structure, decline), {soaked['turns']} turns, {soaked['errors']} errors; "
                      f"resident memory of the Rasa and action servers together, every 10 s (MB): "
                      + ", ".join(f"{mb:.0f}" for _, mb in soaked["samples"])
                      + f" — growth {last - first:+.0f} MB ({(last - first) / first:+.1%})."]
    lines += ["", "![latency](latency.png)", ""]
    changes = BENCH / "changes.md"
    if changes.exists():
        lines += [changes.read_text(encoding="utf-8")]
    (BENCH / "results.md").write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
