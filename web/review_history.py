"""The data's history in the review: the data repository's commits, newest first, and each one's
changes (claudia.data_versions). Read-only; the diff is shown as text (autoescaped), a page of
lines at a time.
"""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List

from aiohttp import web

from claudia import params
from web.review_web import REVIEW, render, reviewer_required

COMMITS_PER_PAGE = 20
DIFF_LINES_PER_PAGE = 400
MAX_PAGE = 100_000


def _kind(line: str) -> str:
    if line.startswith(("+++", "---", "diff --git", "index ", "new file", "deleted file", "similarity", "rename ")):
        return "meta"
    if line.startswith("@@"):
        return "hunk"
    return {"+": "add", "-": "del"}.get(line[:1], "ctx")


def _versions(request: web.Request):
    versions = request.app[REVIEW].versions
    if versions is None:
        raise web.HTTPNotFound(text="L'historique des données n'est pas activé (CLAUDIA_DATA_REPO).")
    return versions


@reviewer_required
async def history(request: web.Request) -> web.Response:
    versions = _versions(request)
    page = params.whole_number(request.query.get("page"), "page", default=1, lowest=1, highest=MAX_PAGE)
    total = await asyncio.to_thread(versions.count)
    commits = await asyncio.to_thread(versions.log, (page - 1) * COMMITS_PER_PAGE, COMMITS_PER_PAGE)
    return render(request, "history.html", "Historique des données", active="/console/revue/historique",
                  commits=commits, page=page, total=total, remote=versions.remote, last_push=versions.last_push,
                  newer=page - 1 if page > 1 else None,
                  older=page + 1 if page * COMMITS_PER_PAGE < total else None)


@reviewer_required
async def commit_page(request: web.Request) -> web.Response:
    versions = _versions(request)
    found = await asyncio.to_thread(versions.commit, request.match_info["sha"])
    if found is None:
        raise web.HTTPNotFound(text="Version introuvable dans l'historique des données.")
    page = params.whole_number(request.query.get("page"), "page", default=1, lowest=1, highest=MAX_PAGE)
    lines = await asyncio.to_thread(versions.diff, found.sha)
    start = (page - 1) * DIFF_LINES_PER_PAGE
    shown: List[Dict[str, Any]] = [{"text": line, "kind": _kind(line)}
                                   for line in lines[start:start + DIFF_LINES_PER_PAGE]]
    pages = max(1, -(-len(lines) // DIFF_LINES_PER_PAGE))
    if page > pages:
        raise web.HTTPNotFound(text="Cette page des modifications n'existe pas.")
    return render(request, "commit.html", f"Version {found.sha[:10]}", active="/console/revue/historique",
                  commit=found, lines=shown, page=page, pages=pages, total_lines=len(lines),
                  first_line=start + 1, newer=page - 1 if page > 1 else None,
                  older=page + 1 if page < pages else None)


def add_history_routes(app: web.Application) -> None:
    app.router.add_get("/console/revue/historique", history)
    app.router.add_get("/console/revue/historique/{sha}", commit_page)
