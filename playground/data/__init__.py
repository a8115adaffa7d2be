"""Data sources: the 2-D point sets and CSV files."""
