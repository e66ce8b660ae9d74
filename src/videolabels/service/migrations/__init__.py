"""Alembic migrations of the service database; run by `videolabels serve` on start."""
