"""The SIRENE directory: is an establishment open or closed, what is its address.

Two real sources behind one small interface (`lookup(siret)`):
- `CsvSirene` reads an extract in INSEE's StockEtablissement CSV format;
- `ApiSirene` calls the INSEE API Sirene 3.11 (`GET /siret/{siret}`).
`CachedSirene` keeps answers for a short while so a conversation that looks
the same SIRET up twice (check, then write) costs one call and respects the
API's 30 requests/minute quota.
"""
from __future__ import annotations

import csv
import logging
import threading
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Callable, Dict, Mapping, Optional, Protocol, Tuple

import requests

from claudia import metrics
from claudia.config import Settings

logger = logging.getLogger(__name__)

# INSEE's codes for street types, spelled out for the people reading the address.
_STREET_TYPES = {
    "ALL": "Allée", "AV": "Avenue", "BD": "Boulevard", "CAR": "Carrefour",
    "CHE": "Chemin", "CHS": "Chaussée", "CITE": "Cité", "COR": "Corniche",
    "CRS": "Cours", "DOM": "Domaine", "ESP": "Esplanade", "FG": "Faubourg",
    "HAM": "Hameau", "IMP": "Impasse", "LD": "Lieu-dit", "PL": "Place",
    "PRO": "Promenade", "QUA": "Quai", "QUAI": "Quai", "RES": "Résidence",
    "RPT": "Rond-point", "RTE": "Route", "RUE": "Rue", "SQ": "Square",
    "VLA": "Villa", "VOIE": "Voie",
}


class SireneUnavailable(Exception):
    """SIRENE could not answer (timeout, quota, server error, unreadable answer)."""


@dataclass(frozen=True)
class Etablissement:
    siret: str
    # True when the establishment is open ("A"), False when closed ("F").
    active: bool
    denomination: str
    address: str

    def as_dict(self) -> dict:
        return {
            "siret": self.siret,
            "active": self.active,
            "denomination": self.denomination,
            "address": self.address,
        }


class SireneSource(Protocol):
    def lookup(self, siret: str) -> Optional[Etablissement]:
        """The establishment, None when SIRENE does not know the SIRET.

        Raises SireneUnavailable when SIRENE cannot say."""


def _clean(value: Optional[str]) -> str:
    return " ".join((value or "").split())


def format_address(fields: Mapping[str, Optional[str]]) -> str:
    """One line from INSEE's address fields (same names in the CSV and the API)."""
    street_type = _clean(fields.get("typeVoieEtablissement"))
    street = " ".join(
        part
        for part in (
            _clean(fields.get("numeroVoieEtablissement")),
            _clean(fields.get("indiceRepetitionEtablissement")),
            _STREET_TYPES.get(street_type.upper(), street_type),
            _clean(fields.get("libelleVoieEtablissement")),
        )
        if part
    )
    town = " ".join(
        part
        for part in (
            _clean(fields.get("codePostalEtablissement")),
            _clean(fields.get("libelleCommuneEtablissement")),
        )
        if part
    )
    extra = _clean(fields.get("complementAdresseEtablissement"))
    return ", ".join(part for part in (extra, street, town) if part)


def _denomination(period: Mapping, unite_legale: Mapping) -> str:
    return (
        _clean(period.get("denominationUsuelleEtablissement"))
        or _clean(period.get("enseigne1Etablissement"))
        or _clean(unite_legale.get("denominationUniteLegale"))
    )


class CsvSirene:
    """An INSEE StockEtablissement extract, read once into memory.

    Only the columns the assistant shows are kept; unknown columns are
    ignored and missing optional ones read as empty. Meant for extracts
    (a department, the portal's structures), not the 40-million-row stock.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._rows: Dict[str, Etablissement] = {}
        with self.path.open(newline="", encoding="utf-8-sig") as handle:
            for row in csv.DictReader(handle):
                etab = self._from_row(row)
                if etab:
                    self._rows[etab.siret] = etab

    @staticmethod
    def _from_row(row: Mapping[str, Optional[str]]) -> Optional[Etablissement]:
        siret = _clean(row.get("siret"))
        if not siret and row.get("siren") and row.get("nic"):
            siret = _clean(row.get("siren")) + _clean(row.get("nic"))
        if not siret:
            return None
        state = _clean(row.get("etatAdministratifEtablissement")).upper()
        return Etablissement(
            siret=siret,
            active=state != "F",
            denomination=_denomination(row, row),
            address=format_address(row),
        )

    def lookup(self, siret: str) -> Optional[Etablissement]:
        return self._rows.get(siret)


class ApiSirene:
    """The INSEE API Sirene 3.11, with bounded timeouts and 429 back-off."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        timeout: float = 5.0,
        max_retry_wait: float = 4.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retry_wait = max_retry_wait
        self._sleep = sleep
        self._session = requests.Session()
        self._session.headers.update(
            {"X-INSEE-Api-Key-Integration": api_key, "Accept": "application/json"}
        )

    def lookup(self, siret: str) -> Optional[Etablissement]:
        waited = 0.0
        while True:
            response = self._get(siret)
            if response.status_code != 429:
                return self._read(siret, response)
            delay = self._retry_after(response)
            if waited + delay > self.max_retry_wait:
                raise SireneUnavailable("quota INSEE dépassé (429)")
            logger.info("SIRENE quota reached, retrying in %.1fs", delay)
            self._sleep(delay)
            waited += delay

    def _get(self, siret: str) -> requests.Response:
        try:
            return self._session.get(
                f"{self.base_url}/siret/{siret}",
                timeout=(min(self.timeout, 3.0), self.timeout),
            )
        except requests.RequestException as exc:
            raise SireneUnavailable(f"SIRENE injoignable: {exc.__class__.__name__}") from exc

    @staticmethod
    def _retry_after(response: requests.Response) -> float:
        header = response.headers.get("Retry-After", "")
        try:
            return max(0.0, float(header))
        except ValueError:
            pass
        try:
            return max(0.0, parsedate_to_datetime(header).timestamp() - time.time())
        except (TypeError, ValueError):
            return 2.0  # INSEE's quota is per minute; two seconds is a polite first wait

    @staticmethod
    def _read(siret: str, response: requests.Response) -> Optional[Etablissement]:
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise SireneUnavailable(f"SIRENE a répondu {response.status_code}")
        try:
            etab = response.json()["etablissement"]
            periods = etab.get("periodesEtablissement") or []
            current = next((p for p in periods if p.get("dateFin") is None), None)
            if current is None:
                current = periods[0] if periods else {}
            return Etablissement(
                siret=str(etab.get("siret") or siret),
                active=(current.get("etatAdministratifEtablissement") or "A") != "F",
                denomination=_denomination(current, etab.get("uniteLegale") or {}),
                address=format_address(etab.get("adresseEtablissement") or {}),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise SireneUnavailable("réponse SIRENE illisible") from exc


class CachedSirene:
    """Keeps found / not-found answers for `ttl` seconds; failures are never kept."""

    def __init__(self, source: SireneSource, ttl: float, clock: Callable[[], float] = time.monotonic):
        self.source = source
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._answers: Dict[str, Tuple[float, Optional[Etablissement]]] = {}

    def lookup(self, siret: str) -> Optional[Etablissement]:
        now = self._clock()
        with self._lock:
            cached = self._answers.get(siret)
        if cached and now - cached[0] < self.ttl:
            return cached[1]
        answer = self.source.lookup(siret)
        with self._lock:
            self._answers[siret] = (now, answer)
        return answer


class MeteredSirene:
    """Counts and times the look-ups that reach the source (claudia/metrics.py)."""

    def __init__(self, source: SireneSource):
        self.source = source

    def lookup(self, siret: str) -> Optional[Etablissement]:
        started, result = time.perf_counter(), "error"
        try:
            answer = self.source.lookup(siret)
            result = "not_found" if answer is None else "found"
            return answer
        finally:
            metrics.SIRENE_CALLS.labels(result).inc()
            metrics.SIRENE_SECONDS.observe(time.perf_counter() - started)


def build_sirene(settings: Settings) -> SireneSource:
    if settings.sirene_source.strip().lower() == "api":
        source: SireneSource = ApiSirene(
            settings.sirene_api_url,
            settings.insee_api_key,
            timeout=settings.sirene_timeout,
            max_retry_wait=settings.sirene_max_retry_wait,
        )
    else:
        source = CsvSirene(settings.sirene_source)
    if metrics.enabled():
        source = MeteredSirene(source)
    if settings.sirene_cache_ttl > 0:
        return CachedSirene(source, settings.sirene_cache_ttl)
    return source
