"""Predicted intents of one or more trained models, for judging a candidate (web/model_jobs.py).

  python -m scripts.model_predict --model A.tar.gz [--model B.tar.gz] --input IN.json --out OUT.json

IN.json: {"heldout": "tests/nlu_heldout/heldout.yml", "texts": ["…", …]}. OUT.json:
{"heldout": {"texts": [...], "gold": [...]}, "models": [{"heldout": [[intent, confidence], …],
"texts": [[intent, confidence], …]}, …]} in the order of the --model arguments. Each model is
loaded as `tests/nlu_heldout/evaluate.py` loads it (Rasa's Agent, its NLU pipeline only).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
from pathlib import Path
from typing import List, Tuple


def load_examples(path: Path) -> List[Tuple[str, str]]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [(example.get("text"), example.get("intent")) for example in data.intent_examples]


async def predict(model: Path, *lists: List[str]) -> List[List[List]]:
    """For each list of texts, [intent, confidence] of each text (the model loaded once)."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    found = []
    for texts in lists:
        found.append([])
        for text in texts:
            intent = (await agent.parse_message(text)).get("intent") or {}
            found[-1].append([intent.get("name"), round(float(intent.get("confidence") or 0.0), 4)])
    return found


def quiet() -> None:
    import structlog
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, action="append", required=True)
    parser.add_argument("--input", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ["LOG_LEVEL"] = "WARNING"
    request = json.loads(args.input.read_text(encoding="utf-8"))
    examples = load_examples(Path(request["heldout"])) if request.get("heldout") else []
    heldout = [text for text, _ in examples]
    texts = [str(t) for t in request.get("texts") or []]
    quiet()
    models = []
    for model in args.model:
        print(f"Prédictions du modèle {model.name}", flush=True)
        on_heldout, on_texts = asyncio.run(predict(model, heldout, texts))
        models.append({"heldout": on_heldout, "texts": on_texts})
    result = {"heldout": {"texts": heldout, "gold": [intent for _, intent in examples]}, "models": models}
    args.out.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
