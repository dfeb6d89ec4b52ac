"""ClaudIA's custom actions and the modules they rely on."""
