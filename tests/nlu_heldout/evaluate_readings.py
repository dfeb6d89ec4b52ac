"""Intent accuracy on an independent writer's set, by message, with the repair readings counted.

A writer's set (YAML: `messages: [{text, intent, step?}]`, the format of docs/repair.md's
measure) labels each message with what it means; many are typed at a step. At a step,
ClaudIA does not take the model's intent alone: a typed button title is the click
(claudia/typed_buttons.py), and the step reads its awaited answer in the words (a SIRET
at the SIRET steps, a yes or a no at the yes/no steps, a type, an operation, a reason,
an evaluation). This script applies the same primitives the steps use and counts a
message right when that reading is the writer's intent. It prints the accuracy of the
model alone and with the readings; the texts it got wrong go to results/ only.

    PYTHONPATH=. .venv/bin/python tests/nlu_heldout/evaluate_readings.py SET.yml
"""
from __future__ import annotations

import argparse
import asyncio
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Dict, Optional

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from actions.evaluation_actions import _REASON_WORDS  # noqa: E402
from claudia import messages  # noqa: E402
from claudia.feedback import REASONS  # noqa: E402
from claudia.question_forms import asks_definition  # noqa: E402
from claudia.siret import attempts_a_number  # noqa: E402
from claudia.typed_buttons import button_for  # noqa: E402
from claudia.vocabulary import (  # noqa: E402
    evaluation_in_words, normalize, requested_operation, structure_type, yes_no,
)
from tests.nlu_heldout.evaluate import MODEL, predict  # noqa: E402

YES_NO = {True: "affirmer", False: "nier"}
# At the confirmation and Envoyer steps the « Annuler » button is a no: the same outcome.
SAME_AT_STEP = {("confirmation", "annuler"): "nier", ("envoi", "annuler"): "nier"}
_TITLES: Dict[str, Dict[str, str]] = {
    "type": {"Structure publique": "informer_type_structure", "Structure privée": "informer_type_structure"},
    "action": {"Activer une structure publique": "activer_structure",
               "Inactiver une structure publique": "inactiver_structure"},
    "fiche": {"Oui, c'est la bonne structure": "affirmer", "Non": "nier"},
    "successeur_existe": {"Oui": "affirmer", "Non": "nier",
                          "Qu'est-ce qu'un SIRET reprenant l'activité ?": "demander_definition"},
    "confirmation": {"Confirmer": "affirmer", "Annuler": "nier"},
    "evaluation": {b["title"]: b["payload"].lstrip("/") for b in messages.EVALUATION_BUTTONS},
    "envoi": {"Envoyer": "affirmer", "Annuler": "nier"},
    "suite": {b["title"]: b["payload"].lstrip("/") for b in messages.APRES_AVIS_BUTTONS},
    "motif": {**{label: "choisir_motif" for label in REASONS.values()}, "Annuler": "annuler"},
}


def reading(step: Optional[str], text: str, intent: str) -> str:
    """What the step makes of the message (the intent the conversation acts on)."""
    if not step:
        return intent
    clicked = button_for(text, _TITLES.get(step, {}))
    if clicked:
        return clicked.split("{", 1)[0]
    if intent == "demander_definition" and asks_definition(text):
        return intent  # claudia.repair.read: a question about the awaited word answers nothing
    if step in ("siret", "siret_successeur") and attempts_a_number(text):
        return "informer_siret"
    if step in ("fiche", "successeur_existe", "confirmation", "envoi") and yes_no(text) is not None:
        return YES_NO[yes_no(text)]
    if step == "type" and structure_type(text):
        return "informer_type_structure"
    if step == "action" and requested_operation(text):
        return {"activer": "activer_structure", "inactiver": "inactiver_structure"}[requested_operation(text)]
    if step == "motif" and any(re.search(p, normalize(text)) for _, p in _REASON_WORDS):
        return "choisir_motif"
    if step == "evaluation" and evaluation_in_words(text) is not None:
        return "evaluer_positif" if evaluation_in_words(text) else "evaluer_negatif"
    return intent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("set", type=Path)
    parser.add_argument("--model", type=Path, default=MODEL)
    args = parser.parse_args()
    rows = yaml.safe_load(args.set.read_text(encoding="utf-8"))["messages"]
    predictions = asyncio.run(predict(args.model, [str(r["text"]) for r in rows]))
    alone = with_readings = 0
    errors, confusions = [], Counter()
    for row, (intent, confidence, _) in zip(rows, predictions):
        text, gold, step = str(row["text"]), row["intent"], row.get("step")
        alone += intent == gold
        read = reading(step, text, intent or "none")
        with_readings += read == SAME_AT_STEP.get((step, gold), gold) or read == gold
        if read not in (gold, SAME_AT_STEP.get((step, gold), gold)):
            confusions[(gold, read)] += 1
            errors.append(f"{step or '-'}\t{gold} -> {read} ({confidence:.2f})\t{text}")
    total = len(rows)
    print(f"{args.set.name}: {total} messages; model alone {alone / total:.3f}; "
          f"with the readings of the steps {with_readings / total:.3f}")
    for (gold, read), count in confusions.most_common():
        print(f"- {gold} → {read}: {count}")
    out = ROOT / "results" / "nlu-eval" / f"readings-{args.set.stem}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(errors) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
