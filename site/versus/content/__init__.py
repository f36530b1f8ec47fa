"""Comparison content files: parsing, validation, import and export."""
