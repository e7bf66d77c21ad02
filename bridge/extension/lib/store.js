// The service worker's keys in extension storage, each changed one write at a time.
//
// Several handlers run at once in the worker: a Roll20 page that shows a burst
// of messages sends one message per line, and each handler adds its line to
// the outbox while the drain removes what was posted. chrome.storage has no
// transaction, so a read-modify-write that overlaps another loses one of the
// two changes (a line never relayed). Every write of a key therefore goes
// through that key's queue: `update` reads, changes and writes with no other
// write of the key in between. One worker runs per extension, so a queue in
// memory is enough; pages only read.

/** Wrap a `chrome.storage` area (anything with async get/set/remove). */
export function createStore(area) {
  const tails = new Map(); // key -> the last queued write of that key

  function queued(key, write) {
    const done = (tails.get(key) ?? Promise.resolve()).then(write);
    const tail = done.catch(() => {}); // a failed write must not block the next one
    tails.set(key, tail);
    tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return done;
  }

  async function get(key, fallback) {
    return (await area.get(key))[key] ?? fallback;
  }

  return {
    get,
    /** Write `value`, after the key's writes already queued. */
    set: (key, value) => queued(key, () => area.set({ [key]: value })),
    /** Replace the key's value with `change(value)`; resolve to the new value. */
    update: (key, fallback, change) =>
      queued(key, async () => {
        const value = change(await get(key, fallback));
        await area.set({ [key]: value });
        return value;
      }),
    /** Forget these keys, after their writes already queued. */
    remove: (keys) => Promise.all(keys.map((key) => queued(key, () => area.remove(key)))),
  };
}
