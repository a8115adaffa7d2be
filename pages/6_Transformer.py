"""Transformer: train a tiny transformer live on sequences and watch every attention weight, the
positional encodings and the token embeddings (the page is pages/common/sequence_page.py)."""

from pages.common.sequence_page import render

render("transformer")
