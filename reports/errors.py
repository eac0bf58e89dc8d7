class ReportError(Exception):
    """A report cannot be produced; the message is shown to the user (reports.notes.localize
    puts the Chinese texts raised while collecting a report into the reader's language)."""
