"""`make nlu-eval`: the trained model against the held-out messages.

The held-out set (tests/nlu_heldout/heldout.yml) was written apart from data/ and is
never used for training (tests/nlu_heldout/test_no_overlap.py checks it). This
prints, on stdout, the accuracy, each intent's precision and recall, and the
confusions as counts only; the misclassified texts go to
results/nlu-eval/errors.txt, so that nobody tunes the training data on them by
reading this output.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, List, Tuple

ROOT = Path(__file__).resolve().parents[2]
HELDOUT = ROOT / "tests" / "nlu_heldout" / "heldout.yml"
MODEL = ROOT / "models" / "claudia.tar.gz"
ERRORS = ROOT / "results" / "nlu-eval" / "errors.txt"


def load_examples(path: Path) -> List[Tuple[str, str]]:
    """(text, intent) pairs of a Rasa NLU file."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [(example.get("text"), example.get("intent")) for example in data.intent_examples]


async def predict(model: Path, texts: List[str]) -> List[Tuple[str, float, str]]:
    """(intent, confidence, best intent before the fallback threshold) for each text."""
    from rasa.core.agent import Agent

    _quiet_rasa_logs()
    agent = Agent.load(str(model))
    predictions = []
    for text in texts:
        parsed = await agent.parse_message(text)
        intent = parsed.get("intent") or {}
        ranking = [i["name"] for i in parsed.get("intent_ranking") or [] if i["name"] != "nlu_fallback"]
        predictions.append((intent.get("name"), intent.get("confidence") or 0.0, ranking[0] if ranking else None))
    return predictions


def _quiet_rasa_logs() -> None:
    """Rasa's structured debug log would print every parsed text on stdout: keep warnings only."""
    import structlog
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def report(gold: List[str], predicted: List[str]) -> str:
    """Per-intent precision and recall, overall accuracy and confusion counts (a text table)."""
    intents = sorted(set(gold))
    true_pos = Counter(g for g, p in zip(gold, predicted) if g == p)
    gold_count, predicted_count = Counter(gold), Counter(predicted)
    lines = ["| Intent | Messages | Recall (accuracy) | Precision |", "|---|---:|---:|---:|"]
    for intent in intents:
        recall = true_pos[intent] / gold_count[intent]
        precision = true_pos[intent] / predicted_count[intent] if predicted_count[intent] else 0.0
        lines.append(f"| {intent} | {gold_count[intent]} | {recall:.3f} | {precision:.3f} |")
    accuracy = sum(true_pos.values()) / len(gold)
    lines.append(f"| **all** | {len(gold)} | **{accuracy:.3f}** | |")
    confusions = Counter((g, p) for g, p in zip(gold, predicted) if g != p)
    lines.append("")
    lines.append("Confusions (expected → predicted: count):")
    for (expected, got), count in confusions.most_common():
        lines.append(f"- {expected} → {got}: {count}")
    if not confusions:
        lines.append("- none")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--heldout", type=Path, default=HELDOUT)
    parser.add_argument("--min-accuracy", type=float, default=0.0)
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ["LOG_LEVEL"] = "WARNING"
    examples = load_examples(args.heldout)
    texts = [text for text, _ in examples]
    gold = [intent for _, intent in examples]
    predictions = asyncio.run(predict(args.model, texts))
    predicted = [name or "none" for name, _, _ in predictions]
    print(report(gold, predicted))
    ERRORS.parent.mkdir(parents=True, exist_ok=True)
    by_pair: Dict[Tuple[str, str], List[str]] = defaultdict(list)
    for text, expected, (got, confidence, _) in zip(texts, gold, predictions):
        if expected != got:
            by_pair[(expected, got or "none")].append(f"{confidence:.2f}\t{text}")
    with ERRORS.open("w", encoding="utf-8") as handle:
        for (expected, got), rows in sorted(by_pair.items()):
            handle.write(f"## {expected} -> {got}\n" + "\n".join(rows) + "\n\n")
    accuracy = sum(g == p for g, p in zip(gold, predicted)) / len(gold)
    best = sum(g == b for g, (_, _, b) in zip(gold, predictions)) / len(gold)
    fallbacks = sum(p == "nlu_fallback" for p in predicted)
    print(f"\nMessages sent to the fallback (buttons with the likely meanings): {fallbacks}; "
          f"accuracy of the best intent before the fallback threshold: {best:.3f}")
    print(f"Accuracy: {accuracy:.3f} on {len(gold)} held-out messages "
          f"(misclassified texts in {ERRORS.relative_to(ROOT)})")
    return 0 if accuracy >= args.min_accuracy else 1


if __name__ == "__main__":
    sys.exit(main())
