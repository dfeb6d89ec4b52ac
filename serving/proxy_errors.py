"""HAProxy's own answers, in French: a page on the web front, `{"erreur": …}` for the pages' scripts
and the channel (serving/proxy_config.py puts them in the configuration)."""
from __future__ import annotations

from typing import List

MESSAGES = {
    400: "Requête invalide.",
    403: "Accès refusé.",
    404: "Cette adresse n’existe pas.",
    408: "Votre requête est arrivée trop lentement : elle a été interrompue. Réessayez.",
    413: "Votre envoi est trop volumineux.",
    429: "Trop de requêtes depuis votre adresse : patientez quelques secondes avant de réessayer.",
    500: "Une erreur est survenue. Réessayez dans quelques instants.",
    502: "ClaudIA est momentanément indisponible. Réessayez dans quelques instants.",
    503: "ClaudIA est momentanément indisponible. Réessayez dans quelques instants.",
    504: "ClaudIA met trop de temps à répondre. Réessayez dans quelques instants.",
}


def _html(status: int) -> str:
    return ("<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>ClaudIA</title></head>"
            f"<body><p>{MESSAGES[status]}</p></body></html>")


def _json(status: int) -> str:
    return '{"erreur": "' + MESSAGES[status] + '"}'


HTML_TYPE, JSON_TYPE = '"text/html; charset=utf-8"', '"application/json; charset=utf-8"'
# Paths the pages' scripts call (they read {"erreur": …}); every other answer is a page.
JSON_PATHS = "path_beg /webhooks/ /chat/ /console/api/"


def error_answers(kind: str) -> List[str]:
    """HAProxy's own answers (408, 503, 504 …) in French, for a frontend or a backend."""
    body, kind_type = (_html, HTML_TYPE) if kind == "html" else (_json, JSON_TYPE)
    return [f"    http-error status {status} content-type {kind_type} string '{body(status)}'"
            for status in (400, 403, 404, 408, 413, 429, 500, 502, 503, 504)]


def deny(status: int, condition: str) -> List[str]:
    """A refusal in French: JSON for the pages' scripts, a page otherwise."""
    return [f"    http-request deny status {status} content-type {JSON_TYPE} string '{_json(status)}' "
            f"if {{ {JSON_PATHS} }} {condition}",
            f"    http-request deny status {status} content-type {HTML_TYPE} string '{_html(status)}' "
            f"if {condition}"]
