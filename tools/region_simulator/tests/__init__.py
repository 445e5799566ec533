"""Unit tests of the region simulator (python3 -m unittest discover in tools/)."""
