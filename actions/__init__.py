"""ClaudIA's custom actions and the modules they rely on."""
from actions.config import check_production, load_settings

# Refuse to start in production with a development default (CLAUDIA_ENV=production).
check_production(load_settings())
