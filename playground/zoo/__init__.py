"""The network zoo: one package per network type, each on the shared core (engine, layers)."""
