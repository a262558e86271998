"""The Splink model: blocking, comparisons, training by EM, and scoring of candidate pairs.

Every SQL fragment here is plain enough to mean the same on DuckDB and Spark (integer day numbers instead of
date functions, `array_contains`, CASE); Splink's own library levels translate themselves. docs/linkage.md
describes the comparisons and the training; the starting m and u values below are what a run uses when the
data is too small to train on (fewer than `minimum_records_for_em` records).
"""

from __future__ import annotations

import logging
import math
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import Linker, SettingsCreator

from linkage.options import LinkageOptions

Progress = Callable[[str], None]

# Splink logs every EM iteration at INFO; runs report their own stages.
logging.getLogger("splink").setLevel(logging.ERROR)


# The prior before training, and where training cannot estimate it (docs/linkage.md, "Training").
STARTING_PRIOR = 0.001


def _counts(column: str, label: str) -> Any:
    """Equal counts above zero say much (two reports of 4 killed); both zero says little, most attacks kill
    nobody; close counts allow for one source counting health workers and another everyone."""
    close = f"abs({column}_l - {column}_r) <= greatest(1, 0.2 * greatest({column}_l, {column}_r))"
    return cl.CustomComparison(
        output_column_name=column,
        comparison_description=label,
        comparison_levels=[
            cll.NullLevel(column),
            cll.CustomLevel(f"{column}_l = {column}_r AND {column}_l > 0", f"same number of people {label}"),
            cll.CustomLevel(f"{column}_l = {column}_r", f"nobody {label} in either"),
            cll.CustomLevel(close, f"close numbers of people {label} (within 1 or 20%)"),
            cll.ElseLevel(),
        ],
    ).configure(m_probabilities=[0.3, 0.35, 0.2, 0.15], u_probabilities=[0.05, 0.4, 0.15, 0.4])


def comparisons() -> list[Any]:
    """The comparisons, in the order docs/linkage.md lists them."""
    day_precise = "date_precision_l = 'day' AND date_precision_r = 'day'"
    apart = "abs(day_number_l - day_number_r)"
    date = cl.CustomComparison(
        output_column_name="date",
        comparison_description="distance in days",
        comparison_levels=[
            cll.CustomLevel("day_number_l IS NULL OR day_number_r IS NULL").configure(is_null_level=True),
            cll.CustomLevel(f"{day_precise} AND day_number_l = day_number_r", "same day"),
            cll.CustomLevel(f"{day_precise} AND {apart} <= 1", "one day apart"),
            cll.CustomLevel(f"{day_precise} AND {apart} <= 3", "two or three days apart"),
            cll.CustomLevel(
                "date_precision_l <> 'day' OR date_precision_r <> 'day'", "dated to week or month"
            ),
            cll.ElseLevel(),
        ],
    ).configure(
        m_probabilities=[0.85, 0.1, 0.03, 0.015, 0.005], u_probabilities=[0.002, 0.004, 0.008, 0.03, 0.956]
    )
    distance = cl.DistanceInKMAtThresholds("latitude", "longitude", [2, 10, 50]).configure(
        m_probabilities=[0.5, 0.25, 0.15, 0.1], u_probabilities=[0.01, 0.04, 0.15, 0.8]
    )
    # The area carries its country (UKR:kharkiv). Its u value is measured over all pairs, most of which are
    # in different countries, so agreeing on the area also counts the agreement on the country.
    admin1 = cl.ExactMatch("admin1").configure(
        term_frequency_adjustments=True, m_probabilities=[0.85, 0.15], u_probabilities=[0.2, 0.8]
    )
    # Every candidate pair is in one country (blocking), and random pairs rarely are: that agreement is evidence
    # the admin1 comparison already counts where both records name an area. Where one does not (WHO SSA
    # publishes none), this counts it instead, so such pairs are not scored as if they agreed on nothing. m
    # is fixed (a true pair is always in one country, but for a mistake in a source); u is measured.
    country = cl.CustomComparison(
        output_column_name="country",
        comparison_description="country, where one record names no area",
        comparison_levels=[
            cll.CustomLevel("admin1_l IS NOT NULL AND admin1_r IS NOT NULL").configure(is_null_level=True),
            cll.CustomLevel("country_l = country_r", "same country").configure(
                m_probability=0.99, fix_m_probability=True, u_probability=0.1
            ),
            cll.ElseLevel().configure(m_probability=0.01, fix_m_probability=True, u_probability=0.9),
        ],
    )
    resources = cl.ArrayIntersectAtSizes("resources", [2, 1]).configure(
        m_probabilities=[0.3, 0.55, 0.15], u_probabilities=[0.1, 0.4, 0.5]
    )
    families = cl.CustomComparison(
        output_column_name="families",
        comparison_description="attack-type families",
        comparison_levels=[
            cll.NullLevel("families"),
            cll.ArrayIntersectLevel("families", 1),
            cll.ArrayIntersectLevel("kinds", 1),
            cll.ElseLevel(),
        ],
    ).configure(m_probabilities=[0.7, 0.2, 0.1], u_probabilities=[0.3, 0.4, 0.3])
    perpetrator = cl.ExactMatch("perpetrator").configure(
        term_frequency_adjustments=True, m_probabilities=[0.8, 0.2], u_probabilities=[0.4, 0.6]
    )
    tokens = cl.ArrayIntersectAtSizes("tokens", [4, 2, 1]).configure(
        m_probabilities=[0.5, 0.25, 0.15, 0.1], u_probabilities=[0.005, 0.03, 0.15, 0.815]
    )
    claims = cl.CustomComparison(
        output_column_name="claims",
        comparison_description="one names the other's source",
        comparison_levels=[
            cll.CustomLevel("claims_l IS NULL AND claims_r IS NULL").configure(is_null_level=True),
            cll.CustomLevel(
                "(claims_l IS NOT NULL AND array_contains(claims_l, source_r)) "
                "OR (claims_r IS NOT NULL AND array_contains(claims_r, source_l))",
                "one record names the other's source as co-reporting",
            ),
            cll.ElseLevel(),
        ],
    ).configure(m_probabilities=[0.2, 0.8], u_probabilities=[0.02, 0.98])
    return [
        date,
        distance,
        admin1,
        country,
        resources,
        families,
        _counts("killed", "killed"),
        _counts("injured", "injured"),
        perpetrator,
        tokens,
        claims,
    ]


def window_sql(options: LinkageOptions) -> str:
    """The largest distance in days allowed between two candidates, per source pair (CASE over the pairs the
    settings name; the default otherwise)."""
    cases = " ".join(
        f"WHEN (l.source = '{a}' AND r.source = '{b}') OR (l.source = '{b}' AND r.source = '{a}') THEN {days}"
        for (a, b), days in sorted(options.pair_windows.items())
    )
    return f"CASE {cases} ELSE {options.default_window} END" if cases else str(options.default_window)


def training_filter(options: LinkageOptions) -> str:
    shared = " OR ".join(
        f"(l.source IN ({', '.join(repr(slug) for slug in group)}) AND r.source IN "
        f"({', '.join(repr(slug) for slug in group)}) AND l.source_id = r.source_id)"
        for group in options.shared_identifiers
    )
    return f"l.source <> r.source AND NOT ({shared})" if shared else "l.source <> r.source"


def bucket_width(options: LinkageOptions) -> int:
    """Two records at most `widest_window` days apart share a bucket in at least one of two grids of this
    width, offset by half a width; so blocking on bucket equality misses no candidate."""
    return max(2, 2 * options.widest_window)


def blocking_rules(options: LinkageOptions) -> list[str]:
    within = f"abs(l.day_number - r.day_number) <= {window_sql(options)}"
    return [
        f"l.country = r.country AND l.bucket_a = r.bucket_a AND {within}",
        f"l.country = r.country AND l.bucket_b = r.bucket_b AND {within}",
        # A record dated to a month only meets every record of its country in that month.
        "l.country = r.country AND l.coarse_month = r.month_number",
        "l.country = r.country AND l.month_number = r.coarse_month",
    ]


def with_buckets(frame: pa.Table, options: LinkageOptions) -> pa.Table:
    width = bucket_width(options)
    days = frame.column("day_number").cast(pa.int64())
    bucket_a = pc.floor(pc.divide(days.cast(pa.float64()), width)).cast(pa.int64())
    shifted = pc.add(days, width // 2)
    bucket_b = pc.floor(pc.divide(shifted.cast(pa.float64()), width)).cast(pa.int64())
    return frame.append_column("bucket_a", bucket_a).append_column("bucket_b", bucket_b)


def settings(options: LinkageOptions) -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        probability_two_random_records_match=STARTING_PRIOR,
        blocking_rules_to_generate_predictions=list[Any](blocking_rules(options)),
        comparisons=comparisons(),
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=[],
    )


@dataclass
class Scored:
    """Candidate pairs with their probability, weight and per-comparison weights (mw_<name>: 0 when either
    side is missing, above 0 when the pair agrees more than chance would), and the trained model."""

    pairs: pa.Table
    model: dict[str, Any]
    trained: list[str]
    levels: dict[str, list[tuple[float, str]]]


@contextmanager
def _database(backend: str) -> Iterator[Any]:
    if backend == "duckdb":
        import duckdb
        from splink import DuckDBAPI

        connection = duckdb.connect(":memory:")
        try:
            yield DuckDBAPI(connection=connection)
        finally:
            connection.close()
        return
    yield from _spark()


def _spark() -> Iterator[Any]:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise RuntimeError(
            "the Spark backend needs pyspark: install it with pip install -e '.[spark]' (and Java 17 or newer)"
        ) from None
    from splink import SparkAPI

    # The workers must run this interpreter: pyspark refuses a worker of another Python version.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    with tempfile.TemporaryDirectory(prefix="zorgveilig-spark-") as scratch:
        spark = (
            SparkSession.builder.master(f"local[{os.cpu_count() or 2}]")
            .appName("zorgveilig-linkage")
            .config("spark.sql.shuffle.partitions", str(max(2, 2 * (os.cpu_count() or 2))))
            .config("spark.ui.enabled", "false")
            .config("spark.local.dir", scratch)
            .config("spark.sql.session.timeZone", "UTC")
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
        logging.getLogger("py4j").setLevel(logging.WARNING)
        spark.sparkContext.setCheckpointDir(os.path.join(scratch, "checkpoints"))
        try:
            yield SparkAPI(spark_session=spark)
        finally:
            spark.stop()


def _register(database: Any, table: pa.Table, backend: str) -> Any:
    if backend == "duckdb":
        return database.register(table, table_name="records")
    return database.register(database.spark.createDataFrame(table), table_name="records")


def _as_arrow(result: Any, backend: str) -> pa.Table:
    if backend == "duckdb":
        return result.as_duckdbpyrelation().to_arrow_table()
    return result.as_spark_dataframe().toArrow()


def _levels(model: dict[str, Any]) -> dict[str, list[tuple[float, str]]]:
    """Per comparison, each non-null level's match weight (log2 m/u) and label: Splink 5 reports the weight
    a pair got per comparison (`mw_<name>`), and the label is the level with that weight."""
    found: dict[str, list[tuple[float, str]]] = {}
    for comparison in model.get("comparisons", []):
        levels = []
        for level in comparison["comparison_levels"]:
            m, u = level.get("m_probability"), level.get("u_probability")
            if level.get("is_null_level") or not m or not u:
                continue
            levels.append((math.log2(m / u), level.get("label_for_charts") or level.get("sql_condition", "")))
        found[comparison["output_column_name"]] = levels
    return found


def score(frame: pa.Table, options: LinkageOptions, progress: Progress | None = None) -> Scored:
    """Train the model on `frame` and score every candidate pair whose probability reaches the lowest
    threshold any later step uses."""
    say = progress or (lambda _stage: None)
    table = with_buckets(frame, options)
    trained: list[str] = []
    with _database(options.backend) as database:
        records = _register(database, table, options.backend)
        linker = Linker(records, settings(options), log_level=logging.ERROR)
        say("training: prior")
        # Training looks only at pairs of different sources that are not linked by a shared identifier:
        # pairs inside one source and identical copies (SHCC in SiND) would teach the model what a copy
        # looks like, not what two reports of one attack look like.
        apart = training_filter(options)
        try:
            linker.training.estimate_probability_two_random_records_match(
                [f"l.country = r.country AND l.day_number = r.day_number AND {apart}"],
                recall=options.deterministic_recall,
            )
            prior = linker._settings_obj._probability_two_random_records_match
        except Exception:  # Splink refuses more rule matches than the recall allows (a handful of records)
            prior = 0.0
        if 0 < prior < 1:
            trained.append("prior")
        else:
            # No pair met the rule, or nearly every pair did (a handful of records): the estimate is 0 or 1,
            # whose weight is infinite. The documented starting value stays.
            linker._settings_obj._probability_two_random_records_match = STARTING_PRIOR
            trained.append("prior skipped: too few records for the rule")
        # How often records that are not one incident agree by chance depends on the data (how many
        # attacks a day, how many places): always measured, even on a few records.
        say("training: u values by random sampling")
        # Every sampled pair counted, in one chunk: Splink otherwise stops once each level has 100
        # observations, on chunks that differ between DuckDB and Spark.
        linker.training.estimate_u_using_random_sampling(
            max_pairs=options.u_sample_pairs, seed=options.seed, min_count_per_level=None, num_chunks=1
        )
        trained.append("u")
        if table.num_rows >= options.minimum_records_for_em:
            for name, rule in (
                ("EM on same day", f"l.country = r.country AND l.day_number = r.day_number AND {apart}"),
                (
                    "EM on same area",
                    # Within the date window, as predictions are: the date comparison keeps its starting
                    # m values (docs/linkage.md, "Training", says why).
                    f"l.country = r.country AND l.admin1 = r.admin1 AND l.bucket_a = r.bucket_a AND {apart} "
                    f"AND abs(l.day_number - r.day_number) <= {window_sql(options)}",
                ),
            ):
                say(f"training: {name}")
                try:
                    linker.training.estimate_parameters_using_expectation_maximisation(
                        rule, fix_u_probabilities=True
                    )
                    trained.append(name)
                except Exception as error:  # too little data for this session: its levels keep the priors
                    trained.append(f"{name} skipped: {type(error).__name__}")
        say("scoring candidate pairs")
        lowest = min(options.review_threshold, options.claimed_link)
        result = linker.inference.predict(threshold_match_probability=lowest)
        pairs = _as_arrow(result, options.backend)
        model = linker.misc.save_model_to_json()
        levels = _levels(model)
    keep = ["unique_id_l", "unique_id_r", "match_probability", "match_weight"]
    keep += [name for name in pairs.column_names if name.startswith("mw_") and not name.startswith("mw_tf_")]
    return Scored(pairs=pairs.select(keep), model=model, trained=trained, levels=levels)
