"""The Optimizer lab: races, loss landscapes and their views."""
