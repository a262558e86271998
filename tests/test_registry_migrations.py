"""Data migrations of the registry, run forward on rows made before them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from registry.models import Incident
from tests.incident_helpers import incident, record, release

BEFORE = [("registry", "0002_field_reports")]
AFTER = [("registry", "0003_incident_admin1_from")]


def _migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_existing_incidents_learn_where_their_area_came_from() -> None:
    """Rows are made with today's models; then 0003 is unapplied (which drops the column) and applied again."""
    ii = release("insecurity-insight")
    local = release("local", product="field-reports")
    without_coordinates = incident(record(ii, "ii-1", admin1="Kharkiv"))
    other_area = incident(
        record(ii, "ii-2", latitude=35.5, longitude=36.5, geo_precision="town"),
        record(local, "FR-2", admin1="Idlib"),
    )
    own_area = incident(record(ii, "ii-3", admin1="Aleppo", latitude=36.2, longitude=37.1))
    no_area = incident(record(ii, "ii-4"))
    try:
        _migrate(BEFORE)
        _migrate(AFTER)
    finally:
        _migrate(AFTER)  # whatever happened, leave the schema as the other tests expect it

    found = dict(Incident.objects.values_list("pk", "admin1_from"))
    assert found[without_coordinates.pk] == "insecurity-insight"
    assert found[other_area.pk] == "local"
    assert found[own_area.pk] == "insecurity-insight"
    assert found[no_area.pk] == ""
