"""The shared core: config, registries, models, the chunked training engine."""
