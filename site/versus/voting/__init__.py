"""Vote logic with no Flask imports: claims, tallies and the vote transaction."""
