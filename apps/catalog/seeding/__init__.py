"""The deterministic demo catalog behind `seed_catalog`: `generate` draws it, `write` stores it."""
