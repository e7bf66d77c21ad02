"""A scripted stand-in for `random.Random`: it returns queued die faces in order."""

from __future__ import annotations

from collections import deque


class ScriptedRng:
    """Answer `randrange(n)` with the next queued face (1..n) minus one.

    Fate dice are drawn with `randrange(3)` and shifted by -1, so queue the faces
    1, 2, 3 for -1, 0, +1 (see `fate`).
    """

    def __init__(self, *faces: int) -> None:
        self.faces = deque(faces)
        self.calls: list[int] = []

    def randrange(self, n: int) -> int:
        """Return the next scripted face for a die of `n` faces, zero-based."""
        self.calls.append(n)
        if not self.faces:
            raise AssertionError(f"the script ran out of faces (randrange({n}))")
        face = self.faces.popleft()
        if not 1 <= face <= n:
            raise AssertionError(f"face {face} cannot come from randrange({n})")
        return face - 1

    def randint(self, a: int, b: int) -> int:
        """Return the next scripted face; mirrors `random.Random.randint`."""
        return self.randrange(b - a + 1) + a

    @property
    def exhausted(self) -> bool:
        """Return whether every queued face was used."""
        return not self.faces


def fate(*values: int) -> tuple[int, ...]:
    """Turn Fate faces (-1, 0, +1) into scripted faces."""
    return tuple(v + 2 for v in values)
