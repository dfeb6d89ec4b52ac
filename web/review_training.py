"""Review corrections into Rasa's NLU training data, safely.

A user's message is hostile input. Before it becomes a training example it is
cleaned (control and direction characters removed, Rasa's entity markup made
inert, whitespace collapsed), refused if nothing is left or if it is a command;
the corrections file is then written with Rasa's own reader and writer
(`RasaYAMLReader`, `RasaYAMLWriter`), read back, and only then put in place by
an atomic rename: a bad message can neither break the file nor add a synonym.
"""
from __future__ import annotations

import os
import tempfile
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

MAX_EXAMPLE_LENGTH = 500
# Bidirectional overrides and isolates: they make a text read differently from what it is.
BIDI = dict.fromkeys(map(ord, "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"), " ")
_lock = threading.Lock()


def clean_text(raw: str) -> str:
    """The message as a plain line: no control, format or surrogate characters, no entity markup."""
    kept = []
    for char in raw.translate(BIDI):
        category = unicodedata.category(char)
        if category in ("Cc", "Cs", "Co", "Cn") or (category == "Cf" and char not in "\u200d"):
            kept.append(" ")
        else:
            kept.append(char)
    text = "".join(kept)
    # `[text](entity)`, `[text]{"entity": …}` and `[text][…]` are Rasa's markup: brackets become
    # parentheses, which the tokenizer drops just the same, so the words stay and nothing is annotated.
    text = text.replace("[", "(").replace("]", ")")
    return " ".join(text.split())[:MAX_EXAMPLE_LENGTH]


def example_or_error(raw: str) -> str:
    text = clean_text(raw or "")
    if not text or text.startswith("/"):
        raise ValueError("Ce message est vide ou est un bouton : il n'y a rien à ajouter aux données.")
    return text


@dataclass
class Outcome:
    added: List[Tuple[str, str]] = field(default_factory=list)  # (text, intent)
    moved: List[Tuple[str, str, str]] = field(default_factory=list)  # (text, from, to)
    already: List[Tuple[str, str]] = field(default_factory=list)
    refused: List[Tuple[str, str]] = field(default_factory=list)  # (text, reason)

    def summary(self) -> str:
        parts = []
        if self.added:
            parts.append(f"{len(self.added)} exemple(s) ajouté(s) aux données d'entraînement")
        if self.moved:
            parts.append(f"{len(self.moved)} exemple(s) déplacé(s) vers la bonne intention")
        if self.already:
            parts.append(f"{len(self.already)} déjà présent(s) sous cette intention, rien à ajouter")
        if self.refused:
            reasons = list(dict.fromkeys(reason for _, reason in self.refused))
            parts.append(f"{len(self.refused)} refusé(s) : " + " ; ".join(reasons[:3]))
        return ". ".join(p.rstrip(".") for p in parts) + "." if parts else "Aucun changement."


class TrainingData:
    """The corrections file (`data/nlu/corrections.yml`) and what the other NLU files already say."""

    def __init__(self, corrections_file: Path, nlu_dir: Optional[Path] = None):
        self.corrections_file = Path(corrections_file)
        self.nlu_dir = nlu_dir
        self._others: Dict[Path, Tuple[float, Dict[str, str]]] = {}

    def other_examples(self) -> Dict[str, Tuple[str, str]]:
        """text → (intent, file) from the NLU files other than the corrections file (cached by mtime)."""
        from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

        found: Dict[str, Tuple[str, str]] = {}
        if not self.nlu_dir or not self.nlu_dir.is_dir():
            return found
        for path in sorted(self.nlu_dir.glob("*.yml")):
            if path.resolve() == self.corrections_file.resolve():
                continue
            mtime = path.stat().st_mtime
            if path not in self._others or self._others[path][0] != mtime:
                data = RasaYAMLReader().read(str(path))
                self._others[path] = (mtime, {m.get("text"): m.get("intent") for m in data.intent_examples})
            found.update({text: (intent, path.name) for text, intent in self._others[path][1].items()})
        return found

    def add(self, examples: Iterable[Tuple[str, str]], known_intents: Iterable[str]) -> Outcome:
        """Adds (text, intent) pairs; a text already under another intent of this file is moved."""
        from rasa.shared.nlu.training_data.message import Message
        from rasa.shared.nlu.training_data.training_data import TrainingData as RasaTrainingData

        known, outcome = set(known_intents), Outcome()
        with _lock:
            current = self._read()
            by_text = {m.get("text"): m for m in current.training_examples if m.get("intent")}
            others = self.other_examples()
            for raw, intent in examples:
                try:
                    text = example_or_error(raw)
                except ValueError as error:
                    outcome.refused.append((raw, str(error)))
                    continue
                if intent not in known:
                    outcome.refused.append((text, f"intention inconnue : {intent}"))
                elif text in others and others[text][0] != intent:
                    outcome.refused.append((text, f"« {text} » figure déjà sous l'intention {others[text][0]} "
                                                  f"dans data/nlu/{others[text][1]} : corrigez ce fichier"))
                elif (text in by_text and by_text[text].get("intent") == intent) or text in others:
                    outcome.already.append((text, intent))
                else:
                    if text in by_text:
                        outcome.moved.append((text, by_text[text].get("intent"), intent))
                    else:
                        outcome.added.append((text, intent))
                    by_text[text] = Message.build(text=text, intent=intent)
            if outcome.added or outcome.moved:
                examples_kept = [m for m in current.training_examples if not m.get("intent")] + list(by_text.values())
                self._replace(RasaTrainingData(examples_kept, entity_synonyms=current.entity_synonyms,
                                               regex_features=current.regex_features,
                                               lookup_tables=current.lookup_tables), expected=len(by_text))
        return outcome

    def _read(self):
        from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
        from rasa.shared.nlu.training_data.training_data import TrainingData as RasaTrainingData

        if not self.corrections_file.exists() or not self.corrections_file.read_text(encoding="utf-8").strip():
            return RasaTrainingData()
        return RasaYAMLReader().read(str(self.corrections_file))

    def _replace(self, data, expected: int) -> None:
        """Writes with Rasa's writer to a temporary file, reads it back, then renames it into place."""
        from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader, RasaYAMLWriter

        self.corrections_file.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.corrections_file.parent, prefix=".corrections-", suffix=".yml")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(RasaYAMLWriter().dumps(data))
            reread = RasaYAMLReader().read(temporary)
            if len(reread.intent_examples) != expected or reread.entity_synonyms != data.entity_synonyms:
                raise ValueError("Le fichier de corrections relu ne correspond pas à ce qui a été écrit : "
                                 "rien n'a été modifié.")
            os.replace(temporary, self.corrections_file)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)


def intents_of(domain: dict) -> List[str]:
    return sorted(i if isinstance(i, str) else next(iter(i)) for i in domain["intents"])

