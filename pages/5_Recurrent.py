"""Recurrent networks: train an RNN, LSTM or GRU live on sequences and watch its hidden state, its
gates and the gradient reaching back through time (the page is pages/common/sequence_page.py)."""

from pages.common.sequence_page import render

render("recurrent")
