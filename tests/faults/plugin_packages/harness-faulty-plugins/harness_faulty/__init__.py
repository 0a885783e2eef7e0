"""Plugins that each fail at one point; ``common`` holds what they share."""
