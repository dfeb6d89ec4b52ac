"""Every setting of ClaudIA, read from environment variables with safe defaults.

This is the one place where configuration is documented; the README's
"Configuration" table mirrors it.
"""
from __future__ import annotations

import math
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Development-only secret: good enough for the demo and the tests, refused in production.
DEV_JWT_SECRET = "claudia-development-secret-not-for-production"
ENVIRONMENTS = ("development", "production")
# Bits a secret must show by its characters' frequencies (32 random hex digits show ~118).
MIN_SECRET_BITS = 100
MIN_SECRET_LENGTH = 32


class InsecureConfiguration(Exception):
    """Production mode with a development default: refuse to start."""


@dataclass(frozen=True)
class Settings:
    # "production" refuses development defaults (see check_production).
    environment: str
    # Database of the structure registry, the audit journal and conversation owners.
    db_url: str
    # HS256 secret that signs the portal's tokens (shared with the portal).
    jwt_secret: str
    # Optional expected audience ("aud" claim); when unset, tokens carrying one are refused.
    jwt_audience: Optional[str]
    # "api" for the INSEE API Sirene 3.11, otherwise the path of a StockEtablissement CSV.
    sirene_source: str
    sirene_api_url: str
    insee_api_key: str
    # Bounds on each SIRENE API call (seconds) and on waiting after a 429.
    sirene_timeout: float
    sirene_max_retry_wait: float
    # How long a SIRENE answer is reused (seconds); 0 disables the cache.
    sirene_cache_ttl: float
    # Longest user message accepted by the connected channel (characters).
    max_message_length: int
    # Live chat opening hours (see claudia/opening_hours.py) and their time zone.
    livechat_hours: str
    timezone: str
    # Rasa's SQL tracker store (the retention of not-connected conversations deletes from it).
    tracker_db_url: str = ""
    # Not-connected chats: messages per conversation, messages per address and minute,
    # and hours without a message after which they are deleted.
    anonymous_max_messages: int = 60
    anonymous_rate_per_minute: int = 30
    anonymous_retention_hours: float = 24.0
    # How long what users leave is kept, in days (0: kept for ever), then purged by
    # `python -m claudia.admin purge` (claudia/retention.py, docs/operations.md): conversations
    # (tracker store events, owner, activity, pushed messages, review index) from their last
    # event; evaluations from when they were given; ended live chats and answered messages
    # from when they ended. The audit journal is not purged.
    conversation_retention_days: float = 180.0
    evaluation_retention_days: float = 365.0
    livechat_retention_days: float = 180.0
    # Seconds between two passes of the supervised purge program (`purge --loop`).
    purge_every_seconds: float = 3600.0
    # Failed sign-ins (portal stand-in, console) per account and address (or trusted device)
    # before each further attempt of that pair waits 1 s, 2 s, 4 s… up to the longest delay
    # (seconds); failures are forgotten after the memory (hours) or at a success (claudia/throttle.py).
    login_free_failures: int = 5
    login_longest_delay: float = 900.0
    login_failure_memory_hours: float = 24.0
    # French public holidays of this subdivision ("57", "67", "68", "971"...; empty: metropolitan
    # France only) and extra closure dates ("2026-12-24, 2026-08-10..2026-08-14").
    holidays_subdivision: str = ""
    livechat_closed_dates: str = ""
    # A waiting request whose user gave no news for this long (seconds) expires.
    livechat_abandon_seconds: float = 120.0
    # Demos and tests only: the opening hours read this fixed moment (ISO 8601) instead of
    # the clock, e.g. to show a public holiday. Refused in production.
    livechat_clock: str = ""


def _default_db_url() -> str:
    return f"sqlite:///{PROJECT_ROOT / 'var' / 'claudia.db'}"


def _environment(value: Optional[str]) -> str:
    name = (value or "development").strip().lower()
    if name not in ENVIRONMENTS:
        # "prod", "staging"...: running as development by mistake would be worse than stopping.
        raise InsecureConfiguration(
            f"CLAUDIA_ENV={value!r} is not one of {', '.join(ENVIRONMENTS)}: refusing to start")
    return name


def load_settings() -> Settings:
    env = os.environ
    return Settings(
        environment=_environment(env.get("CLAUDIA_ENV")),
        db_url=env.get("CLAUDIA_DB_URL") or _default_db_url(),
        jwt_secret=env.get("CLAUDIA_JWT_SECRET") or DEV_JWT_SECRET,
        jwt_audience=env.get("CLAUDIA_JWT_AUDIENCE") or None,
        sirene_source=env.get("SIRENE_SOURCE")
        or str(PROJECT_ROOT / "demo" / "sirene.csv"),
        sirene_api_url=(
            env.get("SIRENE_API_URL") or "https://api.insee.fr/api-sirene/3.11"
        ).rstrip("/"),
        insee_api_key=env.get("INSEE_API_KEY", ""),
        sirene_timeout=float(env.get("SIRENE_TIMEOUT", "5")),
        sirene_max_retry_wait=float(env.get("SIRENE_MAX_RETRY_WAIT", "4")),
        sirene_cache_ttl=float(env.get("SIRENE_CACHE_TTL", "60")),
        max_message_length=int(env.get("CLAUDIA_MAX_MESSAGE_LENGTH", "1000")),
        livechat_hours=env.get("CLAUDIA_LIVECHAT_HOURS", "mon-fri 08:30-18:30"),
        timezone=env.get("CLAUDIA_TIMEZONE", "Europe/Paris"),
        tracker_db_url=env.get("CLAUDIA_TRACKER_DB_URL") or f"sqlite:///{PROJECT_ROOT / 'var' / 'tracker.db'}",
        anonymous_max_messages=int(env.get("CLAUDIA_ANONYMOUS_MAX_MESSAGES", "60")),
        anonymous_rate_per_minute=int(env.get("CLAUDIA_ANONYMOUS_RATE", "30")),
        anonymous_retention_hours=float(env.get("CLAUDIA_ANONYMOUS_RETENTION_HOURS", "24")),
        conversation_retention_days=float(env.get("CLAUDIA_CONVERSATION_RETENTION_DAYS", "180")),
        evaluation_retention_days=float(env.get("CLAUDIA_EVALUATION_RETENTION_DAYS", "365")),
        livechat_retention_days=float(env.get("CLAUDIA_LIVECHAT_RETENTION_DAYS", "180")),
        purge_every_seconds=float(env.get("CLAUDIA_PURGE_EVERY_SECONDS", "3600")),
        login_free_failures=int(env.get("CLAUDIA_LOGIN_FREE_FAILURES", "5")),
        login_longest_delay=float(env.get("CLAUDIA_LOGIN_LONGEST_DELAY", "900")),
        login_failure_memory_hours=float(env.get("CLAUDIA_LOGIN_FAILURE_MEMORY_HOURS", "24")),
        holidays_subdivision=env.get("CLAUDIA_HOLIDAYS_SUBDIVISION", "").strip(),
        livechat_closed_dates=env.get("CLAUDIA_LIVECHAT_CLOSED_DATES", ""),
        livechat_abandon_seconds=float(env.get("CLAUDIA_LIVECHAT_ABANDON_SECONDS", "120")),
        livechat_clock=env.get("CLAUDIA_LIVECHAT_CLOCK", "").strip(),
    )


def secret_strength(value: str) -> float:
    """Bits of a secret, estimated from its characters' frequencies (0 for "aaaa...")."""
    if not value:
        return 0.0
    counts = Counter(value)
    per_char = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    return per_char * len(value)


def _repeats_itself(value: str) -> bool:
    """"abcabcabc...": the same piece over and over (period at most half the length)."""
    return any(value[period:] == value[:-period] for period in range(1, len(value) // 2 + 1))


def weak_secret(name: str, value: Optional[str]) -> Optional[str]:
    """Why `value` is not fit to be the production secret `name`, or None."""
    if not value:
        return f"{name} must be set"
    if value != value.strip() or any(c.isspace() for c in value):
        return f"{name} must not contain spaces (a padded value is refused)"
    if DEV_JWT_SECRET in value.lower() or (len(value) >= 8 and value.lower() in DEV_JWT_SECRET):
        return f"{name} must not be (or contain) the development secret"
    if len(value) < MIN_SECRET_LENGTH:
        return f"{name} must be at least {MIN_SECRET_LENGTH} characters long"
    if secret_strength(value) < MIN_SECRET_BITS or _repeats_itself(value):
        return f"{name} is too predictable (repeated characters): use a random value"
    return None


def check_production(settings: Settings, environ: Optional[dict] = None) -> None:
    """In production, every secret must come from the environment, none from the defaults."""
    if settings.environment != "production":
        return
    env = os.environ if environ is None else environ
    problems = [problem for problem in (
        weak_secret("CLAUDIA_JWT_SECRET", env.get("CLAUDIA_JWT_SECRET")),
        *(weak_secret(name, env[name]) for name in ("CLAUDIA_ACTIONS_TOKEN", "CLAUDIA_RASA_API_TOKEN",
                                                     "CLAUDIA_METRICS_TOKEN") if name in env),
    ) if problem]
    if not env.get("CLAUDIA_DB_URL"):
        problems.append("CLAUDIA_DB_URL must be set explicitly")
    if settings.sirene_source.strip().lower() == "api" and not settings.insee_api_key:
        problems.append("INSEE_API_KEY must be set with SIRENE_SOURCE=api")
    if settings.livechat_clock:
        problems.append("CLAUDIA_LIVECHAT_CLOCK is for demos and tests only")
    if problems:
        raise InsecureConfiguration("production mode refused: " + "; ".join(problems))
