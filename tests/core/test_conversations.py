from claudia import services


def test_a_conversation_stays_with_its_first_identity(env):
    conversations = services.conversations()
    assert conversations.claim("c1", "marie.dupont")
    assert conversations.claim("c1", "marie.dupont")
    assert not conversations.claim("c1", "paul.martin")
    assert not conversations.claim("c1", None)
    assert conversations.owner("c1") == "marie.dupont"


def test_an_anonymous_conversation_cannot_be_taken_by_a_user(env):
    conversations = services.conversations()
    assert conversations.claim("c2", None)
    assert conversations.claim("c2", None)
    assert not conversations.claim("c2", "marie.dupont")


def test_offered_payloads_are_remembered(env):
    conversations = services.conversations()
    conversations.claim("c3", "marie.dupont")
    assert conversations.offered_payloads("c3") == []
    conversations.remember_payloads("c3", ["/affirmer", "/nier"])
    assert conversations.offered_payloads("c3") == ["/affirmer", "/nier"]
