"""The training's progress bar reads Rasa's training log: its stages and percentages only go up."""
from pathlib import Path

from web.model_jobs import TRAIN_END, stage_of, trained_components

ROOT = Path(__file__).resolve().parents[2]
# Lines as `rasa train` 3.6 writes them (one component trained, two restored from Rasa's cache).
LOG = """2026-12-05 10:45:40 INFO     rasa.cli.train  - Started validating domain and training data...
2026-12-05 10:45:47 INFO     rasa.validator  - Validating intents...
2026-12-05 10:45:55 INFO     rasa.engine.training.hooks  - Restored component 'MemoizationPolicy' from cache.
2026-12-05 10:45:56 INFO     rasa.engine.training.hooks  - Restored component 'RulePolicy' from cache.
2026-12-05 10:45:58 INFO     rasa.engine.training.hooks  - Starting to train component 'LinearIntentClassifier'.
2026-12-05 10:46:38 INFO     rasa.engine.training.hooks  - Finished training component 'LinearIntentClassifier'.
Your Rasa model is trained and saved at '/tmp/x/models/cand.tar.gz'.
"""


def test_the_project_configuration_has_three_components_that_train():
    assert trained_components(ROOT / "config.yml") == 3  # the classifier and two policies


def test_stages_follow_the_log_and_never_go_back():
    done, seen = 0, []
    for line in LOG.splitlines():
        found = stage_of(line, done, 3)
        if found:
            stage, percent, done = found
            seen.append((stage, percent))
    assert [s for s, _ in seen] == [
        "Validation des données", "Entraînement : MemoizationPolicy repris du cache",
        "Entraînement : RulePolicy repris du cache", "Entraînement : LinearIntentClassifier",
        "Entraînement : LinearIntentClassifier terminé", "Modèle enregistré"]
    percents = [p for _, p in seen]
    assert percents == sorted(percents) and percents[-1] == TRAIN_END and len(set(percents)) >= 4
