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


def test_claim_turn_reads_the_last_question_and_the_count(env):
    from claudia import services
    conversations = services.conversations()
    assert conversations.claim_turn("c9", "marie.dupont")[:3] == (None, 0, [])
    conversations.remember_turn("c9", ["/affirmer"], "hash-1")
    conversations.remember_turn("c9", [], "hash-2")
    assert conversations.claim_turn("c9", "marie.dupont")[:2] == ("hash-2", 2)
    assert conversations.claim_turn("c9", "paul.martin") is None
    assert conversations.offered_payloads("c9") == []


def test_a_silent_turn_is_counted_but_keeps_the_buttons(env):
    from claudia import services
    conversations = services.conversations()
    conversations.claim("c10", None)
    conversations.remember_turn("c10", ["/affirmer"], "question")
    conversations.remember_turn("c10", None, None)  # a live chat: the assistant is silent
    assert conversations.claim_turn("c10", None)[:3] == ("question", 2, ["/affirmer"])
    assert conversations.offered_payloads("c10") == ["/affirmer"]


def test_titles_of_the_buttons_offered_are_kept_to_read_them_typed(env):
    from claudia import services
    conversations = services.conversations()
    conversations.claim("c11", "marie.dupont")
    conversations.remember_turn("c11", [["/affirmer", "Envoyer"], ["/nier", "Annuler"]], "question")
    turn = conversations.claim_turn("c11", "marie.dupont")
    assert turn.offered == ["/affirmer", "/nier"]
    assert turn.titles == {"Envoyer": "/affirmer", "Annuler": "/nier"}
    assert conversations.offered_payloads("c11") == ["/affirmer", "/nier"]
