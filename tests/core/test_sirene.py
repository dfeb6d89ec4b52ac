"""SIRENE sources: the CSV reader on real files, the API client against a loopback server."""
import time

import pytest

from claudia.sirene import ApiSirene, CachedSirene, CsvSirene, SireneUnavailable
from tests.conftest import DEMO_SIRENE, ECOLE, MAIRIE, REGIE_EAUX
from tests.fake_insee import FakeInsee


def test_csv_reads_the_demo_extract():
    sirene = CsvSirene(DEMO_SIRENE)
    mairie = sirene.lookup(MAIRIE)
    assert mairie.active is True
    assert mairie.denomination == "MAIRIE DE VALMONT"
    assert mairie.address == "1 Place DE LA MAIRIE, 93460 VALMONT"
    assert sirene.lookup(ECOLE).active is False
    assert sirene.lookup(REGIE_EAUX) is None


def test_csv_tolerates_extra_and_missing_columns(tmp_path):
    extract = tmp_path / "stock.csv"
    extract.write_text(
        "siren,nic,etatAdministratifEtablissement,colonneInconnue,libelleCommuneEtablissement\n"
        "219300019,00011,F,x,VALMONT\n",
        encoding="utf-8",
    )
    found = CsvSirene(extract).lookup(MAIRIE)  # siret rebuilt from siren + nic
    assert found.active is False and found.address == "VALMONT" and found.denomination == ""


@pytest.fixture
def insee():
    server = FakeInsee(api_key="k").start()
    server.add(MAIRIE, "A", "MAIRIE DE VALMONT", voie="DE LA MAIRIE", type_voie="PL")
    server.add(ECOLE, "F", "ECOLE JULES FERRY")
    yield server
    server.stop()


def client(insee, **kwargs):
    kwargs.setdefault("timeout", 2.0)
    return ApiSirene(insee.url, "k", **kwargs)


def test_api_200_reads_the_current_period(insee):
    found = client(insee).lookup(MAIRIE)
    assert found.active is True  # the closed period has a dateFin: it is history
    assert found.denomination == "MAIRIE DE VALMONT"
    assert "Place DE LA MAIRIE" in found.address
    assert client(insee).lookup(ECOLE).active is False
    assert insee.requests[0] == {"path": f"/siret/{MAIRIE}", "key": "k"}


def test_api_404_means_unknown(insee):
    assert client(insee).lookup(REGIE_EAUX) is None


def test_api_429_backs_off_then_succeeds(insee):
    waits = []
    insee.fail_next(429, retry_after="1")
    found = client(insee, sleep=waits.append).lookup(MAIRIE)
    assert found.active is True
    assert waits == [1.0]
    assert len(insee.requests) == 2


def test_api_429_beyond_the_wait_budget_is_unavailable(insee):
    waits = []
    for _ in range(3):
        insee.fail_next(429, retry_after="3")
    with pytest.raises(SireneUnavailable):
        client(insee, sleep=waits.append, max_retry_wait=4).lookup(MAIRIE)
    assert waits == [3.0]


def test_api_500_is_unavailable(insee):
    insee.fail_next(500)
    with pytest.raises(SireneUnavailable):
        client(insee).lookup(MAIRIE)


def test_api_malformed_json_is_unavailable(insee):
    insee.fail_next(200, body="{not json")
    with pytest.raises(SireneUnavailable):
        client(insee).lookup(MAIRIE)


def test_api_timeout_is_bounded(insee):
    insee.fail_next(200, delay=1.5)
    started = time.monotonic()
    with pytest.raises(SireneUnavailable):
        client(insee, timeout=0.3).lookup(MAIRIE)
    assert time.monotonic() - started < 1.4


def test_api_unreachable_is_unavailable():
    server = FakeInsee().start()
    url = server.url
    server.stop()
    with pytest.raises(SireneUnavailable):
        ApiSirene(url, "k", timeout=0.5).lookup(MAIRIE)


def test_wrong_key_is_unavailable(insee):
    with pytest.raises(SireneUnavailable):
        ApiSirene(insee.url, "wrong", timeout=1).lookup(MAIRIE)


def test_cache_reuses_answers_but_not_failures(insee):
    now = [0.0]
    cached = CachedSirene(client(insee), ttl=60, clock=lambda: now[0])
    assert cached.lookup(MAIRIE).active
    assert cached.lookup(MAIRIE).active
    assert cached.lookup(REGIE_EAUX) is None
    assert cached.lookup(REGIE_EAUX) is None
    assert len(insee.requests) == 2
    now[0] = 61.0
    insee.fail_next(500)
    with pytest.raises(SireneUnavailable):
        cached.lookup(MAIRIE)
    assert cached.lookup(MAIRIE).active  # the failure was not kept
    assert len(insee.requests) == 4
