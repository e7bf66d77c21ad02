"""A sender process for the kill test: puts numbered rolls into an outbox and drains it.

Run as `python -m tests.core_client.outbox_sender URL SECRET OUTBOX FIRST LAST`.
It prints `put N` once roll N is durably stored, and `drained` when every
stored roll has been delivered. The test kills it with SIGKILL mid-stream.
"""

from __future__ import annotations

import asyncio
import sys

import httpx2

from core_client import CoreClient, Outbox
from tests.support.core import d20_roll


def event_id(n: int) -> str:
    """Return the event id of roll number `n` (the same in every run)."""
    return f"evt_kill_{n:05d}"


async def main(url: str, secret: str, path: str, first: int, last: int) -> None:
    """Put rolls `first`..`last`-1 at a steady pace, then wait for the outbox to drain."""
    async with httpx2.AsyncClient(timeout=2.0) as http:
        client = CoreClient(url, http, signing_secrets=[secret])
        async with Outbox(
            path, client.deliver, batch_size=20, base_delay=0.05, max_delay=0.2
        ) as box:
            for n in range(first, last):
                roll = d20_roll(n % 20 + 1, actor=str(n))
                await box.put(type(roll)(roll.type, roll.data, id=event_id(n)))
                print(f"put {n}", flush=True)
                await asyncio.sleep(0.002)
            drained = await box.flush(timeout=15)
            print("drained" if drained else "timeout", flush=True)


if __name__ == "__main__":
    url, secret, path, first, last = sys.argv[1:6]
    asyncio.run(main(url, secret, path, int(first), int(last)))
