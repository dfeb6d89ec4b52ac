"""The held-out set stays held out: none of its messages may appear in the training data.

Compared after normalisation (lower case, accents stripped, whitespace collapsed), so a
copy with other capitals or accents counts as a copy. On failure only the training
files and line numbers are shown, never the held-out texts.
"""
from pathlib import Path

from claudia.vocabulary import normalize
from tests.nlu_heldout.evaluate import HELDOUT, load_examples

ROOT = Path(__file__).resolve().parents[2]


def _key(text: str) -> str:
    return " ".join(normalize(text).split())


def test_no_heldout_message_is_in_the_training_data():
    heldout = {_key(text) for text, _ in load_examples(HELDOUT)}
    assert len(heldout) > 300  # the set is really there and read
    copies = []
    for path in sorted((ROOT / "data").rglob("*.yml")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            stripped = line.strip()
            if stripped.startswith("- ") and _key(stripped[2:].strip("\"'")) in heldout:
                copies.append(f"{path.relative_to(ROOT)}:{number}")
    assert not copies, f"{len(copies)} held-out messages found in data/: {copies}"


def test_every_training_example_is_read_by_this_check():
    """The line-based reading above sees every example Rasa reads (no multi-line forms it would miss)."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples = {_key(e.get("text")) for e in load_data(str(ROOT / "data" / "nlu")).intent_examples}
    seen = set()
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip().startswith("- "):
                seen.add(_key(line.strip()[2:].strip("\"'")))
    assert examples <= seen
