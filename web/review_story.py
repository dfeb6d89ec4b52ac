"""A reviewed conversation kept as a Rasa test story, after the maintainer's corrections.

The page lists the conversation's steps as the story will have them; the
maintainer may replace each user message's intent and each predicted action
(from the domain's) and name the story. The story is written with Rasa's
`YAMLStoryWriter`, the whole stories file is read back with Rasa's
`YAMLStoryReader` against the domain, and only then renamed into place.

A story is found by its name: saving under a name the file already has raises
`StoryExists` until the maintainer chooses to replace that story or to keep both (the
new one then takes the first free name « nom (2) », « nom (3) »…).
"""
from __future__ import annotations

import os
import re
import tempfile
import threading
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml

from web.review_training import clean_text

_lock = threading.Lock()
MAX_NAME = 120
HIDDEN_ACTIONS = {"action_listen"}
# Rasa's core fallback reverts the user's message: a test story cannot expect it.
UNREPLAYABLE = "action_default_fallback"
ACTION_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
STORY_START = re.compile(r"^(\s*)- story:")
REPLACE, KEEP_BOTH = "remplacer", "garder"


class StoryExists(Exception):
    """The stories file has a story of this name already: replace it, or keep both under `free_name`."""

    def __init__(self, name: str, free_name: str):
        super().__init__(name)
        self.name, self.free_name = name, free_name


def story_blocks(content: str) -> Tuple[str, List[Tuple[Optional[str], str]]]:
    """The file's text before its first story, then each story's name and text, in order."""
    lines = content.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if STORY_START.match(line)]
    if not starts:
        return content, []
    indent = STORY_START.match(lines[starts[0]]).group(1)
    starts = [i for i in starts if STORY_START.match(lines[i]).group(1) == indent]
    blocks = []
    for start, end in zip(starts, starts[1:] + [len(lines)]):
        text = "".join(lines[start:end])
        try:
            parsed = yaml.safe_load(text)
            name = parsed[0].get("story") if isinstance(parsed, list) and isinstance(parsed[0], dict) else None
        except yaml.YAMLError:
            name = None
        blocks.append((str(name) if name is not None else None, text))
    return "".join(lines[:starts[0]]), blocks


def free_name(name: str, taken: set) -> str:
    """« nom (2) », « nom (3) »…: the first that no story has (within MAX_NAME characters)."""
    for number in range(2, 10_000):
        suffix = f" ({number})"
        candidate = name[:MAX_NAME - len(suffix)].rstrip() + suffix
        if candidate not in taken:
            return candidate
    raise ValueError("Trop d'histoires portent ce nom : choisissez-en un autre.")


class StoryFile:
    def __init__(self, tracker_url: str, stories_file: Path, domain_file: Path):
        self.tracker_url = tracker_url
        self.stories_file = Path(stories_file)
        self.domain_file = Path(domain_file)
        self._domain = None
        self._store = None

    @property
    def domain(self):
        if self._domain is None:
            from rasa.shared.core.domain import Domain  # Rasa loads only when a story is asked for

            self._domain = Domain.load(str(self.domain_file))
        return self._domain

    def actions(self) -> List[str]:
        """The actions a maintainer may choose: the domain's, and Rasa's defaults but listening."""
        names = [a for a in self.domain.action_names_or_texts if a not in HIDDEN_ACTIONS and ACTION_NAME.match(a)]
        return sorted(set(names))

    def intents(self) -> List[str]:
        """The domain's intents, Rasa's own included (a story may keep `nlu_fallback`)."""
        return sorted(set(self.domain.intents))

    async def _tracker(self, cid: str):
        from scripts.export_story import open_tracker_store

        if self._store is None:  # one store (and connection pool) for the process
            self._store = open_tracker_store(self.tracker_url, self.domain)
        tracker = await self._store.retrieve(cid)
        if tracker is None:
            raise ValueError("Conversation introuvable.")
        return tracker

    async def steps(self, cid: str) -> List[Dict[str, Any]]:
        """The story's steps as the page shows them: user messages and actions, numbered."""
        from rasa.shared.core.events import ActionExecuted, UserUttered

        from scripts.export_story import kept_events

        steps = []
        for index, event in enumerate(kept_events(await self._tracker(cid))):
            if isinstance(event, UserUttered):
                steps.append({"index": index, "kind": "user", "text": clean_text(event.text or ""),
                              "intent": (event.intent or {}).get("name")})
            elif isinstance(event, ActionExecuted) and event.action_name not in HIDDEN_ACTIONS:
                steps.append({"index": index, "kind": "action", "name": event.action_name})
        return steps

    async def save(self, cid: str, name: str, actions: Optional[Dict[int, str]] = None,
                   intents: Optional[Dict[int, str]] = None,
                   existing: Optional[str] = None) -> Tuple[str, Optional[str]]:
        """Appends the corrected conversation to the stories file; refuses anything Rasa would not read.

        When a story has this name already: StoryExists, unless `existing` says to replace it
        (REPLACE) or to keep both (KEEP_BOTH). Returns the name the story was saved under, and which
        of the two was done (None: the name was free)."""
        from scripts.export_story import story_yaml

        name = clean_text(name)[:MAX_NAME] or clean_text(cid)[:MAX_NAME]
        known_actions, known_intents = set(self.actions()), set(self.domain.intents)
        for chosen in (actions or {}).values():
            if chosen not in known_actions:
                raise ValueError(f"Action inconnue du domaine : {chosen}")
        for chosen in (intents or {}).values():
            if chosen not in known_intents:
                raise ValueError(f"Intention inconnue du domaine : {chosen}")
        from scripts.export_story import corrected_events, kept_events

        tracker = await self._tracker(cid)
        if any(getattr(event, "action_name", None) == UNREPLAYABLE
               for event in corrected_events(kept_events(tracker), actions, intents)):
            raise ValueError("L'action de repli action_default_fallback ne peut pas être rejouée par « rasa test » : "
                             "choisissez l'action que ClaudIA aurait dû exécuter.")
        with _lock:
            current = self.stories_file.read_text(encoding="utf-8") if self.stories_file.exists() else ""
            head, blocks = story_blocks(current)
            taken = {block_name for block_name, _ in blocks}
            done = existing if name in taken else None
            if name in taken and existing == KEEP_BOTH:
                name = free_name(name, taken)
            elif name in taken and existing == REPLACE:
                current = head + "".join(text for block_name, text in blocks if block_name != name)
            elif name in taken:
                raise StoryExists(name, free_name(name, taken))
            story = story_yaml(tracker, self.domain, name, actions, intents)
            current += "" if not current or current.endswith("\n") else "\n"
            content = current + story.split("stories:\n", 1)[1] if current.strip() else story
            self._replace(content, expected_name=name)
        return name, done

    def _replace(self, content: str, expected_name: str) -> None:
        from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader

        self.stories_file.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.stories_file.parent, prefix=".stories-", suffix=".yml")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(content)
            steps = YAMLStoryReader(self.domain).read_from_file(temporary)
            if not any(step.block_name == expected_name for step in steps) \
                    or [name for name, _ in story_blocks(content)[1]].count(expected_name) != 1:
                raise ValueError("L'histoire relue ne correspond pas à ce qui a été écrit : rien n'a été modifié.")
            os.replace(temporary, self.stories_file)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
