"""Restarts a supervised server that answers nothing: supervisord only sees processes die.

  python -m serving.health_check PROGRAM=URL [PROGRAM=URL ...]

Run by supervisord as the program `health` (serving/supervisor.py), with the supervisor's
socket in SUPERVISOR_SERVER_URL (supervisord sets it for its programs). Every
`CLAUDIA_HEALTH_EVERY_SECONDS` (5) it sends GET URL to each program; any HTTP answer, whatever
its status, counts: the server is there. A program RUNNING under supervisord with no answer
for `CLAUDIA_HEALTH_DEAF_SECONDS` (30), or, before its first answer since it started, for
`CLAUDIA_HEALTH_STARTUP_SECONDS` (300: Rasa loads its model), is stopped (SIGTERM then SIGCONT
to its whole process group, so that a stopped or frozen process gets it too; SIGKILL after
`CLAUDIA_HEALTH_KILL_SECONDS`, 10) and supervisord, seeing it exit, restarts it
(autorestart). Each restart is a line in var/log/health.log.

A server on a private unix socket (serving/unix_sockets.py) is probed at an
`http+unix://<socket>/health/live` URL. The servers' URLs are their liveness probes, `/health/live` (serving/sanic_requests.py,
web/observability.py). For those, the checker also asks `/health/ready` and writes a line to
var/log/health.log each time a server becomes ready or not ready, with the checks that fail
(« rasa not ready: tracker_store »): a server that is not ready is not restarted (restarting it
would not bring a database or SIRENE back), it is reported.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import sys
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

from supervisor import childutils

from claudia import log_format
from serving import unix_sockets


def _seconds(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


def say(message: str, level: int = logging.INFO) -> None:
    """A line of var/log/health.log, in ClaudIA's log format (claudia/log_format.py)."""
    logging.getLogger("claudia.health").log(level, message)


def answers(url: str, timeout: float) -> bool:
    """True if something answers HTTP at `url` (http:// or a private socket's http+unix://,
    serving/unix_sockets.py), whatever the status."""
    try:
        unix_sockets.get(url, timeout)
        return True
    except (OSError, ValueError):  # refused, reset, timed out
        return False


LIVE_PATH, READY_PATH = "/health/live", "/health/ready"


def readiness(url: str, timeout: float) -> Optional[List[str]]:
    """The failing checks of `url` (a /health/ready), [] when ready, None when it could not be asked."""
    try:
        _, body = unix_sockets.get(url, timeout)
    except (OSError, ValueError):
        return None
    try:
        checks = json.loads(body).get("checks") or {}
    except (ValueError, AttributeError):
        return None
    return sorted(name for name, result in checks.items() if not (result or {}).get("ok"))


@dataclass
class Watched:
    name: str
    url: str
    pid: int = 0
    since: float = 0.0  # when the current process started, or last answered
    answered: bool = False  # once since the current process started
    failing: Optional[List[str]] = None  # the checks /health/ready said fail, last time it was asked


class Checker:
    def __init__(self, urls: Dict[str, str], rpc=None, probe: Callable[[str, float], bool] = answers,
                 clock: Callable[[], float] = time.time,
                 ready: Callable[[str, float], Optional[List[str]]] = readiness) -> None:
        self.watched = [Watched(name, url) for name, url in urls.items()]
        self.rpc = rpc or childutils.getRPCInterface(os.environ)
        self.probe, self.clock, self.ready = probe, clock, ready
        self.deaf = _seconds("CLAUDIA_HEALTH_DEAF_SECONDS", 30)
        self.startup = _seconds("CLAUDIA_HEALTH_STARTUP_SECONDS", 300)
        self.kill_after = _seconds("CLAUDIA_HEALTH_KILL_SECONDS", 10)
        self.timeout = min(5.0, self.deaf)

    def check(self, server: Watched) -> Optional[int]:
        """Probes `server` once; the pid it restarted, if it did."""
        info = self.rpc.supervisor.getProcessInfo(server.name)
        if info["statename"] != "RUNNING" or not info["pid"]:
            server.pid = 0  # starting, backing off or stopped: supervisord's business
            return None
        if info["pid"] != server.pid:
            server.pid, server.since, server.answered = info["pid"], float(info["start"]), False
        now = self.clock()
        if self.probe(server.url, self.timeout):
            server.since, server.answered = now, True
            self.report_readiness(server)
            return None
        allowed = self.deaf if server.answered else self.startup
        if now - server.since < allowed:
            return None
        pid = server.pid
        say(f"{server.name} (pid {pid}) has not answered {server.url} for {now - server.since:.0f} s: restarting it. "
            f"/ {server.name} ne répond plus depuis {now - server.since:.0f} s : redémarrage.", logging.WARNING)
        stop_group(pid, self.kill_after)
        server.pid = 0
        return pid

    def report_readiness(self, server: Watched) -> None:
        """A line when `server` becomes ready or not ready (servers probed at /health/live only)."""
        if not server.url.endswith(LIVE_PATH):
            return
        failing = self.ready(server.url[: -len(LIVE_PATH)] + READY_PATH, self.timeout)
        if failing is None or failing == server.failing:
            return
        if failing:
            say(f"{server.name} not ready: {', '.join(failing)} / {server.name} n'est pas prêt : {', '.join(failing)}",
                logging.WARNING)
        else:
            say(f"{server.name} ready / {server.name} est prêt")
        server.failing = failing

    def run(self, every: float) -> None:
        say("Watching " + ", ".join(f"{server.name} at {server.url}" for server in self.watched))
        while True:
            for server in self.watched:
                try:
                    self.check(server)
                except OSError as error:  # supervisord's socket: it is stopping, or restarting us
                    say(f"supervisord unreachable: {error}", logging.WARNING)
            time.sleep(every)


def stop_group(pid: int, kill_after: float) -> None:
    """SIGTERM then SIGCONT to the process group of `pid` (supervisord gives each program its
    own); SIGKILL if it is still there after `kill_after` seconds."""
    for number in (signal.SIGTERM, signal.SIGCONT):
        _signal_group(pid, number)
    deadline = time.monotonic() + kill_after
    while time.monotonic() < deadline:
        if not _group_alive(pid):
            return
        time.sleep(0.2)
    _signal_group(pid, signal.SIGKILL)


def _signal_group(pid: int, number: int) -> None:
    try:
        os.killpg(pid, number)
    except ProcessLookupError:
        pass


def _group_alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
        return True
    except ProcessLookupError:
        return False


def main(argv: Optional[List[str]] = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if not args or any("=" not in arg for arg in args):
        raise SystemExit(__doc__.split("\n\n")[1])
    urls = dict(arg.split("=", 1) for arg in args)
    log_format.configure("health")
    Checker(urls).run(_seconds("CLAUDIA_HEALTH_EVERY_SECONDS", 5))


if __name__ == "__main__":
    main()
