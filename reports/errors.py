class ReportError(Exception):
    """A report cannot be produced; the message is shown to the user as is (Chinese)."""
