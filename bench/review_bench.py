"""Times every review page and export on a large synthetic history.

  python -m bench.review_bench [--conversations 100000] [--workdir var/review-bench] [--requests 40]

Fills the stores (bench.review_data), indexes them (timed), starts the web
front on them, signs in as the demo reviewer and times each page through HTTP
(p50/p95/max over `--requests` calls with varied filters), the exports, a bulk
correction, and whether the background indexer keeps up with new events
written at the rate of `make bench`'s busiest run. Writes bench/review.md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Dict, List, Tuple

import requests

from bench.review_data import generate
from claudia.db import Database
from claudia.review_index import ReviewIndexer
from tests.e2e.stack import free_port

ROOT = Path(__file__).resolve().parent.parent
LIVE_EVENTS_PER_S = 600  # ~37 turns/s (bench/results.md, 20 conversations) × ~16 events per turn


def percentile(values: List[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def sign_in(base: str) -> requests.Session:
    http = requests.Session()
    http.get(f"{base}/console/login", timeout=30)
    http.post(f"{base}/console/login", data={"login": "relecteur.leroy", "password": "revue-demo-2026",
                                             "csrf": http.cookies.get("claudia_login_csrf")}, timeout=30)
    return http


def time_get(http: requests.Session, url: str, count: int) -> Tuple[List[float], int]:
    took, size = [], 0
    for _ in range(count):
        began = time.perf_counter()
        response = http.get(url, timeout=120)
        took.append((time.perf_counter() - began) * 1000)
        response.raise_for_status()
        size = len(response.content)
    return took, size


def time_export(http: requests.Session, url: str, count: int) -> Tuple[List[float], List[float], int]:
    """Time to the first bytes (the export is streamed) and to the last."""
    first, total, size = [], [], 0
    for _ in range(count):
        began = time.perf_counter()
        with http.get(url, timeout=600, stream=True) as response:
            response.raise_for_status()
            chunks = response.iter_content(65536)
            size = len(next(chunks, b""))
            first.append((time.perf_counter() - began) * 1000)
            size += sum(len(chunk) for chunk in chunks)
        total.append((time.perf_counter() - began) * 1000)
    return first, total, size


def pages(base: str, http: requests.Session, count: int) -> List[Tuple[str, List[float], int]]:
    today = date.today()
    first = http.get(f"{base}/console/revue/", timeout=60).text
    next_link = first.split('rel="next"', 1)[0].rsplit('href="?', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    some = first.split('href="/console/revue/conversations/', 1)[1].split('"', 1)[0]
    messages = http.get(f"{base}/console/revue/messages", timeout=60).text
    older = messages.split('rel="next"', 1)[0].rsplit('href="?', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    cases = [
        ("Conversations, first page", "/console/revue/"),
        ("Conversations, next page", f"/console/revue/?{next_link}"),
        ("Conversations: outcome refusée", "/console/revue/?outcome=refusee"),
        ("Conversations: thumbs down + low confidence", "/console/revue/?thumbs_down=1&low_confidence=1"),
        ("Conversations: intent demander_agent", "/console/revue/?intent=demander_agent"),
        ("Conversations: action (rare: none match)", "/console/revue/?action=action_inexistante"),
        ("Conversations: user", "/console/revue/?user=gestionnaire.42"),
        ("Conversations: one week", f"/console/revue/?since={today - timedelta(days=60)}&until={today - timedelta(days=53)}"),
        ("Conversations: reviewed", "/console/revue/?reviewed=1"),
        ("Conversation view", f"/console/revue/conversations/{some}"),
        ("Story editor (Rasa's tracker store and domain; first call loads Rasa)",
         f"/console/revue/conversations/{some}/histoire"),
        ("Messages, first page", "/console/revue/messages"),
        ("Messages, next page", f"/console/revue/messages?{older}"),
        ("Messages: text « structure » (common)", "/console/revue/messages?q=structure"),
        ("Messages: text « bidule » (rare)", "/console/revue/messages?q=bidule"),
        ("Messages: intent + confidence < 0.5", "/console/revue/messages?intent=affirmer&below=0.5"),
        ("Messages: text + intent + confidence", "/console/revue/messages?q=oui&intent=affirmer&below=0.6"),
        ("Messages: déjà corrigé", "/console/revue/messages?corrected=1"),
        ("Messages: not yet corrected", "/console/revue/messages?corrected=0"),
        ("Dashboard", "/console/revue/tableau"),
    ]
    results = []
    for name, path in cases:
        took, size = time_get(http, base + path, count)
        results.append((name, took, size))
    return results


def exports(base: str, http: requests.Session, count: int):
    today = date.today()
    cases = [("CSV, one week", f"/console/revue/export.csv?since={today - timedelta(days=60)}&until={today - timedelta(days=53)}", count),
             ("JSON, refusals with thumbs down", "/console/revue/export.json?outcome=refusee&thumbs_down=1", count),
             ("CSV, everything (100,000 conversations)", "/console/revue/export.csv", 2)]
    return [(name, *time_export(http, base + path, n)) for name, path, n in cases]


def bulk_correction(base: str, http: requests.Session) -> float:
    page = http.get(f"{base}/console/revue/messages?corrected=0&q=bidule", timeout=60).text
    csrf = page.split('name="csrf" content="', 1)[1].split('"', 1)[0]
    ids = [chunk.split('"', 1)[0] for chunk in page.split('name="ids" value="')[1:]][:20]
    began = time.perf_counter()
    response = http.post(f"{base}/console/revue/messages/revue", timeout=120, allow_redirects=True,
                         data={"csrf": csrf, "ids": ids, "do": "corriger", "intent": "affirmer",
                               "back": "/console/revue/messages?corrected=0&q=bidule"})
    response.raise_for_status()
    return (time.perf_counter() - began) * 1000


def live_load(tracker: Path, db: Path, seconds: int) -> Dict[str, float]:
    """Writes events at LIVE_EVENTS_PER_S while the web front's indexer runs; samples its lag."""
    reader = sqlite3.connect(tracker, timeout=30)
    watcher = sqlite3.connect(db, timeout=30)
    lags, stop, written = [], threading.Event(), [0]

    def write():
        writer = sqlite3.connect(tracker, timeout=30)  # its own connection: sqlite3 objects stay in their thread
        n = 0
        while not stop.is_set():
            now = time.time()
            rows = [(f"live-{n}-{i // 16}", "user", now, json.dumps({
                "event": "user", "timestamp": now, "text": f"message en direct {n} {i}",
                "parse_data": {"intent": {"name": "affirmer", "confidence": 0.9}, "entities": []}}))
                for i in range(LIVE_EVENTS_PER_S // 10)]
            writer.executemany("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?,?,?,?)", rows)
            writer.commit()
            written[0] += len(rows)
            n += 1
            time.sleep(max(0.0, 0.1 - (time.time() - now)))

    thread = threading.Thread(target=write)
    thread.start()
    began = time.time()
    while time.time() - began < seconds:
        time.sleep(1)
        top = reader.execute("SELECT MAX(id) FROM events").fetchone()[0]
        done = watcher.execute("SELECT last_id FROM review_index_state WHERE source = 'tracker'").fetchone()[0]
        lags.append((top - done) / LIVE_EVENTS_PER_S)
    stop.set()
    thread.join()
    return {"events": written[0], "seconds": seconds, "max_lag_s": max(lags), "mean_lag_s": statistics.mean(lags)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--workdir", default=str(ROOT / "var" / "review-bench"))
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--live-seconds", type=int, default=30)
    args = parser.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    tracker, db = work / "tracker.db", work / "claudia.db"
    env = dict(os.environ, CLAUDIA_DB_URL=f"sqlite:///{db}", CLAUDIA_TRACKER_DB_URL=f"sqlite:///{tracker}",
               CLAUDIA_RASA_API_TOKEN="bench", CLAUDIA_CORRECTIONS_FILE=str(work / "corrections.yml"),
               CLAUDIA_REVIEW_STORIES_FILE=str(work / "test_revues.yml"), PYTHONPATH=str(ROOT))
    report = {"load_before": os.getloadavg()}
    setup = work / "setup.json"
    if db.exists() and setup.exists():
        report.update(json.loads(setup.read_text()))
    else:
        for stale in (db, tracker):
            stale.unlink(missing_ok=True)
        began = time.monotonic()
        counts = generate(f"sqlite:///{tracker}", f"sqlite:///{db}", args.conversations)
        report["generate"] = (counts, time.monotonic() - began)
        subprocess.run([sys.executable, "-m", "claudia.admin", "operators", str(ROOT / "demo" / "operators.yml")],
                       env=env, check=True, cwd=ROOT, capture_output=True)
        began = time.monotonic()
        indexed = ReviewIndexer(Database(env["CLAUDIA_DB_URL"]), env["CLAUDIA_TRACKER_DB_URL"], batch=5000).catch_up(10**6)
        report["index"] = (indexed, time.monotonic() - began)
        setup.write_text(json.dumps({k: report[k] for k in ("generate", "index")}))
    port = free_port()
    web = subprocess.Popen([sys.executable, "-m", "web", "--port", str(port)], env=env, cwd=ROOT,
                           stdout=open(work / "web.log", "a"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if requests.get(f"{base}/console/login", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.5)
        http = sign_in(base)
        report["pages"] = pages(base, http, args.requests)
        report["exports"] = exports(base, http, max(5, args.requests // 4))
        report["bulk"] = bulk_correction(base, http)
        report["load_after_pages"] = os.getloadavg()
        report["live"] = live_load(tracker, db, args.live_seconds)
    finally:
        web.terminate()
        web.wait(timeout=30)
    write_report(report, args)


def write_report(report, args) -> None:
    lines = ["# Review pages on a large history", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
             f"SQLite {sqlite3.sqlite_version}; `make review-bench` ({args.conversations} conversations, "
             f"{args.requests} requests per page, sequential, through HTTP on loopback, signed in as a reviewer). "
             f"The machine was shared with other jobs: load average {report['load_before'][0]:.1f} before the pages, "
             f"{report['load_after_pages'][0]:.1f} after them (1-minute).", ""]
    if "generate" in report:
        counts, took = report["generate"]
        lines.append(f"Data: {counts['conversations']} conversations, {counts['events']} tracker events, "
                     f"generated in {took:.0f} s.")
        indexed, took = report["index"]
        lines.append(f"Initial indexing (from scratch): {indexed} rows in {took:.0f} s ({indexed / took:.0f} rows/s).")
    lines += ["", "| page | p50 (ms) | p95 (ms) | max (ms) | bytes |", "|---|---|---|---|---|"]
    for name, took, size in report["pages"]:
        lines.append(f"| {name} | {statistics.median(took):.0f} | {percentile(took, 0.95):.0f} | {max(took):.0f} | {size} |")
    lines += ["", "Exports are streamed: the first bytes leave at once, the rest grows with what is exported.", "",
              "| export | first bytes p50 (ms) | first bytes p95 (ms) | complete p50 (ms) | bytes |", "|---|---|---|---|---|"]
    for name, first, total, size in report["exports"]:
        lines.append(f"| {name} | {statistics.median(first):.0f} | {percentile(first, 0.95):.0f} | "
                     f"{statistics.median(total):.0f} | {size} |")
    lines += ["", f"Bulk correction of 20 messages (POST, written to the corrections file, redirect and page "
                  f"reload): {report['bulk']:.0f} ms.", ""]
    live = report["live"]
    lines.append(f"Live load: {live['events']} events written in {live['seconds']} s ({LIVE_EVENTS_PER_S}/s, above "
                 f"`make bench`'s busiest run) while the web front's background indexer ran: lag behind the tracker "
                 f"store max {live['max_lag_s']:.1f} s, mean {live['mean_lag_s']:.1f} s.")
    lines += ["", "Notes:", "",
              "- Each page reads one page of rows through an index and counts at most 1,001 in the same walk, so "
              "these times do not grow with the number of conversations; the full CSV export is the one thing "
              "that does (it is streamed, and its first bytes leave at once).",
              "- The story editor loads Rasa's domain and tracker store once per process (the max above); after "
              "that it reads one conversation by its indexed sender id.",
              "- A text search looks at the newest 10,000 messages containing its words (before the end of the "
              "chosen period), then applies the other filters; « Plus anciens » moves that window back.",
              "- Data and initial indexing are kept in var/review-bench/ between runs (delete it to start over); "
              "the generation and indexing figures are from the run that created them."]
    (ROOT / "bench" / "review.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
