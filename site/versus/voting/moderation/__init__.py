"""Moderation with no Flask imports: voids, resets, restores, closes and the audit log.

Every function takes a SQLAlchemy session (and the vote guard where Redis claims
change), so the web views, the ``flask moderate`` commands and the tests share it.
"""
