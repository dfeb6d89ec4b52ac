"""The message inbox (every user message, newest first) and the test-story editor.

Confirming or correcting, for one message or many, writes into the training
data (web.review_training) and marks the messages as reviewed; the reviewer
comes back to the same filters, page and row.
"""
from __future__ import annotations

import asyncio
from typing import Dict, List, Optional

from aiohttp import web

from claudia import params
from claudia.data_versions import VersioningError
from claudia.review_queries import MessageFilters
from web.review_story import KEEP_BOTH, REPLACE, StoryExists
from web.review_web import INTENTS, REVIEW, back_to, conversation_path, encode, render, reviewer_required

MESSAGE_KEYS = ("q", "intent", "below", "since", "until", "corrected", "before")
FALLBACKS = {"action_default_fallback", "utter_default", "action_message_incompris"}


@reviewer_required
async def messages(request: web.Request) -> web.Response:
    review = request.app[REVIEW]
    query = {k: request.query.get(k, "") for k in MESSAGE_KEYS}
    before = params.whole_number(query["before"], "page", lowest=1)
    filters = MessageFilters.from_query(query)  # before any database read: a bad value is a 400
    await asyncio.to_thread(review.refresh)
    found = await asyncio.to_thread(review.messages, filters, before)
    base = {k: v for k, v in query.items() if k != "before"}
    here = "/console/revue/messages" + (f"?{encode(query)}" if encode(query) else "")
    return render(request, "messages.html", "Messages des utilisateurs", active="/console/revue/messages",
                  query=query, found=found, intents=request.app[INTENTS], back=here,
                  first_query=encode(base), next_query=encode({**base, "before": found["next"]}))


def _ids(values: List[str]) -> List[int]:
    return params.whole_numbers(values, "messages cochés")


@reviewer_required
async def review_messages(request: web.Request) -> web.StreamResponse:
    """One form for all the message actions: a row's « Corriger » / « Confirmer », or the selection's."""
    form = await request.post()
    back = str(form.get("back", "/console/revue/messages"))
    intents = request.app[INTENTS]
    if form.get("one"):
        ids, intent = _ids([form["one"]]), str(form.get(f"intent-{form['one']}", ""))
    elif form.get("confirm"):
        ids, intent = _ids([form["confirm"]]), None
    else:
        ids = _ids(form.getall("ids", []))
        intent = str(form.get("intent", "")) if form.get("do") == "corriger" else None
    if not ids:
        raise back_to(request, back, "Cochez au moins un message.", error=True)
    if intent == "":
        raise back_to(request, back, "Choisissez l'intention correcte, puis corrigez.", error=True)
    if intent is not None and intent not in intents:
        raise back_to(request, back, f"Intention inconnue : {intent[:60]}", error=True)
    if "#" not in back and len(ids) == 1:
        back += f"#m-{ids[0]}"
    try:
        outcome = await asyncio.to_thread(request.app[REVIEW].review_messages, ids, request["user"].login,
                                          intents, intent, request["user"].name)
    except (ValueError, VersioningError) as error:
        raise back_to(request, back, str(error), error=True)
    raise back_to(request, back, outcome.summary())


def _choices(form, prefix: str) -> Dict[int, str]:
    def step(key: str) -> int:
        return params.whole_number(key[len(prefix):], "étape de l'histoire", highest=100_000, required=True)

    return {step(key): str(value) for key, value in form.items() if key.startswith(prefix)}


async def _story_editor(request: web.Request, cid: str, name: str, actions: Dict[int, str],
                        intents: Dict[int, str], conflict: Optional[StoryExists] = None) -> web.Response:
    """The story editor: the conversation's steps, with the choices already made (if any)."""
    review = request.app[REVIEW]
    try:
        steps = await review.story_steps(cid)
    except ValueError:
        raise web.HTTPNotFound(text="Conversation introuvable.")
    corrected = {m["id"]: m for m in (await asyncio.to_thread(review.queries.messages_of, cid)).values()}
    for step in steps:  # a message already corrected in the review starts with its corrected intent
        if step["kind"] == "user":
            known = [m for m in corrected.values() if m["text"] == step["text"] and m["final_intent"]]
            step["intent"] = intents.get(step["index"]) or (known[0]["final_intent"] if known else step["intent"])
        else:
            step["name"] = actions.get(step["index"], step["name"])
    return render(request, "story.html", f"Histoire de test — {cid}", status=409 if conflict else 200, steps=steps,
                  path=conversation_path(cid), name=name, intents=review.stories.intents(),
                  actions=review.stories.actions(), fallbacks=FALLBACKS, conflict=conflict,
                  replace=REPLACE, keep_both=KEEP_BOTH, stories_file=review.stories.stories_file.name)


@reviewer_required
async def story_page(request: web.Request) -> web.Response:
    cid = request.match_info["cid"]
    return await _story_editor(request, cid, f"revue {cid}", {}, {})


@reviewer_required
async def save_story(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    cid = request.match_info["cid"]
    actions, intents = _choices(form, "action-"), _choices(form, "intent-")  # a bad step number: a 400
    existing = form.get("existing") if form.get("existing") in (REPLACE, KEEP_BOTH) else None
    try:
        name, done = await request.app[REVIEW].save_story(cid, str(form.get("name", "")), actions, intents, existing,
                                                          request["user"].login, request["user"].name)
    except StoryExists as conflict:  # the same name twice: the maintainer chooses, nothing written yet
        return await _story_editor(request, cid, conflict.name, actions, intents, conflict)
    except (ValueError, VersioningError) as error:
        raise back_to(request, conversation_path(cid) + "/histoire", str(error), error=True)
    what = {REPLACE: f"l'histoire « {name} » a remplacé celle du même nom",
            KEEP_BOTH: f"histoire « {name} » ajoutée à côté de celle du même nom"}.get(
        done, f"histoire « {name} » ajoutée au fichier des histoires")
    raise back_to(request, conversation_path(cid), f"Conversation enregistrée comme test ({what}).")


def add_message_routes(app: web.Application) -> None:
    app.router.add_get("/console/revue/messages", messages)
    app.router.add_post("/console/revue/messages/revue", review_messages)
    app.router.add_get("/console/revue/conversations/{cid}/histoire", story_page)
    app.router.add_post("/console/revue/conversations/{cid}/histoire", save_story)
