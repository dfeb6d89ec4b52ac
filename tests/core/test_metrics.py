"""The metrics' rules: bounded labels (never a SIRET, a conversation id or a login), who may
read /metrics, and the counts of real registry, evaluation, SIRENE and live-chat operations
on a real SQLite database (read back through prometheus-client's own exposition)."""
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from claudia import metrics, services
from claudia.config import InsecureConfiguration, check_production, load_settings
from claudia.metrics_access import Exposition, allowed
from claudia.registry import ACTIVATE, Attempt, Refusal
from claudia.sirene import MeteredSirene, SireneUnavailable
from tests.conftest import MAIRIE, MEDIATHEQUE

LOGIN, CONVERSATION = "marie.dupont", "conversation-suivie-42"


def samples(name: str, suffix: str = "_total") -> dict:
    """{labels: value} of one metric family as a scrape reads it (this process's registry)."""
    body, _ = Exposition().render()
    return {tuple(sorted(s.labels.items())): s.value
            for family in text_string_to_metric_families(body.decode()) if family.name == name
            for s in family.samples if s.name == name + suffix}


def test_a_label_value_is_a_code_or_autre():
    assert metrics.code("reponse_compliquee", "t1") == "reponse_compliquee"
    assert metrics.code(None, "t1") == "aucun"
    for personal in (MAIRIE, "219 300 019 00011", "marie.dupont", CONVERSATION, "Marie", "x" * 41, "é"):
        assert metrics.code(personal, "t1") == "autre", personal


def test_a_label_keeps_a_bounded_number_of_values():
    seen = {metrics.code(f"code_{n}", "t2") for n in range(200)}
    assert len(seen) == metrics.MAX_VALUES + 1 and "autre" in seen


@pytest.mark.parametrize("address, headers, token, expected", [
    ("127.0.0.1", {}, None, True),
    ("::1", {}, None, True),
    ("127.0.0.1", {"X-Forwarded-For": "203.0.113.9"}, None, False),  # came through a local proxy
    ("127.0.0.1", {"Forwarded": "for=203.0.113.9"}, None, False),
    ("127.0.0.1", {"X-Real-IP": "203.0.113.9"}, None, False),
    ("203.0.113.9", {}, None, False),
    ("10.0.0.5", {}, None, False),
    ("", {}, None, False),
    ("127.0.0.1", {}, "s3cret-token", False),  # a token set is required from everywhere
    ("203.0.113.9", {"Authorization": "Bearer s3cret-token"}, "s3cret-token", True),
    ("203.0.113.9", {"Authorization": "Bearer s3cret-tokem"}, "s3cret-token", False),
    ("203.0.113.9", {"Authorization": "Basic s3cret-token"}, "s3cret-token", False),
])
def test_who_may_read_the_metrics(address, headers, token, expected):
    assert allowed(address, headers, token) is expected


def test_journaled_outcomes_are_counted_without_personal_data(registry):
    done_before = samples("claudia_registry_writes").get((("outcome", "done"),), 0)
    registry.apply(Attempt(LOGIN, CONVERSATION, ACTIVATE, MAIRIE), services.sirene().lookup(MAIRIE))
    with pytest.raises(Refusal):
        registry.apply(Attempt(LOGIN, CONVERSATION, ACTIVATE, MEDIATHEQUE), services.sirene().lookup(MEDIATHEQUE))
    services.feedback().record(CONVERSATION, LOGIN, "negatif", {"operation": ACTIVATE, "siret": MAIRIE},
                               reason="reponse_compliquee", comment="trop long")
    writes = samples("claudia_registry_writes")
    assert writes[(("outcome", "done"),)] == done_before + 1
    assert writes[(("outcome", "refused"),)] >= 1
    procedures = samples("claudia_procedures")
    assert procedures[(("operation", "activer"), ("outcome", "effectuee"), ("reason", "aucun"))] >= 1
    assert [labels for labels in procedures if ("outcome", "refusee") in labels]
    assert samples("claudia_evaluations")[(("reason", "reponse_compliquee"), ("vote", "down"))] >= 1
    assert samples("claudia_db_writer_wait_seconds", "_count")[(("database", "claudia"),)] >= 4  # each write's turn

    body = Exposition().render()[0].decode()
    for personal in (MAIRIE, MEDIATHEQUE, LOGIN, CONVERSATION, "trop long"):
        assert personal not in body


def test_sirene_look_ups_are_counted_by_result():
    class Failing:
        def lookup(self, siret):
            raise SireneUnavailable("SIRENE injoignable")

    before = samples("claudia_sirene_calls").get((("result", "error"),), 0)
    with pytest.raises(SireneUnavailable):
        MeteredSirene(Failing()).lookup(MAIRIE)
    assert samples("claudia_sirene_calls")[(("result", "error"),)] == before + 1


def test_the_process_registry_holds_only_claudia_s_and_the_client_s_own_metrics():
    names = {family.name for family in REGISTRY.collect()}
    assert {"claudia_turns", "claudia_turn_seconds", "claudia_livechat_wait_seconds"} <= names


def test_production_refuses_a_weak_metrics_token(monkeypatch):
    monkeypatch.setenv("CLAUDIA_ENV", "production")
    monkeypatch.setenv("CLAUDIA_JWT_SECRET", "a-production-secret-of-more-than-32-characters")
    monkeypatch.setenv("CLAUDIA_DB_URL", "postgresql://x")
    monkeypatch.setenv("SIRENE_SOURCE", "demo/sirene.csv")
    monkeypatch.setenv("CLAUDIA_METRICS_TOKEN", "prometheus")
    with pytest.raises(InsecureConfiguration, match="CLAUDIA_METRICS_TOKEN"):
        check_production(load_settings())
    monkeypatch.setenv("CLAUDIA_METRICS_TOKEN", "Zq8vN2kLp4Xr7Tw1Hs9Jd3Fm6Bc0Yg5E")
    check_production(load_settings())
