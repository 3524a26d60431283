"""Subprocess for the crash test: writes forever, printing each write once it is acknowledged.

Usage: python crash_writer.py URL ROUND WRITERS. Each writer w creates `/crash/<round>/<w>/<i>`
for i = 0, 1, ... one after another and bumps `/crash/counter/<w>` (CAS) after every create.
Each acknowledged write is printed (and flushed) as `create KEY REV` or `counter KEY N REV`
only after the store returned it, so every printed line is a write the store acknowledged.
"""

from __future__ import annotations

import asyncio
import sys

from steersman.storage import KeyValue, connect_store


async def main(url: str, round_: str, writers: int) -> None:
    store = await connect_store(url)
    out = sys.stdout
    print("ready", store.current_revision(), flush=True)

    async def write(w: int) -> None:
        counter_key = f"/crash/counter/{w}"
        counter = await store.get(counter_key)
        if counter is None:
            counter = await store.create(counter_key, b"0")
        i = 0
        while True:
            kv = await store.create(f"/crash/{round_}/{w}/{i:06d}", f"{w}:{i}".encode() * 20)
            out.write(f"create {kv.key} {kv.mod_revision}\n")

            async def bump(cur: KeyValue) -> bytes:
                return str(int(cur.value) + 1).encode()

            counter = await store.guaranteed_update(counter_key, bump)
            out.write(f"counter {counter_key} {int(counter.value)} {counter.mod_revision}\n")
            out.flush()
            i += 1

    await asyncio.gather(*(write(w) for w in range(writers)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
