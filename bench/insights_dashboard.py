"""Benchmark of the insights dashboard on 2,000,000 synthetic events (issue 7).

    .venv/bin/python bench/insights_dashboard.py [--events 2000000] [--seconds 20] [--keep DIR]

1. Makes an installation in a temporary data directory (SQLite, migrated) and an analytics database of
   `--events` synthetic incidents reported by four sources (about 1.4 records per incident, so 2.8 million
   records for 2 million events), from Parquet files in the mirror's format. The registry is not filled: the
   incidents go straight into the analytics database, whose query side is what is measured.
2. Times every dashboard aggregate (insights.queries) without the cache, over several selections (everything,
   one country, one source per source, one year, one certainty level, three countries and two sources): p50
   and p95 per aggregate. Target: p95 at most 100 ms.
3. Serves the installation with gunicorn (as in production) and times the whole public dashboard page: the
   first request per selection (the figures computed) and then warm (the figures cached). Target: warm p95 at
   most 500 ms.
4. Loads the public dashboard with wrk (Debian: apt-get install wrk) for `--seconds`: requests per second.
   Target: at least 300 on 2 cores.

Figures depend on the machine: run it on an idle one. Nothing here is a unit test.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
SOURCES = ("who-ssa", "insecurity-insight", "awsd", "acled")
COUNTRIES = [
    "UKR",
    "SDN",
    "PSE",
    "SYR",
    "MMR",
    "AFG",
    "COD",
    "YEM",
    "NGA",
    "MLI",
    "BFA",
    "SSD",
    "SOM",
    "ETH",
    "CAF",
    "HTI",
    "LBN",
    "IRQ",
    "LBY",
    "MOZ",
    "CMR",
    "NER",
    "PAK",
    "COL",
    "TCD",
    "IND",
    "BGD",
    "MEX",
    "VEN",
    "ISR",
]
FAMILIES = (
    "heavy_weapons",
    "individual_weapons",
    "physical_assault",
    "threat",
    "obstruction",
    "deprivation_of_liberty",
    "looting",
    "armed_entry",
    "arson",
)
RESOURCES = ("facility", "transport", "personnel", "supplies", "patients")
PERPETRATORS = ("state", "non_state_armed_group", "criminal", "individual", "unknown", "")
CERTAINTY = ("confirmed", "probable", "possible", "unverified", "")


def say(text: str) -> None:
    print(text, flush=True)


def environment(data_dir: Path) -> dict[str, str]:
    keep = {key: value for key, value in os.environ.items() if not key.startswith("ZORGVEILIG_")}
    keep.pop("DATABASE_URL", None)
    keep.update(
        {
            "DJANGO_SETTINGS_MODULE": "zorgveilig.settings",
            "ZORGVEILIG_DATA_DIR": str(data_dir),
            "ALLOWED_HOSTS": HOST,
            "DEBUG": "0",
            "ZORGVEILIG_HTTPS": "0",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return keep


# -- The synthetic data -------------------------------------------------------------------------------------


def make_data(events: int, seed: int = 20261124) -> dict[str, float]:
    """Write the mirror files and build the analytics database (inside the installation's environment)."""
    import django

    django.setup()
    import duckdb
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from insights import analytics_db, mirror

    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    folder = mirror.mirror_dir()
    base = datetime.date(2015, 1, 1).toordinal()
    days = rng.integers(0, 11 * 365, events)
    country = rng.choice(len(COUNTRIES), events, p=_weights(len(COUNTRIES)))
    family = rng.integers(0, len(FAMILIES), events)
    resource = rng.integers(0, len(RESOURCES), events)
    perpetrator = rng.integers(0, len(PERPETRATORS), events)
    certainty = rng.integers(0, len(CERTAINTY), events)
    killed = rng.poisson(0.4, events)
    located = rng.random(events) < 0.6
    lat = rng.uniform(-30, 50, events)
    lon = rng.uniform(-80, 100, events)
    # Which sources report each event: each with its own share, at least one.
    shares = {"who-ssa": 0.45, "insecurity-insight": 0.55, "awsd": 0.15, "acled": 0.25}
    reported = {source: rng.random(events) < share for source, share in shares.items()}
    nobody = ~np.any(np.stack(list(reported.values())), axis=0)
    reported["insecurity-insight"] |= nobody

    schema = mirror.record_schema()
    releases = []
    record_files = []
    links = []
    for number, source in enumerate(SOURCES, start=1):
        mask = reported[source]
        index = np.nonzero(mask)[0]
        count = len(index)
        release_id = number
        rows = np.arange(2, count + 2)
        columns: dict[str, Any] = {
            name: pa.nulls(count, type=schema.field(name).type) for name in schema.names
        }
        columns["release_id"] = pa.array(np.full(count, release_id), pa.int64())
        columns["row_number"] = pa.array(rows, pa.int64())
        columns["source_id"] = pa.array([f"{source}-{i}" for i in index], pa.string())
        columns["event_date"] = pa.array((days[index] + base - 719163).astype("int32"), pa.int32()).cast(
            pa.date32()
        )
        columns["date_precision"] = pa.array(["day"] * count, pa.string())
        columns["country_iso3"] = pa.array(np.array(COUNTRIES)[country[index]], pa.string())
        columns["admin1"] = pa.array([""] * count, pa.string())
        columns["attack_families"] = pa.array([f'["{FAMILIES[f]}"]' for f in family[index]], pa.string())
        columns["resources"] = pa.array([f'["{RESOURCES[r]}"]' for r in resource[index]], pa.string())
        columns["perpetrator_category"] = pa.array(np.array(PERPETRATORS)[perpetrator[index]], pa.string())
        columns["certainty"] = pa.array(np.array(CERTAINTY)[certainty[index]], pa.string())
        columns["health_workers_killed"] = pa.array(killed[index], pa.int64())
        columns["health_related"] = pa.array(np.ones(count, dtype=bool), pa.bool_())
        has_place = located[index]
        columns["latitude"] = pa.array(
            np.where(has_place, lat[index], np.nan), pa.float64(), from_pandas=True
        )
        columns["longitude"] = pa.array(
            np.where(has_place, lon[index], np.nan), pa.float64(), from_pandas=True
        )
        table = pa.table([columns[name] for name in schema.names], schema=schema)
        path = folder / f"records-{release_id}.parquet"
        pq.write_table(table, path, compression="zstd")
        record_files.append(path)
        links.append(
            pa.table(
                {
                    "release_id": columns["release_id"],
                    "row_number": columns["row_number"],
                    "incident_id": pa.array(index + 1, pa.int64()),
                }
            )
        )
        releases.append(
            {
                "id": release_id,
                "source": source,
                "source_name": source.upper(),
                "product": "incidents",
                "kind": "incidents",
                "vintage_date": datetime.date(2026, 1, 1),
                "vintage_label": "",
                "is_latest": True,
                "rows_read": count,
                "rows_imported": count,
                "rows_quarantined": 0,
                "rows_health_related": count,
                "added": count,
                "changed": 0,
                "withdrawn": 0,
            }
        )
    pq.write_table(pa.Table.from_pylist(releases, schema=mirror.RELEASE_SCHEMA), folder / "releases.parquet")
    written = time.perf_counter()

    # The incidents, as the registry would give them: one per event, its sources, the first source's fields.
    source_lists = [[s for s in SOURCES if reported[s][i]] for i in range(events)]
    incidents = pa.table(
        {
            "incident_id": pa.array(np.arange(1, events + 1), pa.int64()),
            "event_date": pa.array((days + base - 719163).astype("int32"), pa.int32()).cast(pa.date32()),
            "date_precision": pa.array(["day"] * events, pa.string()),
            "country_iso3": pa.array(np.array(COUNTRIES)[country], pa.string()),
            "admin1": pa.array([""] * events, pa.string()),
            "latitude": pa.array(np.where(located, lat, np.nan), pa.float64(), from_pandas=True),
            "longitude": pa.array(np.where(located, lon, np.nan), pa.float64(), from_pandas=True),
            "geo_precision": pa.array([""] * events, pa.string()),
            "certainty": pa.array(np.array(CERTAINTY)[certainty], pa.string()),
            "perpetrator_category": pa.array(np.array(PERPETRATORS)[perpetrator], pa.string()),
            "sources": pa.array(source_lists, pa.list_(pa.string())),
            "attack_families": pa.array([[FAMILIES[f]] for f in family], pa.list_(pa.string())),
            "resources": pa.array([[RESOURCES[r]] for r in resource], pa.list_(pa.string())),
            **{
                name: pa.array(killed, pa.int64())
                if name == "health_workers_killed"
                else pa.nulls(events, pa.int64())
                for name in analytics_db.COUNTS
            },
        }
    )
    target = analytics_db.database_path()
    target.unlink(missing_ok=True)
    db = duckdb.connect(str(target))
    analytics_db._build_records(db)  # the real step, from the mirror files
    db.register("incident_rows", incidents)
    db.execute("CREATE TABLE facts_incidents AS SELECT * FROM incident_rows")
    db.register("link_rows", pa.concat_tables(links))
    db.execute("CREATE TABLE record_incidents AS SELECT * FROM link_rows")
    db.execute("CREATE TABLE overlap_sources AS SELECT incident_id, sources FROM facts_incidents")
    analytics_db._build_nl_reports(db)
    analytics_db._build_facts(db)
    db.execute("CREATE TABLE meta AS SELECT now() AS built_at, 'bench' AS parts")
    records = db.execute("SELECT count(*) FROM facts WHERE unit = 'record'").fetchone()[0]  # type: ignore[index]
    db.close()
    built = time.perf_counter()
    return {
        "events": events,
        "records": int(records),
        "write_seconds": round(written - started, 1),
        "build_seconds": round(built - written, 1),
        "file_mb": round(target.stat().st_size / 1e6, 1),
    }


def _weights(count: int) -> list[float]:
    raw = [1 / (rank + 1) for rank in range(count)]  # a few countries carry most events, as in the data
    total = sum(raw)
    return [value / total for value in raw]


# -- Aggregates without the cache -----------------------------------------------------------------------------


def time_aggregates(repeat: int) -> dict[str, dict[str, float]]:
    import django

    django.setup()
    from insights import queries
    from insights.filters import Selection

    selections = [
        Selection(),
        Selection(countries=("SDN",)),
        Selection(sources=("who-ssa",), view="per_source"),
        Selection(date_from=datetime.date(2023, 1, 1), date_to=datetime.date(2023, 12, 31)),
        Selection(certainty=("confirmed",)),
        Selection(countries=("UKR", "SYR", "PSE"), sources=("acled", "awsd")),
    ]
    aggregates = {
        "totals": queries.totals,
        "per_year": queries.per_year,
        "per_month": queries.per_month,
        "per_country": lambda s: queries.per_country(s, 15),
        "per_family": queries.per_family,
        "per_resource": queries.per_resource,
        "per_perpetrator": queries.per_perpetrator,
        "counts_per_year": queries.counts_per_year,
        "per_source_year": queries.per_source_year,
        "overlap": queries.overlap,
        "points (map)": lambda s: queries.points(s, 5000),
    }
    for function in aggregates.values():  # open the file and load it into memory once
        function(Selection())
    results: dict[str, dict[str, float]] = {}
    for name, function in aggregates.items():
        times = []
        for _ in range(repeat):
            for selection in selections:
                began = time.perf_counter()
                function(selection)
                times.append((time.perf_counter() - began) * 1000)
        results[name] = _percentiles(times)
    return results


def _percentiles(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "p50": round(statistics.median(ordered), 1),
        "p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 1),
        "n": len(ordered),
    }


# -- The page over HTTP ---------------------------------------------------------------------------------------


def start_server(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        server = subprocess.Popen(  # noqa: S603 - our own gunicorn and fixed arguments
            [
                str(BIN / "gunicorn"),
                "zorgveilig.wsgi",
                "--bind",
                f"{HOST}:{port}",
                "--workers",
                str(workers),
                "--access-logfile",
                "-",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=out,
        )
    for _ in range(200):
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", "/")
            connection.getresponse().read()
            return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit(f"gunicorn did not start; see {log}")


def get(port: int, path: str) -> tuple[int, float, int]:
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    began = time.perf_counter()
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    return response.status, (time.perf_counter() - began) * 1000, len(body)


def time_pages(port: int, path: str, repeat: int, workers: int) -> dict[str, Any]:
    queries = [
        "",
        "?country=SDN",
        "?source=who-ssa&view=per_source",
        "?from=2023&to=2023",
        "?certainty=confirmed",
    ]
    cold, warm, sizes = [], [], []
    for query in queries:
        status, elapsed, size = get(port, path + query)
        if status != 200:
            raise SystemExit(f"GET {path + query} answered {status}")
        cold.append(elapsed)
        sizes.append(size)
    # Every worker process keeps its own cache: each address is asked often enough that every worker has
    # answered it once before the warm requests are timed.
    for _ in range(workers * 3):
        for query in queries:
            get(port, path + query)
    for _ in range(repeat):
        for query in queries:
            warm.append(get(port, path + query)[1])
    return {"first": _percentiles(cold), "warm": _percentiles(warm), "bytes": max(sizes)}


def load(port: int, path: str, seconds: int, connections: int) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    if wrk is None:
        return {"error": "wrk is not installed (apt-get install wrk)"}
    result = subprocess.run(  # noqa: S603 - wrk with fixed arguments
        [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", f"http://{HOST}:{port}{path}"],
        capture_output=True,
        text=True,
        check=False,
    )
    match = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    p99 = re.search(r"99%\s+([\d.]+\w+)", result.stdout)
    return {
        "requests_per_second": float(match.group(1)) if match else None,
        "non_2xx": int(errors.group(1)) if errors else 0,
        "p99": p99.group(1) if p99 else None,
        "raw": result.stdout.strip().splitlines()[-2:] if result.stdout else result.stderr,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2_000_000, help="synthetic events (default 2,000,000)")
    parser.add_argument("--seconds", type=int, default=20, help="wrk's load duration (default 20)")
    parser.add_argument("--connections", type=int, default=16, help="wrk's open connections (default 16)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument(
        "--repeat", type=int, default=5, help="timed rounds per aggregate and page (default 5)"
    )
    parser.add_argument(
        "--keep", type=Path, help="use and keep this data directory instead of a temporary one"
    )
    parser.add_argument("--step", choices=("data", "aggregates"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.events < 1000:
        parser.error(f"--events must be at least 1000, got {arguments.events}")

    if arguments.step == "data":
        print(json.dumps(make_data(arguments.events)))
        return
    if arguments.step == "aggregates":
        print(json.dumps(time_aggregates(arguments.repeat)))
        return

    data_dir = arguments.keep or Path(tempfile.mkdtemp(prefix="zorgveilig-bench-insights-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    env = environment(data_dir)
    try:
        say(f"Installation in {data_dir}: migrating")
        migrate = [str(BIN / "zorgveilig"), "migrate", "--no-input", "-v0"]
        subprocess.run(migrate, env=env, cwd=REPO, check=True)  # noqa: S603 - our own command
        existing = data_dir / "analytics" / "analytics.duckdb"
        if arguments.keep is not None and existing.exists():
            say(f"Reusing the analytics database in {existing} (remove it to make new data)")
            made = {
                "events": arguments.events,
                "records": 0,
                "write_seconds": 0,
                "build_seconds": 0,
                "file_mb": round(existing.stat().st_size / 1e6, 1),
            }
        else:
            say(f"Making {arguments.events:,} synthetic events and building the analytics database")
            made = json.loads(_step(env, "data", arguments))
        say(
            f"  {made['events']:,} events, {made['records']:,} records; mirror written in {made['write_seconds']} s,"
            f" analytics database built in {made['build_seconds']} s ({made['file_mb']} MB)"
        )

        say(f"Aggregates without the cache ({arguments.repeat} rounds x 6 selections), target p95 <= 100 ms:")
        aggregates = json.loads(_step(env, "aggregates", arguments))
        worst = 0.0
        for name, figures in aggregates.items():
            worst = max(worst, figures["p95"])
            mark = "ok" if figures["p95"] <= 100 else "OVER"
            say(f"  {name:<18} p50 {figures['p50']:>7.1f} ms   p95 {figures['p95']:>7.1f} ms   {mark}")

        port = _free_port()
        server = start_server(env, port, arguments.workers, data_dir / "gunicorn.log")
        try:
            path = _dashboard_path(env)
            pages = time_pages(port, path, arguments.repeat, arguments.workers)
            say(
                f"Whole public dashboard page {path} (gunicorn, {arguments.workers} workers), target warm p95 <= 500 ms:"
            )
            say(
                f"  first request per selection  p50 {pages['first']['p50']:.1f} ms  p95 {pages['first']['p95']:.1f} ms"
            )
            say(
                f"  warm                         p50 {pages['warm']['p50']:.1f} ms  p95 {pages['warm']['p95']:.1f} ms"
                f"  ({pages['bytes']:,} bytes)"
            )
            loaded = load(port, path, arguments.seconds, arguments.connections)
            if "error" in loaded:
                say(f"Load: {loaded['error']}")
            else:
                rate = loaded["requests_per_second"]
                mark = "ok" if rate and rate >= 300 else "UNDER"
                say(
                    f"Load with wrk ({arguments.connections} connections, {arguments.seconds} s), target >= 300 req/s:"
                )
                say(f"  {rate} requests/s, p99 {loaded['p99']}, non-2xx {loaded['non_2xx']}   {mark}")
        finally:
            server.terminate()
            server.wait(timeout=30)
        say(f"Worst aggregate p95: {worst:.1f} ms")
    finally:
        if arguments.keep is None:
            shutil.rmtree(data_dir, ignore_errors=True)


def _step(env: dict[str, str], step: str, arguments: argparse.Namespace) -> str:
    result = subprocess.run(  # noqa: S603 - this script, in the installation's environment
        [
            sys.executable,
            __file__,
            "--step",
            step,
            "--events",
            str(arguments.events),
            "--repeat",
            str(arguments.repeat),
        ],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"step {step} failed:\n{result.stderr[-3000:]}")
    return result.stdout.strip().splitlines()[-1]


def _dashboard_path(env: dict[str, str]) -> str:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.urls import reverse; "
            "print(reverse('insights:dashboard'))",
        ],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


if __name__ == "__main__":
    main()
