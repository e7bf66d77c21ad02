"""Run schemathesis against a live server: every operation of a spec, bounded and repeatable.

The server runs on the test's event loop (uvicorn on loopback, `serve`); the
cases are generated and sent from a worker thread (`run_in_thread`), since
hypothesis and schemathesis' transport are synchronous. Generation is
derandomized (the same cases every run, no example database) and bounded
per operation, so the run takes the same few seconds each time. Every
mismatch of every operation is collected and reported together, so one run
lists all the ways the server and its spec disagree.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import hypothesis.errors
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS: tuple[CheckFunction, ...] = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
)

# How one case is sent: extra headers and request kwargs, chosen per case.
Prepare = Callable[[Any], Mapping[str, Any]]


@dataclass
class Report:
    """What a run sent and what disagreed with the spec."""

    sent: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, set[int]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def fuzz(
    spec: Mapping[str, Any],
    base_url: str,
    prepare: Prepare,
    *,
    max_examples: int,
    fewer: Mapping[str, int] | None = None,
    modes: tuple[GenerationMode, ...] = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
) -> Report:
    """Send generated cases of every operation in `spec`; return what disagreed.

    `fewer` bounds some operations lower, by label (a stream case waits out
    its read timeout).
    """
    schema = schemathesis.openapi.from_dict(dict(spec))
    report = Report()
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            budget = (fewer or {}).get(operation.label, max_examples)
            for mode in modes:
                _fuzz_operation(operation, mode, base_url, prepare, session, budget, report)
    return report


def _fuzz_operation(
    operation: Any,
    mode: GenerationMode,
    base_url: str,
    prepare: Prepare,
    session: requests.Session,
    max_examples: int,
    report: Report,
) -> None:
    label = operation.label

    @hypothesis.settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def send(case: Any) -> None:
        kwargs = dict(prepare(case))
        headers = kwargs.pop("headers", {})
        response = case.call(base_url=base_url, session=session, headers=headers, **kwargs)
        report.sent[label] = report.sent.get(label, 0) + 1
        report.statuses.setdefault(label, set()).add(response.status_code)
        try:
            case.validate_response(response, checks=list(CHECKS), headers=headers)
        except (Exception, BaseExceptionGroup) as exc:  # failed checks: keep them, go on
            found = exc.exceptions if isinstance(exc, BaseExceptionGroup) else (exc,)
            for failure in found:
                report.failures.append(_describe(label, mode, case, response, failure))

    try:
        send()
    except hypothesis.errors.Unsatisfiable:
        # Nothing to make invalid (no parameters, no body): only positive cases.
        assert mode is GenerationMode.NEGATIVE, f"{label}: no valid case can be generated"


def _describe(label: str, mode: GenerationMode, case: Any, response: Any, failure: Any) -> str:
    title = getattr(failure, "title", type(failure).__name__)
    message = " ".join(str(getattr(failure, "message", failure)).split())[:600]
    sent = case.as_curl_command(headers={"Authorization": "[filtered]"})
    return (
        f"{label} [{mode.value}] -> {response.status_code} {title}: {message}\n"
        f"  body: {response.text[:300]}\n  sent: {sent[:600]}"
    )


async def run_in_thread(*args: Any, **kwargs: Any) -> Report:
    """Run `fuzz` off the event loop, so the server on it keeps answering."""
    return await asyncio.to_thread(fuzz, *args, **kwargs)


# Bodies no generator sends, and the status each must get on every route that
# takes a body: malformed JSON, a body not declared as JSON, one over the limit.
BAD_BODIES: tuple[tuple[str, bytes, str, int], ...] = (
    ("malformed", b'{"game_id": ', "application/json", 400),
    ("not declared JSON", b"{}", "text/plain", 415),
    ("over the limit", b"[" + b"0," * 1_100_000 + b"0]", "application/json", 413),
)


def bad_bodies(
    spec: Mapping[str, Any], base_url: str, prepare: Callable[[Any, bytes], Mapping[str, Any]]
) -> dict[str, dict[str, int]]:
    """Send each of BAD_BODIES to every operation with a body; return the statuses.

    Each answer is validated against the spec like a generated case's.
    `prepare(case, body)` returns the case's headers (credentials, signature).
    """
    schema = schemathesis.openapi.from_dict(dict(spec))
    seen: dict[str, dict[str, int]] = {}
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            if "requestBody" not in operation.definition.raw:
                continue
            for name, body, content_type, _ in BAD_BODIES:
                names = re.findall(r"{(\w+)}", operation.path)
                case = operation.Case(
                    media_type="application/json",
                    body={},
                    path_parameters=dict.fromkeys(names, "x"),
                )
                headers = {**prepare(case, body), "Content-Type": content_type}
                response = case.call(
                    base_url=base_url, session=session, headers=headers, data=body, timeout=30
                )
                case.validate_response(response, checks=list(CHECKS), headers=headers)
                seen.setdefault(operation.label, {})[name] = response.status_code
    return seen
