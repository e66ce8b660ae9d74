"""insights layer."""
