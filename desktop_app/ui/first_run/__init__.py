"""The first-run guide: country, shop details, import, a test pair to yourself."""
