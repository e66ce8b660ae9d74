"""Alembic environment. The server runs migrations itself (`db.migrate`), passing its
connection in `config.attributes`; run from the alembic CLI (for `alembic revision`),
it connects to `VIDEOLABELS_DATABASE_URL` or the default SQLite file instead."""

from __future__ import annotations

from alembic import context

from videolabels.service.models import Base

target_metadata = Base.metadata


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    from videolabels.service.db import make_engine
    from videolabels.service.settings import Settings

    engine = make_engine(Settings().resolved_database_url())
    with engine.begin() as conn:
        _run(conn)
