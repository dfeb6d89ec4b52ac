"""Writes data/nlu/variantes.yml: typo and SMS variants of the training examples.

Users type fast: a dropped, doubled or swapped letter, a neighbouring key on an
AZERTY keyboard, SMS forms ("bjr", "jveux", "svp", "c koi"). Character n-grams
cope with some of it; a few such variants in the training data teach the model
the rest. Only data/ is read and written: the held-out set is never touched.
Seeded, so the file is the same at every run:

    PYTHONPATH=. .venv/bin/python -m scripts.nlu_variants
"""
from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Dict, List, Set

import yaml

from claudia.vocabulary import normalize

ROOT = Path(__file__).resolve().parents[1]
HELDOUT = ROOT / "tests" / "nlu_heldout" / "heldout.yml"
NLU_DIR = ROOT / "data" / "nlu"
OUTPUT = NLU_DIR / "variantes.yml"
SKIPPED_FILES = {"variantes.yml", "corrections.yml"}
SHARE = 0.12  # of the examples get a typo variant
SMS_MAX_WORDS = 5
SEED = 20261128

AZERTY_NEIGHBOURS = {
    "a": "zqs", "z": "aes", "e": "zrd", "r": "etf", "t": "ryg", "y": "tuh", "u": "yij",
    "i": "uok", "o": "ipl", "p": "om", "q": "asw", "s": "qdz", "d": "sfe", "f": "dgr",
    "g": "fht", "h": "gjy", "j": "hku", "k": "jli", "l": "kmo", "m": "lp", "w": "xq",
    "x": "wc", "c": "xv", "v": "cb", "b": "vn", "n": "b",
}
# (pattern, SMS forms people type for it); one form is picked per example.
SMS_FORMS = [
    (r"\bs'il vous pla[iî]t\b", ("svp",)), (r"\bs'il te pla[iî]t\b", ("stp",)),
    (r"\bbonjour\b", ("bjr", "bonjours", "bjour")), (r"\bsalut\b", ("slt", "salu")),
    (r"\bcoucou\b", ("cc", "coucou")), (r"\bbonsoir\b", ("bsr", "bonsoire")),
    (r"\bmerci beaucoup\b", ("merci bcp", "mci bcp")), (r"\bbeaucoup\b", ("bcp",)),
    (r"\bmerci\b", ("mci", "merci", "mrc", "merciii")), (r"\boui\b", ("ouais", "wi", "ui", "ouep", "ouii")),
    (r"\bnon\b", ("nan", "nn", "nope", "nonn")), (r"\bd'accord\b", ("dac", "dacc", "d'acc", "daccord")),
    (r"\bau revoir\b", ("aurevoir", "a+", "orevoir")), (r"\bà plus\b", ("a+", "@+")),
    (r"\bje suis\b", ("chui", "jsuis")), (r"\bje veux\b", ("jveux", "je veu")),
    (r"\bje voudrais\b", ("jvoudrais", "je voudrai")), (r"\bc'est\b", ("c", "cest", "ces")),
    (r"\bqu'est-ce que\b", ("kesk", "qu'est ce que", "quesque")), (r"\bquoi\b", ("koi",)),
    (r"\bpourquoi\b", ("pk", "pq")), (r"\bcomment\b", ("cmt", "comen")), (r"\bstructure\b", ("struct", "structur")),
    (r"\btoujours\b", ("tjrs", "tjs")), (r"\bvous\b", ("vs",)), (r"\bnous\b", ("ns",)), (r"\bavec\b", ("avc",)),
    (r"\bdans\b", ("ds",)), (r"\bquelqu'un\b", ("qqn", "quelquun")), (r"\bquelque chose\b", ("qqch",)),
    (r"\bproblème\b", ("pb", "prob")), (r"\bmessage\b", ("msg", "mess")), (r"\bje ne sais pas\b", ("jsp", "chai pas")),
    (r"\btout\b", ("tt",)), (r"\bconseiller\b", ("conseillé", "conseille")), (r"\bje ne\b", ("je", "j")),
    (r"\bce n'est\b", ("c", "c'est")), (r"\bn'", ("",)), (r"\bparce que\b", ("pcq", "pck")),
]


def _typo(text: str, rng: random.Random) -> str:
    words = [m for m in re.finditer(r"[^\W\d_]{5,}", text)]
    if not words:
        return text
    word = rng.choice(words)
    letters = list(word.group())
    position = rng.randrange(1, len(letters) - 1)
    operation = rng.choice(("drop", "double", "swap", "neighbour"))
    if operation == "drop":
        del letters[position]
    elif operation == "double":
        letters.insert(position, letters[position])
    elif operation == "swap":
        letters[position], letters[position + 1] = letters[position + 1], letters[position]
    else:
        neighbours = AZERTY_NEIGHBOURS.get(normalize(letters[position]))
        if not neighbours:
            return text
        letters[position] = rng.choice(neighbours)
    return text[: word.start()] + "".join(letters) + text[word.end():]


def _sms(text: str, rng: random.Random) -> str:
    result = text.lower()
    for pattern, forms in SMS_FORMS:
        result = re.sub(pattern, rng.choice(forms), result)
    return re.sub(r"\s+", " ", result).strip()


def _load() -> Dict[str, List[str]]:
    examples: Dict[str, List[str]] = {}
    for path in sorted(NLU_DIR.glob("*.yml")):
        if path.name in SKIPPED_FILES:
            continue
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            if "intent" in block:
                lines = [line[2:].strip() for line in block["examples"].splitlines() if line.startswith("- ")]
                examples.setdefault(block["intent"], []).extend(lines)
    return examples


def _key(text: str) -> str:
    return " ".join(normalize(text).split())


def _heldout_keys() -> Set[str]:
    """Held-out messages, only so that no variant happens to copy one (tests/nlu_heldout)."""
    if not HELDOUT.exists():
        return set()
    blocks = (yaml.safe_load(HELDOUT.read_text(encoding="utf-8")) or {}).get("nlu") or []
    return {_key(line[2:]) for block in blocks for line in str(block.get("examples", "")).splitlines()
            if line.startswith("- ")}


def variants(examples: Dict[str, List[str]], seed: int = SEED) -> Dict[str, List[str]]:
    rng = random.Random(seed)
    taken: Set[str] = {_key(text) for texts in examples.values() for text in texts} | _heldout_keys()
    result: Dict[str, List[str]] = {}
    for intent in sorted(examples):
        for text in examples[intent]:
            if text.startswith("/"):
                continue
            # short messages are the ones typed in SMS style; each gets its SMS form if it has one
            candidates = [_sms(text, rng)] if len(text.split()) <= SMS_MAX_WORDS else []
            if rng.random() < SHARE:
                candidates.append(_typo(text, rng))
            for variant in candidates:
                key = _key(variant)
                if key in taken or not key.strip():
                    continue
                taken.add(key)
                result.setdefault(intent, []).append(variant)
    return result


# How people give a number: alone, grouped, with a few words around it.
NUMBER_FRAMES = [
    "{n}", "{n}", "{n}", "siret {n}", "SIRET : {n}", "n° siret {n}", "siret n°{n}", "le siret est le {n}",
    "mon siret : {n}", "voici le siret : {n}", "c'est le {n}", "{n} merci", "{n} svp", "voilà : {n}",
    "le numéro est {n}", "numéro siret {n}", "siret de la structure : {n}", "le siret du successeur est {n}",
    "la structure qui reprend : {n}", "successeur : {n}", "il s'agit du siret {n}", "{n} c'est celui-là",
    "euh {n}", "alors c'est {n}", "SIRET {n}", "siret= {n}", "le siret de notre mairie est {n}",
    "siren {siren} nic {nic}", "siren : {siren}, nic : {nic}", "le siren est {siren} et le nic {nic}",
]


def _number(rng: random.Random, digits: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(digits))


def _grouped(number: str, rng: random.Random) -> str:
    style = rng.choice(("plain", "spaces", "spaces", "dots", "dashes"))
    if style == "plain" or len(number) != 14:
        return number
    groups = [number[0:3], number[3:6], number[6:9], number[9:]]
    return {"spaces": " ", "dots": ".", "dashes": "-"}[style].join(groups)


def number_examples(seed: int = SEED) -> List[str]:
    """Messages giving a SIRET (random digits: the form reads and checks them, not the model)."""
    rng = random.Random(seed + 1)
    examples = []
    for frame in NUMBER_FRAMES * 2:
        length = rng.choice((14, 14, 14, 14, 9, 13))
        examples.append(frame.format(n=_grouped(_number(rng, length), rng), siren=_number(rng, 9),
                                     nic=_number(rng, 5)))
    return examples


def main() -> None:
    generated = variants(_load())
    held_out = _heldout_keys()
    generated.setdefault("informer_siret", []).extend(
        text for text in number_examples() if _key(text) not in held_out)
    lines = ['version: "3.1"', "# Generated by scripts/nlu_variants.py (typos, SMS forms): do not edit by hand.", "nlu:"]
    for intent, texts in generated.items():
        lines += [f"  - intent: {intent}", "    examples: |"]
        # a block scalar: Rasa reads each line as it is, so no quoting (it would join the text)
        lines += [f"      - {text}" for text in texts]
    OUTPUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{sum(len(t) for t in generated.values())} variants written to {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
