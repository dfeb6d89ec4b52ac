"""The two assistants of the benchmark, their servers and what they cost.

ClaudIA is started exactly as `make run` starts it (action server, web front, Rasa
server with the connected channel and the SQL tracker store); the stock assistant is
`rasa init`'s, with its defaults.
"""
from __future__ import annotations

import os
import shutil
import signal
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional

import yaml
from stdnum import luhn

from claudia.identity import issue_token

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RASA = str(Path(sys.executable).parent / "rasa")
SECRET = "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
CONCURRENCY = (1, 20, 100)
STOCK_SCRIPT = ["hello", "I am sad", "yes", "bye"]
# The settings serving/run.sh uses for ClaudIA: one TensorFlow thread per operation, one
# action-server process and two Rasa worker processes (bench/changes.md).
RUNTIME_TUNING = {"TF_INTER_OP_PARALLELISM_THREADS": "1", "TF_INTRA_OP_PARALLELISM_THREADS": "1",
                  "ACTION_SERVER_SANIC_WORKERS": os.environ.get("ACTION_SERVER_SANIC_WORKERS", "1"),
                  "CLAUDIA_RASA_WORKERS": os.environ.get("CLAUDIA_RASA_WORKERS", "2")}


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


def _family(pid: int) -> List[int]:
    """A process and all its descendants (Sanic workers, multiprocessing helpers)."""
    found, todo = [], [pid]
    while todo:
        one = todo.pop()
        found.append(one)
        todo += [int(p) for p in subprocess.run(["pgrep", "-P", str(one)], capture_output=True,
                                                text=True).stdout.split()]
    return found


def _proc_kb(pid: int, path: str, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/{path}").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants, in MB (pages shared by forked
    workers counted once per process, as `ps` would)."""
    return sum(_proc_kb(one, "status", "VmRSS:") for one in _family(pid)) / 1024


def pss_mb(pid: int) -> float:
    """Proportional set size of a process and its descendants, in MB: each shared page is
    divided among the processes sharing it, so forked workers are not counted twice."""
    return sum(_proc_kb(one, "smaps_rollup", "Pss:") for one in _family(pid)) / 1024


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
    headers_for: Callable
    script_for: Callable
    servers: List[Server] = field(default_factory=list)
    train_seconds: float = 0.0
    cold_start: float = 0.0


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


def behind_proxy(ours: "Assistant", work: Path, ports: bool = False, sockets: bool = True) -> "Assistant":
    """The same servers as `make run` lays them out: HAProxy in front (serving/proxy_config.py),
    the Rasa workers behind it on a private unix socket (their accept gate; `ports`: a socket each,
    serving/worker_ports.py), the web front on its own (serving/unix_sockets.py). The bench talks
    to the proxy's public channel port with the per-address limits raised (every conversation of
    the bench comes from one address). HAProxy is the first server, so that `servers[-1]` stays
    the Rasa server (cold start is timed from it). `sockets=False`: the servers on loopback ports
    instead (CLAUDIA_PRIVATE_SOCKETS=0), to compare."""
    import shutil as _shutil

    from serving import proxy_config, unix_sockets

    actions, web, rasa = ours.servers
    folder = work / f"sockets-{'ports' if ports else 'gate'}"
    rasa_socket = unix_sockets.rasa_socket(folder)
    public, internal = free_port(), free_port()
    env = dict(rasa.env, SANIC_PROXIES_COUNT="1", **({"CLAUDIA_RASA_WORKER_PORTS": "1"} if ports else {}))
    command = list(rasa.command)
    workers = int(env.get("CLAUDIA_RASA_WORKERS", "2"))
    # `make run`: the workers share one socket behind their accept gate; `ports`: a socket each.
    addresses: List[proxy_config.Address]
    if sockets:
        env["CLAUDIA_RASA_SOCKET"] = str(rasa_socket)
        addresses = [unix_sockets.worker_socket(rasa_socket, n) for n in range(workers)] if ports else [rasa_socket]
        web_address: proxy_config.Address = unix_sockets.web_socket(folder)
    else:
        first = _consecutive_free_ports(workers)
        command[command.index("--port") + 1] = str(first)
        addresses = [("127.0.0.1", first + n) for n in range(workers)] if ports else [("127.0.0.1", first)]
        web_address = ("127.0.0.1", free_port())
    to_rasa = unix_sockets.proxy_socket(folder) if sockets else None  # the web front's way, as in `make run`
    if sockets:
        from claudia.safe_paths import private_socket_directory

        private_socket_directory(folder)  # before HAProxy binds its own socket there
    layout = proxy_config.Layout(channel_port=public, web_port=free_port(), internal_port=internal,
                                 rasa=addresses, workers_per_server=1 if ports else workers, web=web_address,
                                 internal_socket=to_rasa)
    limits = proxy_config.Limits(connections_per_address=10_000, requests_per_address=10_000_000)
    config = work / "haproxy.cfg"
    config.write_text(proxy_config.config_text(layout, limits), encoding="utf-8")
    haproxy = _shutil.which("haproxy") or "/usr/sbin/haproxy"
    web_env = dict(web.env, CLAUDIA_BEHIND_PROXY="1", CLAUDIA_RASA_URL=unix_sockets.url(to_rasa, "") if to_rasa else f"http://127.0.0.1:{internal}",
                   **({"CLAUDIA_WEB_SOCKET": str(web_address)} if sockets else {"CLAUDIA_WEB_PORT": str(web_address[1])}))
    servers = [Server("ClaudIA proxy", [haproxy, "-db", "-f", str(config)], rasa.cwd, env, work / "haproxy.log"),
               actions, Server("ClaudIA web", web.command, web.cwd, web_env, work / "web-proxied.log"),
               Server("ClaudIA rasa", command, rasa.cwd, env, work / "rasa-proxied.log")]
    proxied = Assistant(ours.name, f"http://127.0.0.1:{public}/webhooks/connected/webhook", ours.headers_for,
                        ours.script_for, servers, train_seconds=ours.train_seconds)
    proxied.reset_registry = ours.reset_registry  # type: ignore[attr-defined]
    return proxied


def _consecutive_free_ports(count: int) -> int:
    """The first of `count` free consecutive loopback ports, below the kernel's ephemeral range (32768-)."""
    import random
    import socket

    while True:
        first = random.randrange(20000, 32000)
        taken = []
        try:
            for port in range(first, first + count):
                taken.append(socket.socket())
                taken[-1].bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for sock in taken:
                sock.close()


def prepare_ours(work: Path, env: Dict[str, str], conversations: int, model: Optional[Path] = None) -> Assistant:
    """ClaudIA with a registry of `conversations` structures; trained here unless `model` is given."""
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
                    CLAUDIA_ACTIONS_TOKEN="bench-actions-token-" + secrets.token_hex(16), **RUNTIME_TUNING)
    seconds = 0.0
    if model is None:
        cache_env = dict(ours_env, RASA_CACHE_DIRECTORY=str(work / "cache-ours"))
        seconds = timed_train(ROOT, work / "models-ours", cache_env,
                              ["--config", "config.yml", "--domain", "domain.yml", "--data", "data"])
        model = work / "models-ours" / "model.tar.gz"
    actions_port, rasa_port, web_port = free_port(), free_port(), free_port()
    ours_env.update(CLAUDIA_WEB_PORT=str(web_port), CLAUDIA_RASA_URL=f"http://127.0.0.1:{rasa_port}",
                    CLAUDIA_RASA_API_TOKEN="bench-rasa-api-token-0123456789",
                    CLAUDIA_TRACKER_DB_URL=f"sqlite:///{work / 'tracker.db'}")
    subprocess.run([sys.executable, "-m", "serving.endpoints", str(work / "endpoints.yml")], cwd=ROOT, check=True,
                   env=dict(ours_env, ACTIONS_URL=f"http://127.0.0.1:{actions_port}/webhook",
                            CLAUDIA_TRACKER_DB_URL=f"sqlite:///{work / 'tracker.db'}"))
    # Started as `make run` starts them (serving/serve_actions.py, serving/serve_rasa.py).
    actions = Server("ClaudIA actions", [sys.executable, "-m", "serving.serve_actions",
                                         "--port", str(actions_port)], ROOT, ours_env, work / "actions.log")
    # The web front is one of ClaudIA's processes: it counts in the memory total.
    web = Server("ClaudIA web", [sys.executable, "-m", "web"], ROOT, ours_env, work / "web.log")
    rasa = Server("ClaudIA rasa", [sys.executable, "-m", "serving.serve_rasa", "--model", str(model),
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
                          [actions, web, rasa], train_seconds=seconds)
    assistant.reset_registry = lambda: subprocess.run(  # type: ignore[attr-defined]
        [sys.executable, "-m", "claudia.admin", "load", str(work / "registry.yml")], cwd=ROOT, env=ours_env,
        check=True, capture_output=True)
    return assistant


