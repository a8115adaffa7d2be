"""One training step traced and explained, sub-step by sub-step."""
