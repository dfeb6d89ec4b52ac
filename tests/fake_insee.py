"""A loopback stand-in for the INSEE API Sirene 3.11 (`GET /siret/{siret}`).

It answers from a dict of establishments, in the API's JSON shape, and can be
told to misbehave for the next requests: a status code (404, 429 with
Retry-After, 500), a delay (to trigger client timeouts) or a malformed body.
"""
from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Deque, Dict, List, Optional

API_KEY_HEADER = "X-INSEE-Api-Key-Integration"


def etablissement_json(siret: str, etat: str, denomination: str = "", **address: str) -> dict:
    """An answer as the API gives it: current period = the one with dateFin null."""
    return {
        "header": {"statut": 200, "message": "ok"},
        "etablissement": {
            "siren": siret[:9],
            "nic": siret[9:],
            "siret": siret,
            "uniteLegale": {"denominationUniteLegale": denomination},
            "adresseEtablissement": {
                "numeroVoieEtablissement": address.get("numero", "1"),
                "typeVoieEtablissement": address.get("type_voie", "RUE"),
                "libelleVoieEtablissement": address.get("voie", "DE LA PAIX"),
                "codePostalEtablissement": address.get("code_postal", "75002"),
                "libelleCommuneEtablissement": address.get("commune", "PARIS"),
            },
            "periodesEtablissement": [
                {"dateFin": None, "dateDebut": "2020-01-01", "etatAdministratifEtablissement": etat,
                 "denominationUsuelleEtablissement": denomination, "enseigne1Etablissement": None},
                {"dateFin": "2019-12-31", "dateDebut": "2000-01-01",
                 "etatAdministratifEtablissement": "F" if etat == "A" else "A",
                 "denominationUsuelleEtablissement": "ANCIEN NOM", "enseigne1Etablissement": None},
            ],
        },
    }


class FakeInsee:
    def __init__(self, establishments: Optional[Dict[str, dict]] = None, api_key: str = "test-key",
                 port: int = 0):
        self.establishments = dict(establishments or {})
        self.api_key = api_key
        self.faults: Deque[dict] = deque()
        self.requests: List[dict] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())  # port: a restart on the same
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, siret: str, etat: str = "A", denomination: str = "STRUCTURE", **address: str) -> None:
        self.establishments[siret] = etablissement_json(siret, etat, denomination, **address)

    def fail_next(self, status: int = 500, delay: float = 0.0, body: Optional[str] = None,
                  retry_after: Optional[str] = None) -> None:
        self.faults.append({"status": status, "delay": delay, "body": body, "retry_after": retry_after})

    def start(self) -> "FakeInsee":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_GET(self):
                fake.requests.append({"path": self.path, "key": self.headers.get(API_KEY_HEADER)})
                if self.headers.get(API_KEY_HEADER) != fake.api_key:
                    return self._send(401, {"fault": "Invalid Credentials"})
                if fake.faults:
                    fault = fake.faults.popleft()
                    time.sleep(fault["delay"])
                    if fault["body"] is not None:
                        return self._send_raw(fault["status"], fault["body"].encode())
                    headers = {"Retry-After": fault["retry_after"]} if fault["retry_after"] else {}
                    if fault["status"] != 200:
                        return self._send(fault["status"], {"header": {"statut": fault["status"]}}, headers)
                siret = self.path.rstrip("/").rsplit("/", 1)[-1]
                if not self.path.startswith("/siret/") or siret not in fake.establishments:
                    return self._send(404, {"header": {"statut": 404, "message": "Aucun élément trouvé"}})
                return self._send(200, fake.establishments[siret])

            def _send(self, status: int, payload: dict, headers: Optional[dict] = None):
                self._send_raw(status, json.dumps(payload).encode(), headers)

            def _send_raw(self, status: int, body: bytes, headers: Optional[dict] = None):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

        return Handler
