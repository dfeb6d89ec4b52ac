"""A real Prometheus scrapes the running servers during a short load of real conversations.

The test starts Debian's `prometheus` on loopback with a temporary configuration that scrapes
the e2e stack's Rasa server, action server and web front every two seconds and loads
deploy/prometheus-rules.yml; it plays conversations through the channel and the console, then
asks Prometheus' HTTP API whether the series exist with plausible values, whether every rule
evaluates without error and whether the dashboard's queries are valid PromQL. `promtool check
rules`, `promtool check config` and `promtool test rules` must pass on deploy/. Without `prometheus`
(scripts/test_services.sh installs it as root) the test is skipped and says why.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import MAIRIE, MEDIATHEQUE
from tests.e2e.stack import ROOT, Chat, Operator, free_port, wait_for

PROMETHEUS, PROMTOOL = shutil.which("prometheus"), shutil.which("promtool")
pytestmark = pytest.mark.skipif(
    not (PROMETHEUS and PROMTOOL),
    reason="Debian's prometheus package is not installed (scripts/test_services.sh installs it as root)")
DEPLOY = ROOT / "deploy"
JOBS = ("claudia-rasa", "claudia-actions", "claudia-web")
STOPPED = "claudia-stopped"  # a server that does not answer: the « server down » alert must see it


@pytest.fixture
def prometheus(stack, tmp_path):
    port = free_port()
    config = tmp_path / "prometheus.yml"
    targets = dict(zip(JOBS + (STOPPED,), (stack.rasa_port, stack.actions_port, stack.console_port, free_port())))
    config.write_text(json.dumps({  # YAML is a superset of JSON
        "global": {"scrape_interval": "2s", "scrape_timeout": "2s", "evaluation_interval": "1s"},
        "rule_files": [str(DEPLOY / "prometheus-rules.yml")],
        "scrape_configs": [{"job_name": job, "static_configs": [{"targets": [f"127.0.0.1:{port_}"]}]}
                           for job, port_ in targets.items()],
    }))
    log = open(tmp_path / "prometheus.log", "w")
    process = subprocess.Popen([PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
                                f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def ready():
        assert process.poll() is None, (tmp_path / "prometheus.log").read_text()[-2000:]
        try:
            return requests.get(f"{url}/-/ready", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    wait_for(ready, timeout=60)
    yield url
    process.terminate()
    process.wait(timeout=20)
    log.close()


def query(url: str, promql: str) -> list:
    body = requests.get(f"{url}/api/v1/query", params={"query": promql}, timeout=10).json()
    assert body["status"] == "success", (promql, body)
    return body["data"]["result"]


def value(url: str, promql: str) -> float:
    result = query(url, promql)
    assert len(result) <= 1, (promql, result)
    return float(result[0]["value"][1]) if result else float("nan")


def total(url: str, selector: str) -> float:
    """The sum over the servers (every server exposes every metric, at 0 where it does not count it) of
    each series' latest value in the last minute (a scrape slowed down by a busy machine marks the
    series stale until the next one)."""
    return value(url, f"sum(last_over_time({selector}[1m]))")


def short_load(stack) -> int:
    """Real conversations: an activation with a 👍, a refusal, words not understood, a live chat
    taken and answered by an operator, and a burst of greetings at once (the Rasa server's two
    workers both answer some: each takes two at a time). Returns the messages sent to the channel."""
    sent = 0
    burst = [Chat(stack, f"metrics-burst-{n}") for n in range(8)]
    with ThreadPoolExecutor(len(burst)) as pool:
        assert all(list(pool.map(lambda chat: chat.say("bonjour"), burst)))
    sent += len(burst)

    def say(chat, text):
        nonlocal sent
        sent += 1
        return chat.say(text)

    user = Chat(stack, "metrics-activation", login="marie.dupont")
    say(user, "bonjour")
    say(user, f"activer la structure publique {MAIRIE}")
    say(user, "oui")
    say(user, "je confirme")
    assert "est désormais active" in user.text
    sent += 1
    user.click("👍")
    assert "Cette réponse vous a-t-elle aidé" not in user.text
    refused = Chat(stack, "metrics-refusal", login="marie.dupont")
    say(refused, f"activer la structure publique {MEDIATHEQUE}")
    lost = Chat(stack, "metrics-lost")
    for text in ("xqzt wvbk plmf", "kjhg ytre nbvc"):
        say(lost, text)
    waiting = Chat(stack, "metrics-livechat", login="marie.dupont")
    say(waiting, "je veux parler à un conseiller")
    operator = Operator(stack, "agent.durand")
    handoff = wait_for(lambda: [c for c in operator.chats() if c["conversation_id"] == waiting.sender])[0]
    assert operator.post(handoff["id"], "take").status_code == 200
    assert operator.post(handoff["id"], "messages", {"text": "Bonjour, je regarde."}).status_code == 200
    assert operator.post(handoff["id"], "close").status_code == 200
    return sent


def turns_counted(stack) -> float:
    """claudia_turns_total of the Rasa server now, read straight from its /metrics (every worker's)."""
    text = requests.get(f"http://127.0.0.1:{stack.rasa_port}/metrics", timeout=10).text
    return sum(sample.value for family in text_string_to_metric_families(text) if family.name == "claudia_turns"
               for sample in family.samples if sample.name == "claudia_turns_total")


def test_prometheus_scrapes_plausible_series_and_rules_evaluate(stack, prometheus):
    before = turns_counted(stack)
    sent = short_load(stack)
    wait_for(lambda: total(prometheus, 'claudia_turns_total{job="claudia-rasa"}') >= before + sent
             and total(prometheus, "claudia_livechat_first_answer_seconds_count") >= 1
             and value(prometheus, "count(max_over_time(up[1m]))") == len(JOBS) + 1, timeout=60)
    assert total(prometheus, 'claudia_turns_total{job="claudia-rasa"}') == before + sent  # each turn once
    if int(stack.env.get("CLAUDIA_RASA_WORKERS", "2")) > 1:  # the burst's turns were counted by two workers
        server = stack.named["rasa"][0].pid
        workers = {int(f.stem.split("_")[-1]) for f in (stack.workdir / "metrics").glob("rasa-*/counter_*.db")}
        assert len(workers - {server}) >= 2, workers

    scraped = {r["metric"]["job"]: r["value"][1] for r in query(prometheus, "max_over_time(up[1m])")}
    assert scraped == {**{job: "1" for job in JOBS}, STOPPED: "0"}, [
        (t["labels"]["job"], t["health"], t["lastError"], t["lastScrape"], t["scrapeUrl"])
        for t in requests.get(f"{prometheus}/api/v1/targets", timeout=10).json()["data"]["activeTargets"]]
    assert total(prometheus, 'claudia_turns_total{result="answered"}') >= sent
    for stage in ("channel", "nlu", "policies", "actions"):
        assert total(prometheus, f'claudia_turn_seconds_count{{stage="{stage}"}}') >= sent, stage
    p95 = value(prometheus, 'histogram_quantile(0.95, sum by (le) '
                            '(last_over_time(claudia_turn_seconds_bucket{stage="channel"}[1m])))')
    assert 0 < p95 <= 13, p95  # the buckets' range: a turn takes seconds at most
    mean = {stage: total(prometheus, f'claudia_turn_seconds_sum{{stage="{stage}"}}')
            / total(prometheus, f'claudia_turn_seconds_count{{stage="{stage}"}}') for stage in ("nlu", "channel")}
    assert 0 < mean["nlu"] < mean["channel"], mean
    assert total(prometheus, 'claudia_intents_total{intent="activer_structure"}') >= 2
    assert total(prometheus, "claudia_intents_total") == total(prometheus, "claudia_intent_confidence_count")
    assert total(prometheus, "claudia_fallbacks_total") >= 1
    assert total(prometheus, 'claudia_intent_confidence_bucket{le="1.0"}') == total(
        prometheus, "claudia_intent_confidence_count")
    assert total(prometheus, "claudia_procedures_started_total") >= 2
    assert total(prometheus, 'claudia_procedures_total{operation="activer",outcome="effectuee",reason="aucun"}') >= 1
    refusals = query(prometheus, 'last_over_time(claudia_procedures_total{outcome="refusee"}[1m]) > 0')
    assert refusals and all(r["metric"]["reason"] not in ("aucun", "autre") for r in refusals)
    assert total(prometheus, 'claudia_registry_writes_total{outcome="done"}') >= 1
    assert total(prometheus, 'claudia_action_seconds_count{action="validate_formulaire_statut"}') >= 2
    assert total(prometheus, 'claudia_evaluations_total{vote="up"}') >= 1
    assert total(prometheus, 'claudia_sirene_calls_total{result="found"}') >= 2
    assert total(prometheus, "claudia_sirene_seconds_count") >= 2
    assert total(prometheus, 'claudia_db_writer_wait_seconds_count{job="claudia-actions"}') >= 1
    assert total(prometheus, "claudia_livechat_wait_seconds_count") >= 1
    assert total(prometheus, "claudia_livechat_first_answer_seconds_count") >= 1
    assert total(prometheus, 'claudia_livechat_queue{status="waiting"}') >= 0
    assert total(prometheus, "claudia_livechat_oldest_wait_seconds") >= 0
    assert total(prometheus, "claudia_messages_left_open") >= 0
    assert total(prometheus, "claudia_review_index_lag_events") >= 0
    assert total(prometheus, "claudia_review_index_lag_seconds") >= 0

    # Bounded labels: no SIRET, conversation id or login in any label of any series.
    series = requests.get(f"{prometheus}/api/v1/series", params={"match[]": '{__name__=~"claudia_.+"}'},
                          timeout=10).json()["data"]
    labels = {v for s in series for k, v in s.items() if k not in ("__name__", "instance", "le")}
    assert not [v for v in labels if re.search(r"\d{9}|metrics-|marie|durand", v)], labels

    # Every rule of deploy/ loaded and evaluated without error; every dashboard query is valid PromQL.
    wait_for(lambda: all(r.get("lastEvaluation", "").startswith("20") for g in rules(prometheus) for r in g["rules"]),
             timeout=15)
    loaded = {r["name"]: r for g in rules(prometheus) for r in g["rules"]}
    assert {"ClaudiaServerDown", "ClaudiaSlowTurns", "ClaudiaFallbacksRising", "ClaudiaLiveChatWaitingTooLong",
            "ClaudiaSireneFailing", "ClaudiaReviewIndexLagging", "ClaudiaDiskFilling"} <= set(loaded)
    assert {name: r["health"] for name, r in loaded.items() if r["health"] != "ok"} == {}
    down = {r["metric"].get("job") for r in query(prometheus, loaded["ClaudiaServerDown"]["query"])}
    assert STOPPED in down, down
    assert query(prometheus, loaded["ClaudiaSireneFailing"]["query"]) == []  # the INSEE stand-in never fails
    dashboard = json.loads((DEPLOY / "grafana-dashboard.json").read_text(encoding="utf-8"))
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            query(prometheus, target["expr"])


def rules(url: str) -> list:
    return requests.get(f"{url}/api/v1/rules", timeout=10).json()["data"]["groups"]


def test_promtool_accepts_the_shipped_rules_and_configuration(tmp_path):
    """The rules' syntax, the example configuration (copied as docs/operations.md says, with the
    metrics token file beside it, which promtool requires), and each alert on synthetic series
    (deploy/prometheus-rules.test.yml: fires when it should, not before its `for`)."""
    for name in ("prometheus.yml", "prometheus-rules.yml"):
        shutil.copy(DEPLOY / name, tmp_path / name)
    (tmp_path / "claudia-metrics-token").write_text("a-token-for-the-check\n")
    for command in (["check", "rules", str(DEPLOY / "prometheus-rules.yml")],
                    ["check", "config", str(tmp_path / "prometheus.yml")],
                    ["test", "rules", str(DEPLOY / "prometheus-rules.test.yml")]):
        result = subprocess.run([PROMTOOL, *command], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "SUCCESS" in result.stdout
