"""B-tree or BRIN for health samples' time: sizes and the summary's speed, measured on PostgreSQL.

    .venv/bin/python bench/health_indexes.py                 # 10 users x 1,000,000 samples
    .venv/bin/python bench/health_indexes.py --users 4 --samples 500000

Creates a scratch database (``fitcore_health_indexes``), migrates it, fills ``health_sample``
with ``--users`` users of ``--samples`` samples each (heart rate every ~32 s over a year, steps
every tenth; users interleaved in time, as a shared table fills), then for one user times the
day summary over 30 and 365 days (median of ``--runs``, buffers warm) three ways:

1. the shipped composite B-tree ``(tenant, user, metric, start_time)``;
2. a BRIN index on ``start_time`` alone instead (the B-tree dropped inside a transaction that is
   rolled back), the usual advice for append-mostly time series;
3. BRIN on ``start_time`` plus a B-tree on ``(tenant, user, metric)``.

It prints index sizes and times, and drops the database.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
DB = "fitcore_health_indexes"
ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
URL = f"postgres://postgres@127.0.0.1:5432/{DB}"

SUMMARY = """
SELECT date_trunc('day', start_time AT TIME ZONE 'Europe/Berlin') AS bucket, sum(value), count(*)
FROM health_sample
WHERE tenant_id = %s AND user_id = %s AND metric = 'heart_rate' AND start_time >= %s AND start_time < %s
GROUP BY 1 ORDER BY 1
"""


def timed(db: psycopg.Connection, sql: str, params: list[object], runs: int) -> float:
    db.execute(sql, params).fetchall()  # warm the buffers
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        db.execute(sql, params).fetchall()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def size(db: psycopg.Connection, index: str) -> str:
    (pretty,) = db.execute("SELECT pg_size_pretty(pg_relation_size(%s::regclass))", [index]).fetchone()
    return str(pretty)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()

    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB}")
        admin.execute(f"CREATE DATABASE {DB}")
    try:
        env = {**os.environ, "DATABASE_URL": URL, "DJANGO_SETTINGS_MODULE": "fitcore.settings.testing"}
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        made = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "shell",
                "-c",
                "from users.models import User\n"
                f"users = [User.objects.create_user(f'u{{n}}@indexes.example', None) for n in range({args.users})]\n"
                "print(users[0].tenant_id, *[u.pk for u in users])",
            ],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        tenant, *users = (int(word) for word in made.stdout.strip().splitlines()[-1].split())
        with psycopg.connect(URL) as db:
            now = datetime.now(UTC)
            step = 365 * 86_400 / args.samples
            started = time.perf_counter()
            db.execute(
                """
                INSERT INTO health_sample (tenant_id, user_id, metric, value, stage, start_time, end_time, source,
                                           source_name, device, external_id, version, created_at, updated_at)
                SELECT %s, u, CASE WHEN g %% 10 = 0 THEN 'steps' ELSE 'heart_rate' END, 50 + (g %% 70), '',
                       %s - g * make_interval(secs => %s), %s - g * make_interval(secs => %s),
                       'apple_health', '', '', 'i:' || g, 1, %s, %s
                FROM generate_series(1, %s) AS g, unnest(%s::bigint[]) AS u
                ORDER BY g DESC
                """,
                [tenant, now, step, now, step, now, now, args.samples, users],
            )
            db.commit()
            loaded = time.perf_counter() - started
        with psycopg.connect(URL, autocommit=True) as db:
            db.execute("VACUUM ANALYZE health_sample")
        rows = args.users * args.samples
        print(f"{rows:,} samples ({args.users} users x {args.samples:,}) loaded in {loaded:.0f} s")
        ranges = {
            "30 days": (now - timedelta(days=30), now),
            "365 days": (now - timedelta(days=366), now),
        }
        user = users[len(users) // 2]
        results: list[tuple[str, str, dict[str, float]]] = []
        with psycopg.connect(URL) as db:
            sizes = {
                name: size(db, name)
                for name in (
                    "health_sample_pkey",
                    "health_sample_source_external_id",
                    "health_sample_metric_time",
                    "health_sample_user_time",
                    "health_sample_changes",
                )
            }
            (table,) = db.execute("SELECT pg_size_pretty(pg_relation_size('health_sample'))").fetchone()
            results.append(
                (
                    "B-tree (tenant, user, metric, start_time)",
                    sizes["health_sample_metric_time"],
                    {k: timed(db, SUMMARY, [tenant, user, a, b], args.runs) for k, (a, b) in ranges.items()},
                )
            )
            db.execute(
                "CREATE INDEX covering ON health_sample (tenant_id, user_id, metric, start_time) INCLUDE (value)"
            )
            db.execute("DROP INDEX health_sample_metric_time")
            db.commit()
            with psycopg.connect(URL, autocommit=True) as vacuum:
                vacuum.execute("VACUUM ANALYZE health_sample")
            results.append(
                (
                    "B-tree (tenant, user, metric, start_time) INCLUDE (value)",
                    size(db, "covering"),
                    {k: timed(db, SUMMARY, [tenant, user, a, b], args.runs) for k, (a, b) in ranges.items()},
                )
            )
            db.execute("DROP INDEX covering")
            db.execute("DROP INDEX health_sample_user_time")
            db.execute("CREATE INDEX brin_start ON health_sample USING brin (start_time)")
            db.execute("ANALYZE health_sample")
            results.append(
                (
                    "BRIN (start_time) alone",
                    size(db, "brin_start"),
                    {k: timed(db, SUMMARY, [tenant, user, a, b], args.runs) for k, (a, b) in ranges.items()},
                )
            )
            db.execute("CREATE INDEX btree_who ON health_sample (tenant_id, user_id, metric)")
            db.execute("ANALYZE health_sample")
            results.append(
                (
                    "BRIN (start_time) + B-tree (tenant, user, metric)",
                    f"{size(db, 'brin_start')} + {size(db, 'btree_who')}",
                    {k: timed(db, SUMMARY, [tenant, user, a, b], args.runs) for k, (a, b) in ranges.items()},
                )
            )
            db.rollback()
        print(f"table {table}; other indexes: " + ", ".join(f"{k} {v}" for k, v in sizes.items()))
        print(f"{'index for the summary':<52} {'size':>18} " + " ".join(f"{k:>10}" for k in ranges))
        for name, index_size, times in results:
            print(f"{name:<52} {index_size:>18} " + " ".join(f"{times[k]:>8.1f}ms" for k in ranges))
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
