"""Runs ClaudIA's servers under supervisord, in the foreground (`make run`, `make run-scaled`).

  python -m serving.supervisor [--servers N] [--var DIR] [--config-only]

Each server is its own supervised program: one dying does not stop the others, and a
crashed server is restarted. One that is alive but answers nothing (frozen, out of
descriptors, deadlocked) is found by the program `health` (serving/health_check.py), which
probes each server's `health` URL and stops one that stays deaf, so that it is restarted. Ctrl-C (SIGINT) or SIGTERM stops supervisord, which stops
every server and its workers (whole process groups) before exiting.

Where things are:
- `programs()` below is the one place that says how each server is started;
- the configuration is written to var/supervisord.conf (mode 0600, var/ and var/log/
  0700); logs go to var/log/<program>.log;
- secrets are never written to the configuration: the servers inherit them from this
  process's environment (serving/run.sh exports them).

Settings, from the environment (as serving/run.sh sets them): CLAUDIA_HOST, CLAUDIA_PORT,
ACTIONS_HOST, ACTIONS_PORT, CLAUDIA_RASA_API_TOKEN (Rasa's HTTP API, for the console).
With --servers N (run-scaled), server n uses Rasa port 5005+10n, action port 5055+10n and
endpoints file var/endpoints-n.yml.
With CLAUDIA_PROXY=1 (serving/run.sh and run_scaled.sh set it), the program `proxy` is HAProxy,
alone on the public ports, its configuration written to var/haproxy.cfg (0600) by
serving/proxy_config.py; the Rasa server (with CLAUDIA_RASA_WORKER_PORTS=1 a socket per worker,
serving/worker_ports.py) and the web front listen behind it on private unix sockets in
CLAUDIA_SOCKET_DIR (var/sockets/, serving/unix_sockets.py), or with CLAUDIA_PRIVATE_SOCKETS=0 on
loopback ports (CLAUDIA_PORT, CLAUDIA_WEB_PORT).
"""
from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from serving import proxy_config, unix_sockets

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@dataclass
class Program:
    name: str
    command: List[str]
    priority: int  # started in increasing order, stopped in decreasing order
    environment: Dict[str, str] = field(default_factory=dict)  # never secrets: those are inherited
    health: Optional[str] = None  # a URL it answers while it works (any HTTP status)


def rasa_command(port: int, host: str, endpoints: Path) -> List[str]:
    """The Rasa server with the connected channel and the console's token-protected API,
    through serving/serve_rasa.py, which reads the API token from the environment: no
    secret on a command line (`ps` shows those to every local user) nor in this file."""
    return [sys.executable, "-m", "serving.serve_rasa", "--model", str(ROOT / "models" / "claudia.tar.gz"),
            "--endpoints", str(endpoints), "--credentials", str(ROOT / "credentials.yml"),
            "--interface", host, "--port", str(port), "--enable-api"]


def actions_command(port: int) -> List[str]:
    """The action server, answering only Rasa (shared secret from the environment)."""
    return [sys.executable, "-m", "serving.serve_actions", "--port", str(port)]


def web_command() -> List[str]:
    return [sys.executable, "-m", "web"]


def purge_command() -> List[str]:
    """The retention job: deletes what is older than its retention period, then again every
    CLAUDIA_PURGE_EVERY_SECONDS (claudia/retention.py); one for all servers (they share the data)."""
    return [sys.executable, "-m", "claudia.admin", "purge", "--loop"]


# Behind the proxy, a Rasa server reads the client's address from the X-Forwarded-For entry the
# proxy adds (the last one: `option forwardfor`), for the per-address limit on not-connected messages.
PROXIED_RASA = {"SANIC_PROXIES_COUNT": "1"}


def proxy_wanted(env: Dict[str, str]) -> bool:
    return env.get("CLAUDIA_PROXY") == "1"


def haproxy_binary() -> str:
    found = shutil.which("haproxy") or next((path for path in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy")
                                              if os.access(path, os.X_OK)), None)
    if not found:
        raise SystemExit("HAProxy est introuvable : installez le paquet Debian `haproxy` (apt-get install haproxy), "
                         "ou lancez sans mandataire avec CLAUDIA_PROXY=0 (sans ses protections).\n"
                         "HAProxy not found: install Debian's `haproxy` package, or run without the proxy with "
                         "CLAUDIA_PROXY=0 (without its protections).")
    return found


def proxy_program(env: Dict[str, str], var: Path) -> Program:
    """HAProxy in the foreground (-db), on the configuration serving/proxy_config.py writes."""
    internal = env.get("CLAUDIA_PROXY_RASA_PORT", "5006")
    return Program("proxy", [haproxy_binary(), "-db", "-f", str(var / "haproxy.cfg")], 35,
                   health=f"http://127.0.0.1:{internal}{proxy_config.PROXY_HEALTH}")


def programs(env: Dict[str, str], servers: Optional[int], var: Path) -> List[Program]:
    """Every server ClaudIA runs: one action server, one Rasa server and the web front, or,
    with `servers`, that many pairs of action and Rasa servers (run-scaled); the purge job;
    and the health checker watching the servers."""
    actions_host = env.get("ACTIONS_HOST", "127.0.0.1")
    web = Program("web", web_command(), 30,
                  health=f"http://{env.get('CLAUDIA_WEB_HOST', '127.0.0.1')}:{env.get('CLAUDIA_WEB_PORT', '5080')}"
                         "/health/live")  # serving/sanic_requests.py, web/observability.py
    # Behind the proxy, the Rasa servers and the web front on private unix sockets (serving/unix_sockets.py).
    sockets = unix_sockets.directory(env, var) if unix_sockets.wanted(env) else None
    if sockets:
        web.environment[unix_sockets.WEB_ENV] = str(unix_sockets.web_socket(sockets))
        # and it reaches Rasa through the proxy's own private socket (serving/proxy_internal.py)
        web.environment["CLAUDIA_RASA_URL"] = unix_sockets.url(unix_sockets.proxy_socket(sockets), "")
        web.health = unix_sockets.url(unix_sockets.web_socket(sockets), "/health/live")
    if not servers:
        actions_port, rasa_port = int(env.get("ACTIONS_PORT", "5055")), int(env.get("CLAUDIA_PORT", "5005"))
        rasa_host = env.get("CLAUDIA_HOST", "127.0.0.1")
        watched = [
            Program("actions", actions_command(actions_port), 10, {"SANIC_HOST": actions_host},
                    health=f"http://{actions_host}:{actions_port}/health/live"),
            Program("rasa", rasa_command(rasa_port, rasa_host, var / "endpoints.yml"), 20,
                    dict(PROXIED_RASA) if proxy_wanted(env) else {},
                    health=f"http://{rasa_host}:{rasa_port}/health/live"),
            web,
        ]
        if sockets:
            _on_socket(watched[1], unix_sockets.rasa_socket(sockets), env.get("CLAUDIA_RASA_WORKER_PORTS") == "1")
    else:
        watched = []
        for n in range(1, servers + 1):
            watched.append(Program(f"actions-{n}", actions_command(5055 + 10 * n), 10, {"SANIC_HOST": "127.0.0.1"},
                                    health=f"http://127.0.0.1:{5055 + 10 * n}/health/live"))
            watched.append(Program(f"rasa-{n}", rasa_command(5005 + 10 * n, "127.0.0.1", var / f"endpoints-{n}.yml"),
                                    20, dict(PROXIED_RASA) if proxy_wanted(env) else {}, health=f"http://127.0.0.1:{5005 + 10 * n}/health/live"))
            if sockets:
                _on_socket(watched[-1], unix_sockets.rasa_socket(sockets, n), False)
        watched.append(web)
    if proxy_wanted(env):
        web.environment["CLAUDIA_BEHIND_PROXY"] = "1"  # the client's address from the proxy (web/proxy_address.py)
        watched.append(proxy_program(env, var))
    return watched + [Program("purge", purge_command(), 40), health_program(watched)]


def _on_socket(rasa: Program, sock: Path, worker_sockets: bool) -> None:
    """A Rasa server on its private socket (worker 0's own with a socket per worker), not its port."""
    rasa.environment[unix_sockets.RASA_ENV] = str(sock)
    rasa.health = unix_sockets.url(unix_sockets.worker_socket(sock, 0) if worker_sockets else sock, "/health/live")


def health_program(progs: List[Program]) -> Program:
    """The checker that restarts a server answering nothing at its health URL (serving/health_check.py)."""
    return Program("health", [sys.executable, "-m", "serving.health_check",
                              *(f"{program.name}={program.health}" for program in progs if program.health)], 50)


def config_text(progs: List[Program], var: Path) -> str:
    log = var / "log"
    lines = [
        "; Generated by serving/supervisor.py at each start: edit programs() there, not this file.",
        "[supervisord]",
        "nodaemon=true",
        f"logfile={log / 'supervisord.log'}",
        f"pidfile={var / 'supervisord.pid'}",
        f"childlogdir={log}",
        "loglevel=info",
        "umask=077",
        "",
        "[unix_http_server]",
        f"file={var / 'supervisor.sock'}",
        "chmod=0700",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{var / 'supervisor.sock'}",
    ]
    for program in progs:
        lines += [
            "",
            f"[program:{program.name}]",
            f"command={_escape(shlex.join(program.command))}",
            f"directory={ROOT}",
            f"priority={program.priority}",
            "autostart=true",
            "autorestart=true",
            "startsecs=3",
            "startretries=10",
            "stopsignal=TERM",
            "stopwaitsecs=20",
            "stopasgroup=true",
            "killasgroup=true",
            f"stdout_logfile={log / (program.name + '.log')}",
            "stdout_logfile_maxbytes=10MB",
            "stdout_logfile_backups=3",
            "redirect_stderr=true",
        ]
        if program.environment:
            lines.append("environment=" + ",".join(f'{key}="{_escape(value)}"'
                                                   for key, value in sorted(program.environment.items())))
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    """supervisord expands %(name)s in values: a literal % is written %%."""
    return text.replace("%", "%%")


def write_config(progs: List[Program], var: Path) -> Path:
    """var/ and var/log/ private to the user (0700), the configuration 0600."""
    for directory in (var, var / "log"):
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o700)
    path = var / "supervisord.conf"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(config_text(progs, var))
    path.chmod(0o600)
    return path


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=0, help="pairs of Rasa and action servers (run-scaled)")
    parser.add_argument("--var", type=Path, default=ROOT / "var")
    parser.add_argument("--config-only", action="store_true", help="write the configuration and exit")
    args = parser.parse_args(argv)
    var = args.var.resolve()
    config = write_config(programs(dict(os.environ), args.servers or None, var), var)
    if unix_sockets.wanted(dict(os.environ)):  # refused now, on this terminal, rather than in every server's log
        from claudia.safe_paths import UnsafeLocation, private_socket_directory

        try:
            private_socket_directory(unix_sockets.directory(dict(os.environ), var))
        except UnsafeLocation as refusal:
            raise SystemExit(str(refusal))
    if proxy_wanted(dict(os.environ)):
        proxy_config.write(var / "haproxy.cfg", dict(os.environ), args.servers or None)
    if args.config_only:
        print(config)
        return
    # supervisord replaces this process: Ctrl-C and SIGTERM reach it directly.
    os.execv(str(BIN / "supervisord"), [str(BIN / "supervisord"), "--nodaemon", "--configuration", str(config)])


if __name__ == "__main__":
    main()
