"""The real servers, started on loopback for end-to-end tests.

`Stack` runs the action server and the Rasa server (the trained model, the
connected channel, a SQL tracker store) as separate processes, exactly as
`make run` does (the same launchers, secrets only in the environment, umask
077), with a fresh SQLite registry loaded with the demo data and a loopback
INSEE API serving the demo SIRENE extract.
"""
from __future__ import annotations

import csv
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import requests

from claudia.identity import issue_token
from serving.endpoints import HEADER as ACTIONS_HEADER
from serving.endpoints import write_endpoints
from tests.fake_insee import FakeInsee

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "claudia.tar.gz"
SECRET = "e2e-secret-0123456789-abcdefghijklmnopqrstuv"
API_TOKEN = "e2e-rasa-api-token-0123456789"
ACTIONS_TOKEN = "e2e-actions-token-9876543210-zyxwvutsrq"


def wait_for(predicate, timeout: float = 10.0):
    """Polls `predicate` until it returns something true; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def insee_from_demo_extract(api_key: str, port: int = 0) -> FakeInsee:
    insee = FakeInsee(api_key=api_key, port=port)
    with (ROOT / "demo" / "sirene.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            insee.add(row["siret"], row["etatAdministratifEtablissement"],
                      row["denominationUsuelleEtablissement"] or row["enseigne1Etablissement"],
                      numero=row["numeroVoieEtablissement"], type_voie=row["typeVoieEtablissement"],
                      voie=row["libelleVoieEtablissement"], code_postal=row["codePostalEtablissement"],
                      commune=row["libelleCommuneEtablissement"])
    return insee.start()


@dataclass
class Stack:
    workdir: Path
    env: Dict[str, str] = field(default_factory=dict)
    processes: List[subprocess.Popen] = field(default_factory=list)
    named: Dict[str, tuple] = field(default_factory=dict)
    extra_env: Dict[str, str] = field(default_factory=dict)
    insee: Optional[FakeInsee] = None
    rasa_port: int = 0
    actions_port: int = 0
    console_port: int = 0

    @property
    def console(self) -> str:
        return f"http://127.0.0.1:{self.console_port}/console"

    @property
    def webhook(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}/webhooks/connected/webhook"

    def start(self) -> "Stack":
        if not MODEL.exists():
            raise RuntimeError("Aucun modèle entraîné : lancez d'abord `make train`.")
        self.insee = insee_from_demo_extract("e2e-key")
        self.rasa_port, self.actions_port, self.console_port = free_port(), free_port(), free_port()
        self.env = dict(
            os.environ,
            PYTHONPATH=str(ROOT),
            TF_CPP_MIN_LOG_LEVEL="2",
            RASA_TELEMETRY_ENABLED="false",
            CLAUDIA_DB_URL=f"sqlite:///{self.workdir / 'claudia.db'}",
            CLAUDIA_JWT_SECRET=SECRET,
            SIRENE_SOURCE="api",
            SIRENE_API_URL=self.insee.url,
            INSEE_API_KEY="e2e-key",
            SIRENE_CACHE_TTL="0",
            SIRENE_TIMEOUT="2",
            SANIC_HOST="127.0.0.1",
            CLAUDIA_LIVECHAT_HOURS="always",
            CLAUDIA_RASA_API_TOKEN=API_TOKEN,
            CLAUDIA_ACTIONS_TOKEN=ACTIONS_TOKEN,
            # Every test talks from 127.0.0.1: no per-address limit on not-connected messages
            # here (tests/channels cover it), and a conversation cap a test can reach quickly.
            CLAUDIA_ANONYMOUS_RATE="1000000",
            CLAUDIA_ANONYMOUS_MAX_MESSAGES="40",
            CLAUDIA_RASA_URL=f"http://127.0.0.1:{self.rasa_port}",
            CLAUDIA_WEB_PORT=str(self.console_port),
            CLAUDIA_TRACKER_DB_URL=f"sqlite:///{self.workdir / 'tracker.db'}",
            CLAUDIA_CORRECTIONS_FILE=str(self.workdir / "corrections.yml"),
            CLAUDIA_REVIEW_STORIES_FILE=str(self.workdir / "test_revues.yml"),
            CLAUDIA_DATA_REPO=str(self.workdir / "data-repo"),  # the review's commits, never the project's var/
            CLAUDIA_METRICS_DIR=str(self.workdir / "metrics"),  # the workers' metrics (serving/metrics_dir.py)
        )
        self.env.pop("CLAUDIA_JWT_AUDIENCE", None)
        self.env.update(self.extra_env)
        for command in (["load", str(ROOT / "demo" / "registry.yml")],
                        ["operators", str(ROOT / "demo" / "operators.yml")]):
            subprocess.run([sys.executable, "-m", "claudia.admin", *command],
                           cwd=ROOT, env=self.env, check=True, capture_output=True)
        endpoints = write_endpoints(self.workdir / "endpoints.yml",
                                    f"http://127.0.0.1:{self.actions_port}/webhook",
                                    f"sqlite:///{self.workdir / 'tracker.db'}")
        self._spawn("actions", [sys.executable, "-m", "serving.serve_actions", "--port", str(self.actions_port)])
        self._spawn("rasa", [sys.executable, "-m", "serving.serve_rasa", "--model", str(MODEL),
                             "--endpoints", str(endpoints), "--credentials", str(ROOT / "credentials.yml"),
                             "--interface", "127.0.0.1", "--port", str(self.rasa_port), "--enable-api"])
        self._spawn("web", [sys.executable, "-m", "web"])
        self._wait_until_ready()
        return self

    def _spawn(self, name: str, command: List[str]) -> None:
        log = open(self.workdir / f"{name}.log", "a")
        process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                   umask=0o077)
        self.processes.append(process)
        self.named[name] = (process, command)

    def pids(self, name: str) -> List[int]:
        """A server's process and its workers (Rasa's and the action server's are forked)."""
        found, todo = [], [self.named[name][0].pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*"):
                todo += [int(child) for child in (task / "children").read_text().split()]
        return found

    def stop_server(self, name: str) -> None:
        """Stops one server (fault tests), as a crash or a deployment would."""
        process, _ = self.named[name]
        process.terminate()
        process.wait(timeout=30)

    def start_server(self, name: str) -> None:
        _, command = self.named[name]
        self._spawn(name, command)
        self._wait_until_ready()

    def _wait_until_ready(self, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        urls = [f"http://127.0.0.1:{self.actions_port}/health",
                f"http://127.0.0.1:{self.rasa_port}/webhooks/connected/",
                f"http://127.0.0.1:{self.console_port}/console/login"]
        while time.monotonic() < deadline:
            for process, _ in self.named.values():
                if process.poll() is not None:
                    raise RuntimeError(f"a server stopped at start-up; see {self.workdir}/*.log")
            try:
                headers = {ACTIONS_HEADER: ACTIONS_TOKEN}
                if all(requests.get(url, timeout=2, headers=headers).status_code == 200 for url in urls):
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"servers not ready after {timeout}s; see {self.workdir}/*.log")

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        if self.insee:
            self.insee.stop()

    def token(self, login: str, ttl: int = 900) -> str:
        return issue_token(login, SECRET, ttl)


class Operator:
    """A console user (operator or reviewer) using it through HTTP, as its pages do."""

    def __init__(self, stack: Stack, login: str, password: str = "conseil-demo-2026"):
        self.stack = stack
        self.http = requests.Session()
        self.http.get(f"{stack.console}/login", timeout=10)
        csrf = self.http.cookies.get("claudia_login_csrf")
        response = self.http.post(f"{stack.console}/login", timeout=10, allow_redirects=False,
                                  data={"login": login, "password": password, "csrf": csrf})
        self.signed_in = response.status_code == 302 and "claudia_console" in self.http.cookies
        self.csrf = ""
        if self.signed_in:
            page = self.http.get(f"{stack.console}/", timeout=10).text
            self.csrf = page.split('<meta name="csrf" content="', 1)[1].split('"', 1)[0]

    def chats(self) -> List[dict]:
        """Every waiting or ongoing chat, through all the pages of the console's list."""
        found, page = [], 1
        while True:
            body = self.http.get(f"{self.stack.console}/api/chats", params={"page_discussions": page},
                                 timeout=10).json()
            found += body["chats"]
            if page >= body["pages"]["chats"]["pages"]:
                return found
            page += 1

    def chat(self, handoff_id: int) -> dict:
        return self.http.get(f"{self.stack.console}/api/chats/{handoff_id}", timeout=10).json()

    def post(self, handoff_id: int, action: str, body: Optional[dict] = None) -> requests.Response:
        return self.http.post(f"{self.stack.console}/api/chats/{handoff_id}/{action}", json=body or {},
                              headers={"X-CSRF-Token": self.csrf}, timeout=30)


class Chat:
    """One conversation through `POST /webhooks/connected/webhook`."""

    def __init__(self, stack: Stack, sender: str, login: Optional[str] = None,
                 token: Optional[str] = None):
        self.stack, self.sender = stack, sender
        self.token = token if token is not None else (stack.token(login) if login else None)
        self.status = 0
        self.replies: List[dict] = []

    def say(self, text: str, **extra) -> List[dict]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        body = {"sender": self.sender, "message": text, **extra}
        response = requests.post(self.stack.webhook, json=body, headers=headers, timeout=60)
        self.status = response.status_code
        self.replies = response.json()
        return self.replies

    @property
    def text(self) -> str:
        return "\n".join(reply.get("text") or "" for reply in self.replies)

    @property
    def payloads(self) -> List[str]:
        return [b["payload"] for reply in self.replies for b in reply.get("buttons") or []]

    def pending(self, after: int = 0) -> dict:
        """Messages pushed to this chat (operator, assistant after a live chat)."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = requests.get(self.stack.webhook.rsplit("/", 1)[0] + "/messages",
                                params={"sender": self.sender, "after": after}, headers=headers, timeout=30)
        self.status = response.status_code
        return response.json()

    def click(self, title_start: str) -> List[dict]:
        """Sends the payload of the offered button whose title starts with `title_start`."""
        return self.click_from(self.replies, title_start)

    def click_from(self, replies: List[dict], title_start: str) -> List[dict]:
        for reply in replies:
            for button in reply.get("buttons") or []:
                if button["title"].startswith(title_start):
                    return self.say(button["payload"])
        raise AssertionError(f"no button {title_start!r} in {replies}")
