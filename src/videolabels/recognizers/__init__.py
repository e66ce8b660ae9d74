"""recognizers layer."""
