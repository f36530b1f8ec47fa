"""Blueprints and helpers for the reader-facing site."""
