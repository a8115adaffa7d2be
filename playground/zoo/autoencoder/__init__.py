"""Autoencoders: an encoder squeezes the input into a small code, a decoder rebuilds it."""
