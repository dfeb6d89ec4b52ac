"""The servers under supervisord, as `make run` starts them (serving/supervisor.py):
a crashed Rasa server comes back while the web front keeps answering, and stopping
supervisord as Ctrl-C or `kill` does leaves no server or worker running."""
from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Set

import pytest
import requests

from serving import supervisor
from serving.endpoints import HEADER as ACTIONS_HEADER
from serving.endpoints import write_endpoints
from tests.e2e.stack import ACTIONS_TOKEN, ROOT, Chat, Stack, free_port, wait_for

SUPERVISORCTL = str(Path(sys.executable).parent / "supervisorctl")


def descendants(pid: int) -> Set[int]:
    """Every process whose parent chain reaches `pid` (from /proc)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                parents[int(entry.name)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
    found, todo = set(), [pid]
    while todo:
        current = todo.pop()
        children = [child for child, parent in parents.items() if parent == current]
        found.update(children)
        todo += children
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def start_supervisord(args: List[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "serving.supervisor", *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def stop_and_check_nothing_left(process: subprocess.Popen, how: int) -> None:
    children = descendants(process.pid)
    assert children, "supervisord started no server"
    process.send_signal(how)
    assert process.wait(timeout=90) == 0
    wait_for(lambda: not any(alive(pid) for pid in children), timeout=30)


class SupervisedStack(Stack):
    """The end-to-end stack's data and settings, its servers started by serving/supervisor.py."""

    supervisord: subprocess.Popen = None

    def _spawn(self, name, command):  # supervisord starts the servers
        pass

    def _wait_until_ready(self, timeout: float = 240) -> None:
        pass

    def start(self) -> "SupervisedStack":
        super().start()
        self.var = self.workdir / "var"
        write_endpoints(self.var / "endpoints.yml", f"http://127.0.0.1:{self.actions_port}/webhook",
                        f"sqlite:///{self.workdir / 'tracker.db'}")
        self.env.update(CLAUDIA_HOST="127.0.0.1", CLAUDIA_PORT=str(self.rasa_port),
                        ACTIONS_PORT=str(self.actions_port), ACTION_SERVER_SANIC_WORKERS="2")
        self.supervisord = start_supervisord(["--var", str(self.var)], self.env)
        Stack._wait_until_ready(self)
        return self

    def pid(self, program: str) -> int:
        out = subprocess.run([SUPERVISORCTL, "-c", str(self.var / "supervisord.conf"), "pid", program],
                             capture_output=True, text=True, timeout=30).stdout.strip()
        return int(out) if out.isdigit() and out != "0" else 0

    def stop(self) -> None:
        """Even after a failed assertion: supervisord stops its servers (each in its own
        process group, out of reach of a kill sent to supervisord's group)."""
        if self.supervisord and self.supervisord.poll() is None:
            children = descendants(self.supervisord.pid)
            self.supervisord.terminate()
            try:
                self.supervisord.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.supervisord.kill()
            for pid in children:
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)
        super().stop()


@pytest.fixture
def supervised(tmp_path):
    stack = SupervisedStack(tmp_path)
    try:
        yield stack.start()
    finally:
        stack.stop()


def test_a_crashed_rasa_server_comes_back_and_the_web_front_keeps_answering(supervised):
    chat = Chat(supervised, "supervise-1", login="marie.dupont")
    greeting = chat.say("bonjour")
    assert "ClaudIA" in chat.text
    crashed = supervised.pid("rasa")
    assert crashed
    os.kill(crashed, signal.SIGKILL)

    rasa_down_seen, web_answers = False, 0
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        assert requests.get(f"{supervised.console}/login", timeout=5).status_code == 200
        web_answers += 1
        try:
            requests.get(supervised.webhook.rsplit("/", 1)[0] + "/", timeout=5).raise_for_status()
            if rasa_down_seen:
                break
        except requests.RequestException:
            rasa_down_seen = True
        time.sleep(0.5)
    assert rasa_down_seen and web_answers > 3
    assert supervised.pid("rasa") not in (0, crashed)
    # The conversation goes on where it was (the tracker store is on disk): click the button offered before.
    chat.click_from(greeting, "Je veux")
    assert "Quel est le type de votre structure" in chat.text

    stop_and_check_nothing_left(supervised.supervisord, signal.SIGINT)  # as Ctrl-C in `make run`


def test_sigterm_stops_every_server_and_worker(tmp_path):
    var = tmp_path / "var"
    port, web_port = free_port(), free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), SANIC_HOST="127.0.0.1", ACTION_SERVER_SANIC_WORKERS="2",
               CLAUDIA_WEB_PORT=str(web_port), CLAUDIA_DB_URL=f"sqlite:///{tmp_path / 'claudia.db'}",
               CLAUDIA_ACTIONS_TOKEN=ACTIONS_TOKEN)  # the action server answers only with it
    programs = [supervisor.Program("actions", supervisor.actions_command(port), 10),
                supervisor.Program("web", supervisor.web_command(), 30)]
    config = supervisor.write_config(programs, var)
    process = subprocess.Popen([str(Path(sys.executable).parent / "supervisord"), "-n", "-c", str(config)],
                               cwd=ROOT, env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: requests.get(f"http://127.0.0.1:{port}/health", timeout=2,
                                      headers={ACTIONS_HEADER: ACTIONS_TOKEN}).ok
                 if _listening(port) else False, timeout=120)
        wait_for(lambda: len(descendants(process.pid)) >= 4, timeout=60)  # 2 servers + 2 workers at least
        stop_and_check_nothing_left(process, signal.SIGTERM)
    finally:
        if process.poll() is None:
            children = descendants(process.pid)
            process.kill()
            for pid in children:
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)


def test_a_server_that_answers_nothing_is_restarted_and_the_others_keep_answering(tmp_path):
    """Frozen (SIGSTOP to its whole process group), the action server is alive for
    supervisord but answers nothing: the health checker has it restarted."""
    var = tmp_path / "var"
    port, web_port = free_port(), free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), ACTION_SERVER_SANIC_WORKERS="2", ACTIONS_PORT=str(port),
               CLAUDIA_WEB_PORT=str(web_port), CLAUDIA_DB_URL=f"sqlite:///{tmp_path / 'claudia.db'}",
               CLAUDIA_ACTIONS_TOKEN=ACTIONS_TOKEN, CLAUDIA_RASA_API_TOKEN="e2e-rasa-api-token-0123456789",
               CLAUDIA_HEALTH_EVERY_SECONDS="1", CLAUDIA_HEALTH_DEAF_SECONDS="5", CLAUDIA_HEALTH_KILL_SECONDS="3",
               CLAUDIA_HEALTH_STARTUP_SECONDS="20")  # frozen before its first probe, it gets this long
    servers = [program for program in supervisor.programs(env, None, var) if program.name in ("actions", "web")]
    config = supervisor.write_config(servers + [supervisor.health_program(servers)], var)
    process = subprocess.Popen([str(Path(sys.executable).parent / "supervisord"), "-n", "-c", str(config)],
                               cwd=ROOT, env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def pid(program: str) -> int:
        out = subprocess.run([SUPERVISORCTL, "-c", str(config), "pid", program],
                             capture_output=True, text=True, timeout=30).stdout.strip()
        return int(out) if out.isdigit() else 0

    try:
        wait_for(lambda: _listening(port) and _listening(web_port, "/console/login"), timeout=120)
        frozen = pid("actions")
        os.killpg(frozen, signal.SIGSTOP)  # the server and its workers
        with pytest.raises(requests.Timeout):
            requests.get(f"http://127.0.0.1:{port}/health", timeout=2)
        wait_for(lambda: pid("actions") not in (0, frozen) and _listening(port), timeout=90)
        assert not alive(frozen)
        assert requests.get(f"http://127.0.0.1:{web_port}/console/login", timeout=5).status_code == 200
        log = (var / "log" / "health.log").read_text()
        assert f"actions (pid {frozen}) has not answered" in log
        stop_and_check_nothing_left(process, signal.SIGTERM)
    finally:
        if process.poll() is None:
            children = descendants(process.pid)
            process.kill()
            for child in children:
                if alive(child):
                    os.kill(child, signal.SIGCONT)
                    os.kill(child, signal.SIGKILL)


def _listening(port: int, path: str = "/health") -> bool:
    try:
        requests.get(f"http://127.0.0.1:{port}{path}", timeout=2)
        return True
    except requests.RequestException:
        return False


def test_the_configuration_is_private_and_holds_no_secret(tmp_path):
    var = tmp_path / "var"
    env = {"CLAUDIA_RASA_API_TOKEN": "jeton-tres-secret", "CLAUDIA_JWT_SECRET": "secret-jwt-123"}
    config = supervisor.write_config(supervisor.programs(env, None, var), var)
    text = config.read_text()
    assert "jeton-tres-secret" not in text and "secret-jwt-123" not in text
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE(var.stat().st_mode) == 0o700 and stat.S_IMODE((var / "log").stat().st_mode) == 0o700
    assert "nodaemon=true" in text and text.count("autorestart=true") == 5
    assert {"[program:actions]", "[program:rasa]", "[program:web]", "[program:purge]",
            "[program:health]"} <= set(text.splitlines())
    scaled = supervisor.config_text(supervisor.programs(env, 2, var), var)
    assert {"[program:rasa-1]", "[program:rasa-2]", "[program:actions-2]", "[program:web]",
            "[program:health]"} <= set(scaled.splitlines())
    assert "rasa-2=http://127.0.0.1:5025/" in scaled  # the checker watches every server


def test_rasa_workers_share_the_classifiers_libraries_with_their_server(stack):
    """scikit-learn and SciPy are loaded before the fork (serving/serve_rasa.py), so the
    workers map the server's pages instead of loading their own copies."""
    server, *workers = stack.pids("rasa")
    assert workers

    def libraries(pid):
        return {line.split()[-1] for line in Path(f"/proc/{pid}/maps").read_text().splitlines()
                if ".so" in line and ("/sklearn/" in line or "/scipy/" in line)}

    assert libraries(server)
    for worker in workers:
        assert libraries(worker) <= libraries(server)


def test_the_chat_channel_closes_each_connection_after_its_answer(stack):
    """Rasa runs two workers that take connections from one queue: a connection kept alive
    would bring all of a client's messages to one of them (serving/worker_accept.py)."""
    with requests.Session() as browser:
        answer = browser.post(stack.webhook, json={"sender": f"spread-{os.getpid()}", "message": "bonjour"},
                              timeout=60)
    assert answer.status_code == 200 and answer.json()
    assert answer.headers["connection"] == "close"
