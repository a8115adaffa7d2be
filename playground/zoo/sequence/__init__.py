"""Recurrent networks (rnn, lstm, gru) and a small transformer on sequence tasks (issue 13)."""
