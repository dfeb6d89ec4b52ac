"""The models' registry (one training at a time, the activation pointer, the workers) and the
rules that judge a candidate, on a real SQLite database and real files."""
from pathlib import Path

import pytest

from claudia import model_judging as judging
from claudia.db import Database
from claudia.model_registry import CANCELLED, INTERRUPTED, TRAINING, ModelRegistry

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def registry(tmp_path):
    return ModelRegistry(Database(f"sqlite:///{tmp_path / 'claudia.db'}"))


def ready(registry, name, path="/m.tar.gz", sha="a" * 64):
    return registry.register(name, path, sha, "relecteur.leroy")


def test_one_training_at_a_time_and_cancel_only_while_training(registry):
    first = registry.start_training("c1", "relecteur.leroy", "/log", "hote", 123)
    assert first is not None
    assert registry.start_training("c2", "relecteur.leroy", "/log", "hote", 123) is None
    assert registry.training()["id"] == first
    assert registry.request_cancel(first) and registry.get(first)["cancel_requested"]
    registry.finish(first, CANCELLED)
    assert registry.training() is None and not registry.request_cancel(first)
    assert registry.start_training("c2", "relecteur.leroy", "/log", "hote", 123) is not None


def test_a_training_whose_process_is_gone_ends_interrupted(registry):
    model_id = registry.start_training("c1", "r", "/log", "hote", 999999)
    assert registry.interrupt_stale("autre-hote", lambda pid: False) == 0  # another host's: not judged here
    assert registry.interrupt_stale("hote", lambda pid: True) == 0
    assert registry.interrupt_stale("hote", lambda pid: False) == 1
    assert registry.get(model_id)["status"] == INTERRUPTED


def test_activation_is_a_pointer_with_its_history_and_previous(registry):
    assert registry.active() is None
    one, two = ready(registry, "m1"), ready(registry, "m2", sha="b" * 64)
    assert registry.activate(one, "système", "premier") is None
    assert registry.activate(two, "relecteur.leroy", "mieux") == one
    assert registry.active()["id"] == two
    assert registry.activate(one, "relecteur.leroy", "retour") == two  # rolling back is an activation too
    history = registry.activations()
    assert [a["model_id"] for a in history] == [one, two, one]
    assert history[0]["previous_id"] == two and history[0]["reason"] == "retour"


def test_only_a_ready_model_with_a_file_can_be_activated(registry):
    training = registry.start_training("c1", "r", "/log", "hote", 1)
    with pytest.raises(LookupError):
        registry.activate(training, "r", "")
    with pytest.raises(LookupError):
        registry.activate(12345, "r", "")
    assert registry.get(training)["status"] == TRAINING


def test_workers_report_what_they_serve_and_old_reports_fade(registry):
    one = ready(registry, "m1")
    registry.worker_report("hote:5005:1", one, "a" * 64, loaded=True)
    registry.worker_report("hote:5005:2", None, None, error="boom")
    seen = {w["worker"]: w for w in registry.workers()}
    assert seen["hote:5005:1"]["model_id"] == one and seen["hote:5005:1"]["loaded_at"]
    assert seen["hote:5005:2"]["error"] == "boom"
    assert registry.workers(seen_within=-1) == []


def test_heldout_summary_and_rows_per_intent():
    new = judging.heldout_summary(["a", "a", "b", "c"], ["a", "b", "b", "c"])
    old = judging.heldout_summary(["a", "a", "b", "c"], ["a", "a", "b", "b"])
    assert new["accuracy"] == 0.75 and new["per_intent"] == {"a": [1, 2], "b": [1, 1], "c": [1, 1]}
    rows = {r["intent"]: r for r in judging.per_intent_rows(new, old)}
    assert rows["a"]["delta"] == -0.5 and rows["c"]["delta"] == 1.0


def test_blockers_a_failed_story_or_lost_accuracy():
    old = judging.heldout_summary(["a", "b"], ["a", "b"])
    good = {"heldout": old, "stories": {"passed": True, "correct": 3, "total": 3, "failed": []}}
    assert judging.blockers(good, {"heldout_active": old}) == []
    broken = dict(good, stories={"passed": False, "correct": 2, "total": 3, "failed": ["saluer puis partir"]})
    assert "« saluer puis partir »" in judging.blockers(broken, {"heldout_active": old})[0]
    worse = dict(good, heldout=judging.heldout_summary(["a", "b"], ["a", "a"]))
    assert "1.000 → 0.500" in judging.blockers(worse, {"heldout_active": old})[0]
    assert len(judging.blockers({}, {})) == 2  # nothing measured: nothing to vouch for it


def test_changed_predictions_say_whether_a_reviewer_corrected_them():
    messages = [{"text": "zorglub", "status": "corrige", "final_intent": "demander_prerequis"},
                {"text": "bonjour", "status": None, "final_intent": None},
                {"text": "ok", "status": "confirme", "final_intent": "affirmer"}]
    changes = judging.changed_predictions(messages, [("hors_perimetre", 0.4), ("saluer", 1.0), ("affirmer", 0.9)],
                                          [("demander_prerequis", 0.99), ("saluer", 1.0), ("nier", 0.5)])
    assert [c["text"] for c in changes] == ["zorglub", "ok"]
    assert changes[0]["corrected"] and changes[0]["now_right"] is True
    assert not changes[1]["corrected"] and changes[1]["now_right"] is False


def test_the_snapshot_holds_the_corrections_and_its_hash_is_the_data_version(tmp_path):
    corrections = tmp_path / "corrections.yml"
    corrections.write_text('version: "3.1"\nnlu:\n- intent: saluer\n  examples: |\n    - coucou toi\n',
                           encoding="utf-8")
    args = (ROOT / "data", ROOT / "config.yml", ROOT / "domain.yml", ROOT / "tests" / "stories")
    first = judging.snapshot(tmp_path / "s1", *args, corrections)
    assert first == judging.snapshot(tmp_path / "s2", *args, corrections)
    assert (tmp_path / "s1" / "data" / "nlu" / "corrections.yml").read_text(encoding="utf-8") == \
        corrections.read_text(encoding="utf-8")
    assert list((tmp_path / "s1" / "stories").glob("test_*.yml"))
    corrections.write_text(corrections.read_text(encoding="utf-8") + "    - coucou vous\n", encoding="utf-8")
    assert judging.snapshot(tmp_path / "s3", *args, corrections) != first


def test_failed_story_names_lose_the_file_rasa_appends():
    stories = [{"story": "une salutation, puis une question hors périmètre (/tmp/x/stories/test_libre.yml)"},
               {"story": "sans fichier"}, "pas une histoire"]
    assert judging.failed_story_names(stories) == ["une salutation, puis une question hors périmètre", "sans fichier"]
