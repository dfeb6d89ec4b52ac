"""The intent classifier as Rasa runs it: trained through the graph component API,
stored, loaded back in a fresh model storage, and asked about messages it never saw."""
from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.intent_classifier import FILE_NAME, LinearIntentClassifier, shape, request_over_courtesy

EXAMPLES = {
    "activer_structure": ["je veux activer ma structure", "réactiver la mairie", "activer le CCAS svp",
                          "remettre en service notre syndicat", "rouvrir la structure dans chorus"],
    "inactiver_structure": ["je veux inactiver ma structure", "désactiver la mairie", "fermer le CCAS svp",
                            "supprimer notre syndicat dissous", "retirer la structure de chorus"],
    "saluer": ["bonjour", "salut", "bonsoir madame", "hello", "coucou"],
}


def _message(text: str, intent: str = None) -> Message:
    return Message(data={"text": text, **({"intent": intent} if intent else {})})


@pytest.fixture
def storage(tmp_path: Path) -> LocalModelStorage:
    (tmp_path / "storage").mkdir()
    return LocalModelStorage(tmp_path / "storage")


def _context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test")


def _trained(storage: LocalModelStorage, resource: Resource) -> LinearIntentClassifier:
    classifier = LinearIntentClassifier.create({}, storage, resource, _context())
    data = TrainingData([_message(text, intent) for intent, texts in EXAMPLES.items() for text in texts])
    classifier.train(data)
    return classifier


def _intent(classifier: LinearIntentClassifier, text: str) -> dict:
    message = _message(text)
    classifier.process([message])
    return message.get("intent")


def test_typed_variants_are_understood_after_a_reload(storage):
    resource = Resource("intent_classifier")
    _trained(storage, resource)
    loaded = LinearIntentClassifier.load({}, storage, resource, _context())
    # no accents, capitals, a typo: the character n-grams still match
    assert _intent(loaded, "DESACTIVER la mairie")["name"] == "inactiver_structure"
    assert _intent(loaded, "reactivr le ccas")["name"] == "activer_structure"
    ranking = _message("bonjour à vous")
    loaded.process([ranking])
    confidences = [entry["confidence"] for entry in ranking.get("intent_ranking")]
    assert ranking.get("intent")["name"] == "saluer"
    assert confidences == sorted(confidences, reverse=True) and abs(sum(confidences) - 1) < 1e-6


def test_digits_are_read_as_their_shape_not_their_value():
    assert shape("siret 219 300 019 00011") == "siret 000 000 000 00000"
    assert shape("inactiver") == "inactiver"


def test_a_model_file_holding_other_types_is_refused_not_executed(storage, tmp_path):
    resource = Resource("intent_classifier")
    _trained(storage, resource)
    with storage.read_from(resource) as directory:
        path = directory / FILE_NAME
        original = path.read_bytes()
    # A skops file is a zip holding a schema.json: name a function in it, as an attacker would.
    tampered, changed = tmp_path / "tampered.skops", []
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(tampered, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "schema.json":
                edited = content.replace(b'"sklearn.linear_model._logistic"', b'"os"', 1).replace(
                    b'"LogisticRegression"', b'"system"', 1)
                changed.append(edited != content)
                content = edited
            target.writestr(item, content)
    with storage.write_to(resource) as directory:
        (directory / FILE_NAME).write_bytes(tampered.read_bytes())
    loaded = LinearIntentClassifier.load({}, storage, resource, _context())
    assert loaded.pipeline is None  # refused: it classifies nothing, and ran nothing
    assert changed == [True] and original != tampered.read_bytes()


def test_untrained_classifier_leaves_messages_alone(storage):
    classifier = LinearIntentClassifier.create({}, storage, Resource("empty"), _context())
    message = _message("bonjour")
    classifier.process([message])
    assert message.get("intent") is None


def _ranking(*pairs):
    return [{"name": name, "confidence": confidence} for name, confidence in pairs]


def test_a_request_said_within_a_greeting_comes_first():
    ranking = _ranking(("saluer", 0.7), ("demander_agent", 0.1), ("activer_structure", 0.08), ("nier", 0.02))
    assert request_over_courtesy("Bonjour madame, j'ai besoin d'aide pour activer notre syndicat", ranking) == \
        _ranking(("activer_structure", 0.7), ("demander_agent", 0.1), ("saluer", 0.08), ("nier", 0.02))
    thanks = _ranking(("remercier", 0.6), ("inactiver_structure", 0.3))
    assert request_over_courtesy("merci, et pour la désactiver ?", thanks)[0]["name"] == "inactiver_structure"


def test_courtesies_without_a_request_are_left_alone():
    ranking = _ranking(("remercier", 0.9), ("activer_structure", 0.05))
    for text in ("Merci pour votre réactivité", "merci bonne journée",
                 "bonjour, on a cessé notre activité", "bonjour, activer ou désactiver ?"):
        assert request_over_courtesy(text, ranking) == ranking
    asking = _ranking(("activer_structure", 0.5), ("saluer", 0.4))
    assert request_over_courtesy("bonjour je veux activer", asking) == asking  # already the request


def _ranked(*names):
    return [{"name": name, "confidence": round(0.5 / (i + 1), 3)} for i, name in enumerate(names)]


@pytest.mark.parametrize("text", [
    "la mairie est-elle active dans chorus pro ?",
    "je voudrais juste savoir où en est ma structure, sans rien modifier",
    "le syndicat 259 300 457 00019 et l'office sont-ils bien actifs ? simple vérification",
])
def test_a_status_asked_in_words_comes_before_the_request(text):
    from components.intent_classifier import status_over_request
    ranked = status_over_request(text, _ranked("activer_structure", "hors_perimetre", "demander_statut"))
    assert [r["name"] for r in ranked] == ["demander_statut", "hors_perimetre", "activer_structure"]
    assert ranked[0]["confidence"] == 0.5


@pytest.mark.parametrize("text", ["je veux activer la mairie", "bonjour je voudrais réactiver la mairie",
                                  "désactiver l'école, elle est fermée"])
def test_a_request_stays_a_request(text):
    from components.intent_classifier import status_over_request
    ranking = _ranked("activer_structure", "demander_statut")
    assert status_over_request(text, ranking) == ranking
