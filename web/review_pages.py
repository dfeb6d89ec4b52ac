"""The maintainers' review pages, under /console/revue/ (role « relecteur » only).

Server-rendered HTML forms, every value escaped; the state-changing forms
carry the session's CSRF token and redirect back (post/redirect/get).
"""
from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any, Dict, List, Tuple
from urllib.parse import quote, urlencode

import yaml
from aiohttp import web

from claudia.accounts import REVIEWER
from web.console import _page, role_required
from web.review import OUTCOMES, Filters, Review

REVIEW = web.AppKey("review", Review)
INTENTS = web.AppKey("intents", list)
reviewer_required = role_required(REVIEWER)
e = html.escape

OUTCOME_LABELS = {"effectuee": "effectuée", "refusee": "refusée", "abandonnee": "abandonnée",
                  "transferee": "transférée à un conseiller", "sans_procedure": "sans procédure"}


def _nav(active: str) -> str:
    links = [("/console/revue/", "Conversations"), ("/console/revue/tableau", "Tableau de bord")]
    return "<nav class=\"tabs\">" + "".join(
        f'<a href="{href}"{" aria-current=page" if href == active else ""}>{label}</a>' for href, label in links
    ) + "</nav>"


def _select(name: str, options: List[Tuple[str, str]], current: str) -> str:
    items = "".join(f'<option value="{e(v)}"{" selected" if v == current else ""}>{e(label)}</option>'
                    for v, label in [("", "—")] + options)
    return f'<select name="{name}" id="f-{name}">{items}</select>'


def _filters_form(query: Dict[str, str], intents: List[str]) -> str:
    q = lambda k: e(query.get(k, ""))  # noqa: E731
    check = lambda k: " checked" if query.get(k) == "1" else ""  # noqa: E731
    return f"""
<form method="get" class="filters" aria-label="Filtres">
 <label>Du <input type="date" name="since" value="{q('since')}"></label>
 <label>au <input type="date" name="until" value="{q('until')}"></label>
 <label>Utilisateur <input name="user" value="{q('user')}" size="12"></label>
 <label>Procédure {_select('procedure', [('activer', 'activer'), ('inactiver', 'inactiver')], query.get('procedure', ''))}</label>
 <label>Issue {_select('outcome', [(o, OUTCOME_LABELS[o]) for o in OUTCOMES], query.get('outcome', ''))}</label>
 <label>Intention {_select('intent', [(i, i) for i in intents], query.get('intent', ''))}</label>
 <label>Action <input name="action" value="{q('action')}" size="16"></label>
 <label>Relue {_select('reviewed', [('1', 'oui'), ('0', 'non')], query.get('reviewed', ''))}</label>
 <label>Étiquette <input name="tag" value="{q('tag')}" size="10"></label>
 <label><input type="checkbox" name="thumbs_down" value="1"{check('thumbs_down')}> pouce en bas</label>
 <label><input type="checkbox" name="low_confidence" value="1"{check('low_confidence')}> confiance faible / incompris</label>
 <button type="submit">Filtrer</button> <a href="/console/revue/">Effacer</a>
</form>"""


@reviewer_required
async def inbox(request: web.Request) -> web.Response:
    query = {k: v for k, v in request.query.items() if k != "page"}
    page = max(int(request.query.get("page", "1") or 1) if request.query.get("page", "1").isdigit() else 1, 1)
    found = request.app[REVIEW].search(Filters.from_query(query), page=page)
    rows = "".join(f"""<tr>
<td><a href="/console/revue/conversations/{quote(c['conversation_id'], safe='')}">{e(c['conversation_id'])}</a></td>
<td>{e(c['ended'].replace('T', ' ')[:16])}</td><td>{e(c['login'] or 'non connecté')}</td>
<td>{e(c['procedure'] or '—')}</td><td>{e(OUTCOME_LABELS[c['outcome']])}</td><td>{c['turns']}</td>
<td>{'👎' if c['thumbs_down'] else ''}{'👍' if c['thumbs_up'] else ''}</td>
<td>{'⚠ ' + (f"{c['min_confidence']:.2f}" if c['min_confidence'] is not None else '') if c['low_confidence'] else ''}</td>
<td>{'✓' if c['reviewed'] else ''}</td><td>{e(' '.join(c['tags']))}</td></tr>""" for c in found["conversations"])
    pages = (found["total"] + found["per_page"] - 1) // found["per_page"]
    links = " ".join(
        f'<a href="?{e(urlencode({**query, "page": n}))}"{" aria-current=page" if n == page else ""}>{n}</a>'
        for n in range(1, pages + 1))
    exports = urlencode(query)
    body = f"""<h1>Revue des conversations</h1>{_nav('/console/revue/')}
{_filters_form(request.query, request.app[INTENTS])}
<p>{found['total']} conversation(s). Exporter : <a href="/console/revue/export.csv?{e(exports)}">CSV</a>
 · <a href="/console/revue/export.json?{e(exports)}">JSON</a></p>
<table id="conversations"><thead><tr><th>Conversation</th><th>Dernier message</th><th>Utilisateur</th>
<th>Procédure</th><th>Issue</th><th>Messages</th><th>Avis</th><th>Confiance</th><th>Relue</th><th>Étiquettes</th>
</tr></thead><tbody>{rows}</tbody></table><p class="pages">{links}</p>"""
    return _page("Revue", body, request["user"])


def _step(step: Dict[str, Any], intents: List[str], cid: str, csrf: str) -> str:
    kind = step["kind"]
    if kind == "user":
        confidence = f"{step['confidence']:.2f}" if step["confidence"] is not None else "—"
        entities = ", ".join(f"{x['entity']}={x['value']}" for x in step["entities"])
        correct = ""
        if step["text"] and not step["text"].startswith("/"):
            options = "".join(f'<option value="{e(i)}"{" selected" if i == step["intent"] else ""}>{e(i)}</option>'
                              for i in intents)
            correct = f"""<form method="post" action="/console/revue/conversations/{quote(cid, safe='')}/correction" class="correct">
<input type="hidden" name="csrf" value="{e(csrf)}"><input type="hidden" name="text" value="{e(step['text'])}">
<label>Intention correcte <select name="intent">{options}</select></label>
<button type="submit">Ajouter aux données d'entraînement</button></form>"""
        return f"""<li class="user"><span class="who">Utilisateur</span> {e(step['text'] or '')}
<span class="nlu">intention <b>{e(step['intent'] or '—')}</b> ({confidence}){' · ' + e(entities) if entities else ''}</span>{correct}</li>"""
    if kind in ("bot", "operateur"):
        who = f"{e(step['name'])} (conseiller)" if kind == "operateur" else "ClaudIA"
        return f'<li class="{kind}"><span class="who">{who}</span> {e(step["text"] or "")}</li>'
    if kind == "action":
        return f'<li class="action">action <code>{e(step["name"])}</code></li>'
    if kind == "slot":
        return f'<li class="slot">slot <code>{e(step["name"])}</code> = <code>{e(json.dumps(step["value"], ensure_ascii=False))}</code></li>'
    return f'<li class="action">{"conversation en pause (conseiller)" if kind == "pause" else "reprise par ClaudIA"}</li>'


@reviewer_required
async def conversation(request: web.Request) -> web.Response:
    cid = request.match_info["cid"]
    detail = request.app[REVIEW].detail(cid)
    if detail is None:
        raise web.HTTPNotFound()
    user, s = request["user"], detail["summary"]
    csrf, path = e(user.csrf_token), f"/console/revue/conversations/{quote(cid, safe='')}"
    steps = "".join(_step(step, request.app[INTENTS], cid, user.csrf_token) for step in detail["steps"])
    journal = "".join(f"<li>{e(j['at'][:19])} — {e(j['operation'] or '')} {e(j['siret'] or '')} : "
                      f"<b>{e(j['outcome'])}</b> {e(j['reason'] or '')}</li>" for j in detail["journal"]) or "<li>—</li>"
    feedback = "".join(f"<li>{e(f['vote'])} {e(f['reason'] or '')} {e(f['comment'] or '')}</li>"
                       for f in detail["feedback"]) or "<li>—</li>"
    handoffs = "".join(f"<li>{e(h['status'])} {e(h['operator'] or '')} {e(h['message'] or '')}</li>"
                       for h in detail["handoffs"]) or "<li>—</li>"
    flash = {"story": "Conversation enregistrée comme test.", "correction": "Exemple ajouté aux données d'entraînement.",
             "mark": "Marques enregistrées."}.get(request.query.get("ok", ""), "")
    error = request.query.get("erreur", "")
    body = f"""<h1>Conversation {e(cid)}</h1>{_nav('')}
{f'<p class="ok" role="status">{e(flash)}</p>' if flash else ''}{f'<p class="error" role="alert">{e(error)}</p>' if error else ''}
<p>Utilisateur : {e(s['login'] or 'non connecté')} · procédure : {e(s['procedure'] or '—')} ·
issue : <b>{e(OUTCOME_LABELS[s['outcome']])}</b> · confiance minimale :
{f"{s['min_confidence']:.2f}" if s['min_confidence'] is not None else '—'}</p>
<form method="post" action="{path}/marques" class="marks"><input type="hidden" name="csrf" value="{csrf}">
<label><input type="checkbox" name="reviewed" value="1"{' checked' if s['reviewed'] else ''}> relue</label>
<label>Étiquettes <input name="tags" value="{e(' '.join(s['tags']))}"></label>
<button type="submit">Enregistrer</button></form>
<form method="post" action="{path}/histoire" class="story"><input type="hidden" name="csrf" value="{csrf}">
<label>Nom du test <input name="name" value="revue {e(cid)}" size="40"></label>
<button type="submit">Enregistrer comme histoire de test</button></form>
<ol class="steps">{steps}</ol>
<h2>Journal</h2><ul>{journal}</ul><h2>Évaluations</h2><ul>{feedback}</ul><h2>Conseiller</h2><ul>{handoffs}</ul>"""
    return _page(f"Conversation {cid}", body, user)


def _back(cid: str, **params: str) -> web.HTTPFound:
    return web.HTTPFound(f"/console/revue/conversations/{quote(cid, safe='')}?{urlencode(params)}")


@reviewer_required
async def marks(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    cid = request.match_info["cid"]
    request.app[REVIEW].mark(cid, request["user"].login, reviewed=form.get("reviewed") == "1",
                             tags=str(form.get("tags", "")).split())
    raise _back(cid, ok="mark")


@reviewer_required
async def correction(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    cid = request.match_info["cid"]
    try:
        request.app[REVIEW].add_correction(str(form.get("text", "")), str(form.get("intent", "")),
                                           request.app[INTENTS])
    except ValueError as error:
        raise _back(cid, erreur=str(error))
    raise _back(cid, ok="correction")


@reviewer_required
async def story(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    cid = request.match_info["cid"]
    try:
        await request.app[REVIEW].save_story(cid, str(form.get("name", "")).strip()[:120] or cid)
    except ValueError as error:
        raise _back(cid, erreur=str(error))
    raise _back(cid, ok="story")


@reviewer_required
async def export_csv(request: web.Request) -> web.Response:
    return web.Response(text=request.app[REVIEW].export_csv(Filters.from_query(dict(request.query))),
                        content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": 'attachment; filename="conversations.csv"'})


@reviewer_required
async def export_json(request: web.Request) -> web.Response:
    found = request.app[REVIEW].search(Filters.from_query(dict(request.query)), per_page=10**9)
    return web.json_response(found["conversations"], dumps=lambda d: json.dumps(d, ensure_ascii=False),
                             headers={"Content-Disposition": 'attachment; filename="conversations.json"'})


def _bars(title: str, items: List[Tuple[str, float]], percent: bool = False) -> str:
    """A horizontal bar chart as inline SVG (no script, no library)."""
    if not items:
        return f"<h2>{e(title)}</h2><p>Pas encore de données.</p>"
    top = max(v for _, v in items) or 1
    height = 22 * len(items)
    bars = "".join(
        f'<text x="0" y="{22 * i + 15}">{e(label)}</text>'
        f'<rect x="200" y="{22 * i + 3}" width="{max(int(300 * v / top), 1)}" height="16"></rect>'
        f'<text x="{205 + int(300 * v / top)}" y="{22 * i + 15}">{(f"{v:.0%}" if percent else f"{v:g}")}</text>'
        for i, (label, v) in enumerate(items))
    return (f'<h2>{e(title)}</h2><svg class="chart" role="img" aria-label="{e(title)}" width="580" '
            f'height="{height}" viewBox="0 0 580 {height}">{bars}</svg>')


@reviewer_required
async def dashboard(request: web.Request) -> web.Response:
    d = request.app[REVIEW].dashboard()
    votes = d["votes"]
    total_votes = sum(votes.values()) or 1
    body = f"""<h1>Tableau de bord</h1>{_nav('/console/revue/tableau')}
<p>{d['total']} conversation(s) · taux de transfert à un conseiller : {d['handoff_rate']:.0%} ·
avis : 👍 {votes.get('positif', 0)} / 👎 {votes.get('negatif', 0)}
({votes.get('positif', 0) / total_votes:.0%} positifs)</p>
{_bars('Conversations par jour', [(day, n) for day, n in d['conversations_per_day']])}
{_bars('Taux de réalisation par procédure', list(d['completion_rate'].items()), percent=True)}
{_bars('Refus par motif', d['refusals_by_reason'])}
{_bars('Avis', [('👍 positifs', votes.get('positif', 0)), ('👎 négatifs', votes.get('negatif', 0))])}
{_bars('Intentions à la confiance la plus basse (moyenne)', [(x['intent'], x['confidence']) for x in d['lowest_confidence_intents']])}"""
    return _page("Tableau de bord", body, request["user"])


def add_review(app: web.Application, review: Review, domain_file: Path) -> None:
    app[REVIEW] = review
    domain = yaml.safe_load(domain_file.read_text(encoding="utf-8"))
    app[INTENTS] = sorted(i if isinstance(i, str) else next(iter(i)) for i in domain["intents"])
    app.router.add_get("/console/revue/", inbox)
    app.router.add_get("/console/revue/tableau", dashboard)
    app.router.add_get("/console/revue/export.csv", export_csv)
    app.router.add_get("/console/revue/export.json", export_json)
    app.router.add_get("/console/revue/conversations/{cid}", conversation)
    app.router.add_post("/console/revue/conversations/{cid}/marques", marks)
    app.router.add_post("/console/revue/conversations/{cid}/correction", correction)
    app.router.add_post("/console/revue/conversations/{cid}/histoire", story)
