"""Testers (claudia/testers.py) on real SQLite databases: invitations, the routed registry (a test
identity never reaches the real registry), the test registry's seeding, the « test » label."""
import time

import jwt
import pytest

from claudia import services, testers
from claudia.conversations import Conversations
from claudia.db import Database
from claudia.registry import ACTIVATE, Attempt
from claudia.review_index import ReviewIndexer
from claudia.review_queries import Filters, ReviewQueries
from claudia.review_tags import ReviewTags
from claudia.sirene import Etablissement
from tests.conftest import MAIRIE, SECRET
from tests.core.test_review_index import Tracker


def test_an_invitation_names_a_test_identity_and_expires():
    token, invitation = testers.issue_invitation(SECRET, "Camille <b>Essai</b>\n", "relecteur.leroy", 2)
    read = testers.read_invitation(token, SECRET)
    assert read == invitation and read.login.startswith("testeur.camille-b-essai-b-") and read.name == "Camille <b>Essai</b>"
    assert 7100 < read.expires - time.time() <= 7200
    with pytest.raises(testers.InvitationRefused, match="n'est pas valide"):
        testers.read_invitation(token, "un autre secret")
    with pytest.raises(testers.InvitationRefused, match="n'est pas valide"):  # a portal token is no invitation
        testers.read_invitation(jwt.encode({"sub": "testeur.x", "exp": time.time() + 60}, SECRET), SECRET)
    expired = jwt.encode({"sub": "testeur.x", "exp": int(time.time()) - 1, "aud": testers.AUDIENCE},
                         testers._key(SECRET), algorithm="HS256")
    with pytest.raises(testers.InvitationRefused, match="a expiré"):
        testers.read_invitation(expired, SECRET)
    with pytest.raises(ValueError):
        testers.issue_invitation(SECRET, "x", "y", testers.LONGEST_VALIDITY_HOURS + 1)


def test_a_test_identity_reads_and_writes_the_test_registry_only(registry, env):
    token, invitation = testers.issue_invitation(SECRET, "Camille", "relecteur.leroy", 1)
    test_registry = services.test_registry()
    testers.ensure_tester(test_registry, invitation.login, invitation.name)
    routed = services.registry()
    assert [s["siret"] for s in routed.managed_structures(invitation.login)] == \
        [s["siret"] for s in routed.managed_structures("marie.dupont")]
    assert routed.real.managed_structures(invitation.login) == []  # unknown to the real registry
    open_ = Etablissement(siret=MAIRIE, denomination="MAIRIE DE VALMONT", active=True, address="VALMONT")
    attempt = Attempt(invitation.login, "conv-test", ACTIVATE, MAIRIE)
    assert routed.apply(attempt, open_)["status"] == "active"
    assert test_registry.structure(MAIRIE)["status"] == "active"
    assert routed.structure(MAIRIE)["status"] == "inactive" and routed.journal("conv-test") == []
    assert [e["outcome"] for e in test_registry.journal("conv-test")] == ["effectuee"]
    # a real user is served from the real registry, where the mairie is still inactive
    assert routed.check("marie.dupont", ACTIVATE, MAIRIE, open_)["status"] == "inactive"
    # the test registry goes back to the demo data
    testers.reset_test_registry(test_registry)
    assert test_registry.structure(MAIRIE)["status"] == "inactive"


def test_the_test_registry_is_never_the_real_database(env, monkeypatch):
    assert testers.test_db_url(f"sqlite:///{env / 'claudia.db'}") == f"sqlite:///{env / 'registre-test.db'}"
    monkeypatch.setenv("CLAUDIA_TEST_DB_URL", f"sqlite:///{env / 'x' / '..' / 'claudia.db'}")
    with pytest.raises(ValueError, match="base réelle"):
        testers.test_db_url(f"sqlite:///{env / 'claudia.db'}")
    with pytest.raises(ValueError, match="réservés aux testeurs"):
        services.registry().replace_all({"users": [{"login": "testeur.eve"}]})
    with pytest.raises(ValueError):
        testers.ensure_tester(services.registry().real, "marie.dupont", "Marie")


def test_a_tester_s_conversation_is_labelled_test_when_indexed(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'claudia.db'}")
    tracker = Tracker(tmp_path / "tracker.db")
    Conversations(database).claim("essai-1", "testeur.camille-abc123")
    Conversations(database).claim("vraie-1", "marie.dupont")
    tags = ReviewTags(database)
    tags.add("vraie-1", "à revoir", "relecteur")  # a label put before the conversation was indexed
    tracker.say("essai-1", "activer ma mairie", "activer_structure")
    tracker.say("vraie-1", "activer ma mairie", "activer_structure")
    ReviewIndexer(database, f"sqlite:///{tmp_path / 'tracker.db'}").catch_up()
    queries = ReviewQueries(database, 0.7)
    assert [c["conversation_id"] for c in queries.search(Filters(tag="test"))["conversations"]] == ["essai-1"]
    assert [c["conversation_id"] for c in queries.search(Filters(tag="à revoir"))["conversations"]] == ["vraie-1"]
    assert [t["tag"] for t in tags.of("essai-1")] == ["test"]


def test_a_tester_s_vote_is_kept_out_of_the_real_evaluations(env):
    from claudia.feedback import FeedbackStore

    services.feedback().record("conv-testeur", "testeur.camille-1", "positif", {"operation": ACTIVATE})
    services.feedback().record("conv-reel", "marie.dupont", "negatif", {"operation": ACTIVATE})
    assert [f["conversation_id"] for f in services.feedback().all()] == ["conv-reel"]
    test_store = FeedbackStore(services.get_database(testers.test_db_url(services.settings().db_url)))
    assert [f["conversation_id"] for f in test_store.all()] == ["conv-testeur"]
