"""Training data poisoning through the review: each attack performed, against Rasa's own reader."""
import os
from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from web.review_training import TrainingData, clean_text

ROOT = Path(__file__).resolve().parents[2]
INTENTS = ["affirmer", "nier", "informer_type_structure", "activer_structure", "saluer"]


@pytest.fixture
def training(tmp_path):
    return TrainingData(tmp_path / "nlu" / "corrections.yml", ROOT / "data" / "nlu")


def read(training):
    return RasaYAMLReader().read(str(training.corrections_file))


def test_control_characters_are_removed_and_the_file_stays_readable(training):
    outcome = training.add([("ouais\x01 c'est\x00 bon\x1b[31m", "affirmer"), ("\x07\x08", "nier"),
                            ("c\u202eest bon pour moi", "affirmer"), ("ok\ud800 va", "affirmer")], INTENTS)
    assert len(outcome.added) == 3 and len(outcome.refused) == 1  # nothing left of the second
    examples = sorted(m.get("text") for m in read(training).intent_examples)
    assert examples == ["c est bon pour moi", "ok va", "ouais c'est bon (31m"]
    assert all(ord(c) >= 32 for text in examples for c in text)
    # and a later correction still works (it used to fail with 500 on a broken file)
    assert training.add([("ouais tout pareil", "affirmer")], INTENTS).added


def test_entity_markup_adds_no_entity_nor_synonym(training):
    attack = '[publique]{"entity": "type_structure", "value": "privee"} svp'
    training.add([(attack, "informer_type_structure"), ("[mairie](type_structure) oui", "affirmer"),
                  ('[x][{"entity": "a"}, {"entity": "b"}]', "nier")], INTENTS)
    data = read(training)
    assert data.entity_synonyms == {} and data.entities == set()
    assert all(not m.get("entities") for m in data.intent_examples)
    assert '(publique){"entity": "type_structure", "value": "privee"} svp' in {m.get("text") for m in data.intent_examples}


def test_yaml_and_rasa_syntax_in_messages_are_only_text(training):
    hostile = ["- intent: nier", "examples: |", "version: \"2.0\"", "key: value # comment", "&anchor *alias !!python/object",
               "'quoted' \"double\"", "%YAML 1.1", "--- ...", "{a: b}", "| >", "\\n\\x00"]
    outcome = training.add([(text, "affirmer") for text in hostile], INTENTS)
    assert len(outcome.added) == len(hostile)
    assert sorted(m.get("text") for m in read(training).intent_examples) == sorted(clean_text(t) for t in hostile)


def test_commands_empty_unknown_intents_and_conflicts_are_refused(training):
    outcome = training.add([("/affirmer", "affirmer"), ("   ", "affirmer"), ("bonjour toi", "intention_inventee"),
                            ("oui c'est ça", "nier")], INTENTS)
    assert not outcome.added and len(outcome.refused) == 4
    assert "conversation.yml" in outcome.summary()  # « oui c'est ça » is under affirmer there: say where
    assert not training.corrections_file.exists()


def test_duplicates_are_not_added_twice_and_a_new_intent_moves_the_example(training):
    assert training.add([("ouais ça marche", "affirmer")], INTENTS).added
    again = training.add([("ouais  ça\tmarche", "affirmer")], INTENTS)
    assert not again.added and again.already and "déjà présent" in again.summary()
    moved = training.add([("ouais ça marche", "nier")], INTENTS)
    assert moved.moved == [("ouais ça marche", "affirmer", "nier")]
    assert [(m.get("text"), m.get("intent")) for m in read(training).intent_examples] == [("ouais ça marche", "nier")]


def test_a_failed_write_leaves_the_file_as_it_was(training, monkeypatch):
    training.add([("premier exemple", "affirmer")], INTENTS)
    before = training.corrections_file.read_bytes()

    def broken(self, path):
        raise ValueError("disque plein")

    monkeypatch.setattr(RasaYAMLReader, "read", broken)
    with pytest.raises(ValueError):
        training.add([("second exemple", "affirmer")], INTENTS)
    monkeypatch.undo()
    assert training.corrections_file.read_bytes() == before
    assert [p for p in os.listdir(training.corrections_file.parent) if p.startswith(".")] == []


def test_hand_written_synonyms_survive_a_correction(training):
    training.corrections_file.parent.mkdir(parents=True)
    training.corrections_file.write_text('version: "3.1"\nnlu:\n- synonym: public\n  examples: |\n    - publique\n',
                                         encoding="utf-8")
    training.add([("c'est bon", "affirmer")], INTENTS)
    assert read(training).entity_synonyms == {"publique": "public"}
