"""Awards registry and the mayor's quality award (filled in by the awards issue)."""
