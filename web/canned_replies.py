"""Canned replies (« réponses types ») the operators insert in a chat or a ticket answer.

A YAML file, CLAUDIA_CANNED_REPLIES_FILE (demo/reponses_types.yml by default):
`- titre: "…"\n  texte: "…"`. A missing file means no canned replies; a malformed one
stops the web front at start-up with the reason, rather than hiding the replies.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import yaml

DEFAULT = Path(__file__).resolve().parents[1] / "demo" / "reponses_types.yml"


def load_canned_replies(path: Optional[Path] = None) -> List[dict]:
    path = Path(path or DEFAULT)
    if not path.exists():
        return []
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(entries, list):
        raise SystemExit(f"{path} : une liste de réponses types est attendue (titre, texte).")
    replies = []
    for entry in entries:
        if not isinstance(entry, dict) or not str(entry.get("titre", "")).strip() \
                or not str(entry.get("texte", "")).strip():
            raise SystemExit(f"{path} : chaque réponse type a un « titre » et un « texte » ({entry!r}).")
        replies.append({"title": str(entry["titre"]).strip(), "text": str(entry["texte"]).strip()})
    return replies
