"""Bounded arithmetic with Roll20 semantics; every failure becomes a `DiceError`.

Numbers stay `int` while exact; `/` and fractional powers may give a `float`, and a
float with an integral value is turned back into an `int` so `6/2` shows `3`.
Every result is bounded by `Limits.max_digits`, so no huge integer, infinity or NaN
can appear and nothing downstream (str(), float()) can overflow.
"""

from __future__ import annotations

import math
from typing import TypeAlias

from .errors import DiceLimitError, DiceMathError

Number: TypeAlias = int | float


def normalize(value: Number) -> Number:
    """Return `value` as an int when it is a float with an integral value."""
    if type(value) is float and value.is_integer():
        return int(value)
    return value


def bounded(value: Number, bound: int, column: int) -> Number:
    """Return `value` unless its magnitude exceeds `bound` (also rejects NaN and infinity)."""
    if -bound <= value <= bound:
        return value
    digits = len(str(bound)) - 1
    raise DiceLimitError(f"A result is too large (limit {digits} digits)", column)


def divide(left: Number, right: Number, column: int) -> Number:
    """Divide like Roll20: a true division that stays whole when exact."""
    if right == 0:
        raise DiceMathError("Division by zero", column)
    if type(left) is int and type(right) is int:
        quotient, remainder = divmod(left, right)
        if remainder == 0:
            return quotient
    return normalize(left / right)


def modulo(left: Number, right: Number, column: int) -> Number:
    """Return the remainder with the sign of the dividend (JavaScript `%`, as in Roll20)."""
    if right == 0:
        raise DiceMathError("Modulo by zero", column)
    if type(left) is int and type(right) is int:
        remainder = abs(left) % abs(right)
        return -remainder if left < 0 else remainder
    return normalize(math.fmod(left, right))


def power(base: Number, exponent: Number, bound: int, column: int) -> Number:
    """Raise `base` to `exponent`, refusing results beyond `bound` before computing them."""
    if type(base) is int and type(exponent) is int and exponent >= 0:
        # A lower bound on the result's size, so 9**999999 is refused without computing it.
        if abs(base) > 1 and exponent * (abs(base).bit_length() - 1) > bound.bit_length():
            return bounded(math.inf, bound, column)
        return bounded(base**exponent, bound, column)
    if base == 0 and exponent < 0:
        raise DiceMathError("Zero cannot be raised to a negative power", column)
    if base < 0 and not float(exponent).is_integer():
        raise DiceMathError("A negative number cannot be raised to a fractional power", column)
    try:
        result = float(base) ** float(exponent)
    except OverflowError:
        result = math.inf
    return bounded(normalize(result), bound, column)


def apply(op: str, left: Number, right: Number, bound: int, column: int) -> Number:
    """Apply a binary operator and bound the result."""
    if op == "+":
        result = left + right
    elif op == "-":
        result = left - right
    elif op == "*":
        result = normalize(left * right)
    elif op == "/":
        result = divide(left, right, column)
    elif op == "%":
        result = modulo(left, right, column)
    else:
        return power(left, right, bound, column)
    return bounded(result, bound, column)


def js_round(value: Number) -> int:
    """Round half up, toward positive infinity, like JavaScript's Math.round used by Roll20."""
    if type(value) is int:
        return value
    return math.floor(value + 0.5)


def call(name: str, value: Number) -> Number:
    """Apply one of the functions `floor`, `ceil`, `round`, `abs`."""
    if name == "floor":
        return value if type(value) is int else math.floor(value)
    if name == "ceil":
        return value if type(value) is int else math.ceil(value)
    if name == "round":
        return js_round(value)
    return abs(value)
