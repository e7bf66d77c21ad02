"""Read a /metrics answer as Prometheus would."""

from __future__ import annotations

import httpx2
from prometheus_client.parser import text_string_to_metric_families


async def scrape(http: httpx2.AsyncClient, url: str = "/metrics") -> dict[tuple[str, str], float]:
    """Return every sample of a /metrics answer by (name, sorted labels as text)."""
    response = await http.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
            samples[(s.name, labels)] = s.value
    return samples
