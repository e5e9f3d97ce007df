"""Health ingestion for `make bench`: batches through the API against a raw COPY of the same rows.

For batches of 1,000 and 10,000 samples: POST /api/v1/health/data/batch/ over HTTP to the
gunicorn under test (new samples each run: all created), then the last batch again (all
unchanged), then the same rows written by ``COPY health_sample FROM STDIN`` (psycopg, one
transaction, committed) for another user of the same tenant, in the same run. The ratio is the
API's samples/s over COPY's: the whole request (HTTP, JSON parsing, validation, the upsert with
its unique index, the response) against the database's fastest way in.

Runs in the harness (no Django): the standard library and psycopg.
"""

from __future__ import annotations

import http.client
import json
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import psycopg

PATH = "/api/v1/health/data/batch/"
SIZES = (1_000, 10_000)
RUNS = {1_000: 10, 10_000: 4}
COPY_EMAIL = "health-copy@bench.example"  # created by endpoints.seed_health
COPY_COLUMNS = (
    "tenant_id, user_id, metric, value, stage, start_time, end_time, source, source_name, device, "
    "external_id, version, created_at, updated_at"
)


def _samples(size: int, run: int, start: datetime) -> list[dict[str, Any]]:
    return [
        {
            "metric": "heart_rate",
            "value": 55 + (i % 60),
            "start_time": (start + timedelta(seconds=5 * i)).isoformat(),
            "source": "partner",
            "source_name": "Bench Watch",
            "external_id": f"ingest-{size}-{run}-{i}",
        }
        for i in range(size)
    ]


def _post(conn: http.client.HTTPConnection, token: str, body: bytes) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    conn.request(
        "POST", PATH, body=body, headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    )
    response = conn.getresponse()
    payload = response.read()
    elapsed = time.perf_counter() - started
    if response.status != 200:
        raise RuntimeError(f"batch answered {response.status}: {payload[:300]!r}")
    return elapsed, json.loads(payload)


def _copy(dsn: str, tenant_id: int, user_id: int, samples: list[dict[str, Any]], tag: str) -> float:
    now = datetime.now(UTC)
    with psycopg.connect(dsn) as db:
        started = time.perf_counter()
        with db.cursor() as cursor, cursor.copy(f"COPY health_sample ({COPY_COLUMNS}) FROM STDIN") as copy:
            for sample in samples:
                moment = datetime.fromisoformat(sample["start_time"])
                copy.write_row(
                    (
                        tenant_id,
                        user_id,
                        sample["metric"],
                        float(sample["value"]),
                        "",
                        moment,
                        moment,
                        sample["source"],
                        sample["source_name"],
                        "",
                        f"{tag}-{sample['external_id']}",
                        1,
                        now,
                        now,
                    )
                )
        db.commit()
        return time.perf_counter() - started


def measure(base_url: str, token: str, dsn: str, user_email: str) -> dict[str, Any]:
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=300)
    with psycopg.connect(dsn) as db:
        (tenant_id,) = db.execute("SELECT tenant_id FROM users_user WHERE email = %s", [user_email]).fetchone()
        copy_user = db.execute("SELECT id FROM users_user WHERE email = %s", [COPY_EMAIL]).fetchone()[0]
    results: dict[str, Any] = {}
    start = datetime.now(UTC) - timedelta(days=3)
    for size in SIZES:
        api_times: list[float] = []
        copy_times: list[float] = []
        last: list[dict[str, Any]] = []
        for run in range(RUNS[size] + 1):  # the first run warms the workers up
            last = _samples(size, run, start)
            body = json.dumps({"samples": last}).encode()
            elapsed, counts = _post(conn, token, body)
            if counts["created"] != size:
                raise RuntimeError(f"expected {size} created, got {counts}")
            copied = _copy(dsn, tenant_id, copy_user, last, f"copy{run}")
            if run:
                api_times.append(elapsed)
                copy_times.append(copied)
        repeat, counts = _post(conn, token, json.dumps({"samples": last}).encode())
        if counts["unchanged"] != size:
            raise RuntimeError(f"re-post: expected {size} unchanged, got {counts}")
        api = statistics.median(api_times)
        copy = statistics.median(copy_times)
        results[str(size)] = {
            "runs": RUNS[size],
            "api_ms_p50": round(api * 1000, 1),
            "api_samples_per_s": round(size / api),
            "copy_ms_p50": round(copy * 1000, 1),
            "copy_samples_per_s": round(size / copy),
            "ratio_to_copy": round(copy / api, 2),
            "repost_unchanged_ms": round(repeat * 1000, 1),
            "body_bytes": len(body),
        }
    conn.close()
    return results


def summary_latency(base_url: str, token: str, seeded: dict[str, str], runs: int = 40) -> dict[str, Any]:
    """The day summary of the 1,000,000-sample user's heart rate over 30 and 365 days, one request at a
    time (the client's view: HTTP, gunicorn, the query, the response): p50 / p95 / p99 of ``runs``."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=120)
    out: dict[str, Any] = {}
    for label, first in (("30 days", seeded["month_start"]), ("365 days", seeded["year_start"])):
        path = f"/api/v1/health/summary/?metric=heart_rate&bucket=day&start={first}&end={seeded['today']}"
        times: list[float] = []
        samples = 0
        for run in range(runs + 2):  # two to warm up
            started = time.perf_counter()
            conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
            response = conn.getresponse()
            payload = response.read()
            if response.status != 200:
                raise RuntimeError(f"summary answered {response.status}: {payload[:300]!r}")
            if run >= 2:
                times.append(time.perf_counter() - started)
            samples = sum(bucket["count"] for bucket in json.loads(payload)["buckets"])
        times.sort()
        out[label] = {
            "samples_aggregated": samples,
            "requests": runs,
            "p50_ms": round(_percentile(times, 50) * 1000, 1),
            "p95_ms": round(_percentile(times, 95) * 1000, 1),
            "p99_ms": round(_percentile(times, 99) * 1000, 1),
        }
    conn.close()
    return out


def _percentile(ordered: list[float], pct: float) -> float:
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def format_table(result: dict[str, Any]) -> str:
    lines = [
        "health ingestion (POST /health/data/batch/ vs COPY of the same rows, medians)",
        f"{'batch':>7} {'API ms':>9} {'API samples/s':>14} {'COPY ms':>9} {'COPY samples/s':>15} {'ratio':>6} "
        f"{'re-post ms':>11}",
    ]
    for size, row in result.items():
        lines.append(
            f"{int(size):>7,} {row['api_ms_p50']:>9.1f} {row['api_samples_per_s']:>14,} {row['copy_ms_p50']:>9.1f} "
            f"{row['copy_samples_per_s']:>15,} {row['ratio_to_copy']:>6.2f} {row['repost_unchanged_ms']:>11.1f}"
        )
    return "\n".join(lines)
