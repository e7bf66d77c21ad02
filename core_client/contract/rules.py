"""A crit rule in force, as Core hands it to clients to evaluate."""

from __future__ import annotations

from typing import Annotated

import msgspec

from core_client.contract.enums import Comparison, Reads
from core_client.contract.scalars import MAX_SIDES, PRESENT, Id

Severity = Annotated[int, msgspec.Meta(ge=-(2**31), lt=2**31)]
Threshold = Annotated[int, msgspec.Meta(ge=-(10**9), le=10**9)]
Size = Annotated[int, msgspec.Meta(ge=0, le=MAX_SIDES)]
CritType = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=PRESENT)]


class Rule(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An effective rule, ready to evaluate; `dice` are the die sizes it applies to."""

    key: Id
    dice: Annotated[tuple[Size, ...], msgspec.Meta(max_length=100)]
    reads: Reads
    comparison: Comparison
    threshold: Threshold
    crit_type: CritType
    severity: Severity
