"""The classroom layer: lessons, goals, challenges and their storage."""
