"""ClaudIA's core: the domain (registry and its rules, SIRET, SIRENE, identity,
feedback, live-chat queue, opening hours) and its adapters (database, INSEE API).

Knows nothing of Rasa or the web: `actions/`, `channels/` and `web/` import it,
never the other way round (tests/test_layout.py checks it).
"""
