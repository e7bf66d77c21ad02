"""`storage.bulk`: the connection kept per transaction, on both databases."""

from __future__ import annotations

from storage import bulk, db


async def test_a_transaction_keeps_its_connection_and_the_next_one_asks_again(
    core_database_url: str,
) -> None:
    engine = db.create_engine(core_database_url)
    try:
        session = db.sessionmaker(engine)()
        async with session:
            async with session.begin():
                first = await bulk.connection(session)
                assert await bulk.connection(session) is first
                assert first is await session.connection()
            async with session.begin():  # the same session, a new transaction
                second = await bulk.connection(session)
                assert second is await session.connection()
                assert second is not first
                assert await bulk.execute(second, "SELECT 1") == [(1,)]
    finally:
        await engine.dispose()
