"""ClaudIA's Rasa SDK actions and form: thin adapters over the core (`claudia`)."""
from claudia.config import check_production, load_settings

# Refuse to start in production with a development default (CLAUDIA_ENV=production).
check_production(load_settings())
