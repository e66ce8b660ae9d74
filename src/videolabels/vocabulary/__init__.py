"""vocabulary layer."""
