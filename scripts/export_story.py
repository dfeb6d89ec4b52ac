"""Turns real conversations from the SQL tracker store into Rasa test stories.

  python -m scripts.export_story [--tracker-db URL] SENDER[=story name] ...  > tests/stories/x.yml

Maintainers use it to keep a reviewed conversation as a regression test. Only
`requested_slot` changes are kept among slot events: the other slots do not
influence the dialogue, and their values (structure cards) would only be noise.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.training_data.story_writer.yaml_story_writer import YAMLStoryWriter
from sqlalchemy.engine import make_url

from scripts.endpoints import ROOT


def open_tracker_store(url: str, domain: Domain) -> SQLTrackerStore:
    parsed = make_url(url)
    return SQLTrackerStore(domain, dialect=parsed.drivername, host=parsed.host, port=parsed.port,
                           db=parsed.database, username=parsed.username, password=parsed.password)


def story_yaml(tracker: DialogueStateTracker, domain: Domain, name: str) -> str:
    events = [
        event for event in tracker.events_after_latest_restart()
        if not isinstance(event, SlotSet) or event.key == "requested_slot"
    ]
    trimmed = DialogueStateTracker.from_events(name, events, domain.slots)
    story = trimmed.as_story()
    for step in story.story_steps:
        step.block_name = name
    return YAMLStoryWriter().dumps(story.story_steps, is_test_story=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tracker-db", default=os.environ.get(
        "CLAUDIA_TRACKER_DB_URL", f"sqlite:///{ROOT / 'var' / 'tracker.db'}"))
    parser.add_argument("senders", nargs="+", help="SENDER or SENDER=story name")
    args = parser.parse_args()
    domain = Domain.load(str(ROOT / "domain.yml"))
    store = open_tracker_store(args.tracker_db, domain)
    out = []
    for spec in args.senders:
        sender, _, name = spec.partition("=")
        tracker = asyncio.run(store.retrieve(sender))
        if tracker is None:
            sys.exit(f"conversation inconnue : {sender}")
        out.append(story_yaml(tracker, domain, name or sender))
    # The writer emits a header per story; keep the first and the stories of the others.
    first, *rest = out
    print(first + "".join(part.split("stories:\n", 1)[1] for part in rest))


if __name__ == "__main__":
    main()
