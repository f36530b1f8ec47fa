"""The load benchmark, run by ``make bench`` or ``python -m bench``."""
