"""Datasets and their vintages: sources, products, releases (one per imported file), records, quarantine.

A Release is one file as it was imported; its Records are the file's rows, each kept as it came (`raw`, in
column order, with the release's `headers`) next to its harmonised fields (sources.schema.Harmonised,
docs/harmonised-schema.md). Rows that could not be read are Quarantine rows, with the row as it came and the
reason. Nothing here is edited after the import: a correction arrives as a new vintage (a new Release of the
same Product), and the records say how they differ from the previous vintage.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Source(models.Model):
    """A publisher of data on attacks on health care (WHO SSA, SHCC, Insecurity Insight, ...)."""

    slug = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    unit = models.CharField(_("unit of counting"), max_length=200, blank=True)
    licence = models.CharField(_("licence"), max_length=200, blank=True)
    url = models.URLField(_("web address"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """One series of files of a source whose vintages are compared with each other (e.g. SHCC incident
    data for 2022, the WHO SSA dashboard export)."""

    class Kind(models.TextChoices):
        INCIDENTS = "incidents", _("incidents")
        AGGREGATES = "aggregates", _("aggregate counts")

    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="products", verbose_name=_("source")
    )
    slug = models.SlugField(_("code"), max_length=80)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.INCIDENTS)

    class Meta:
        ordering = ["source__name", "slug"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [models.UniqueConstraint(fields=["source", "slug"], name="sources_product_unique_slug")]

    def __str__(self) -> str:
        return f"{self.source.slug}/{self.slug}"


class Release(models.Model):
    """One imported file: a vintage of a product."""

    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="releases", verbose_name=_("product")
    )
    file_name = models.CharField(_("file name"), max_length=255)
    file_size = models.PositiveBigIntegerField(_("file size (bytes)"))
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, unique=True)
    file_format = models.CharField(_("file format"), max_length=10)
    sheet = models.CharField(_("sheet"), max_length=200, blank=True)
    vintage_date = models.DateField(_("vintage date"))
    vintage_label = models.CharField(_("version label"), max_length=200, blank=True)
    citation = models.TextField(_("citation"), blank=True)
    importer = models.CharField(_("importer"), max_length=80)
    importer_version = models.CharField(_("importer version"), max_length=20)
    crosswalks_version = models.PositiveIntegerField(_("crosswalks version"))
    options = models.JSONField(_("import options"), default=dict, blank=True)
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    headers = models.JSONField(_("header row as it came"), default=list, blank=True)
    hxl_tags = models.JSONField(_("HXL tag row as it came"), default=list, blank=True)
    columns = models.JSONField(_("columns used"), default=dict, blank=True)
    notes = models.JSONField(_("notes on the file"), default=list, blank=True)
    previous = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("previous vintage"),
    )
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    rows_imported = models.PositiveIntegerField(_("rows imported"), default=0)
    rows_quarantined = models.PositiveIntegerField(_("rows quarantined"), default=0)
    rows_blank = models.PositiveIntegerField(_("blank rows skipped"), default=0)
    rows_with_warnings = models.PositiveIntegerField(_("rows with warnings"), default=0)
    added = models.PositiveIntegerField(_("added"), default=0)
    changed = models.PositiveIntegerField(_("changed"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    withdrawn = models.PositiveIntegerField(_("withdrawn"), default=0)
    rows_health_related = models.PositiveIntegerField(_("rows about health care"), default=0)
    profile = models.ForeignKey(
        "MappingProfile",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="releases",
        verbose_name=_("mapping profile"),
    )

    class Meta:
        ordering = ["product", "vintage_date", "id"]
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        indexes = [models.Index(fields=["product", "vintage_date"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.product} {self.vintage_date.isoformat()} ({self.file_name})"


class Record(models.Model):
    """One source row of one release: as it came, and harmonised (fields of sources.schema.Harmonised)."""

    class Change(models.TextChoices):
        ADDED = "added", _("added")
        CHANGED = "changed", _("changed")
        UNCHANGED = "unchanged", _("unchanged")

    release = models.ForeignKey(
        Release, on_delete=models.CASCADE, related_name="records", verbose_name=_("release")
    )
    row_number = models.PositiveIntegerField(_("row number in the file"))
    source_id = models.CharField(_("identifier in the source"), max_length=200)
    occurrence = models.PositiveIntegerField(_("occurrence of the identifier in the file"), default=1)
    content_hash = models.CharField(_("content hash"), max_length=64)
    raw = models.JSONField(_("row as it came"))
    change = models.CharField(_("change against the previous vintage"), max_length=10, choices=Change.choices)
    previous = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("same record in the previous vintage"),
    )
    warnings = models.JSONField(_("warnings"), default=list, blank=True)

    # Harmonised fields: docs/harmonised-schema.md.
    event_date = models.DateField(_("date"), null=True, blank=True)
    date_precision = models.CharField(_("date precision"), max_length=10, blank=True)
    country_iso3 = models.CharField(_("country (ISO 3166-1 alpha-3)"), max_length=3, blank=True)
    country_as_given = models.TextField(_("country as given"), blank=True)
    admin1 = models.TextField(_("first-level administrative area"), blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    geo_precision = models.CharField(_("precision of the coordinates"), max_length=20, blank=True)
    location_type = models.TextField(_("kind of location"), blank=True)
    who_ssa_types = models.JSONField(_("WHO SSA attack types"), default=list, blank=True)
    attack_families = models.JSONField(_("attack-type families"), default=list, blank=True)
    attack_types_as_given = models.TextField(_("attack types as given"), blank=True)
    resources = models.JSONField(_("health-care resources affected"), default=list, blank=True)
    facility_type = models.CharField(_("type of facility"), max_length=40, blank=True)
    facilities_destroyed = models.PositiveIntegerField(_("facilities destroyed"), null=True, blank=True)
    facilities_damaged = models.PositiveIntegerField(_("facilities damaged"), null=True, blank=True)
    facility_forceful_entry = models.PositiveIntegerField(
        _("forceful entries into facilities"), null=True, blank=True
    )
    facility_occupation = models.PositiveIntegerField(_("occupations of facilities"), null=True, blank=True)
    transport_destroyed = models.PositiveIntegerField(_("health transport destroyed"), null=True, blank=True)
    transport_damaged = models.PositiveIntegerField(_("health transport damaged"), null=True, blank=True)
    transport_stolen = models.PositiveIntegerField(
        _("health transport stolen or hijacked"), null=True, blank=True
    )
    supplies_looted = models.PositiveIntegerField(_("lootings of health supplies"), null=True, blank=True)
    access_obstructed = models.BooleanField(_("access denied or obstructed"), null=True, blank=True)
    people_killed = models.PositiveIntegerField(_("people killed"), null=True, blank=True)
    people_injured = models.PositiveIntegerField(_("people injured"), null=True, blank=True)
    health_workers_killed = models.PositiveIntegerField(_("health workers killed"), null=True, blank=True)
    health_workers_injured = models.PositiveIntegerField(_("health workers injured"), null=True, blank=True)
    health_workers_kidnapped = models.PositiveIntegerField(
        _("health workers kidnapped"), null=True, blank=True
    )
    health_workers_arrested = models.PositiveIntegerField(
        _("health workers arrested or detained"), null=True, blank=True
    )
    health_workers_threatened = models.PositiveIntegerField(
        _("health workers threatened"), null=True, blank=True
    )
    health_workers_assaulted = models.PositiveIntegerField(
        _("health workers assaulted"), null=True, blank=True
    )
    health_workers_sexually_assaulted = models.PositiveIntegerField(
        _("health workers sexually assaulted"), null=True, blank=True
    )
    patients_kidnapped = models.PositiveIntegerField(_("patients kidnapped"), null=True, blank=True)
    patients_arrested = models.PositiveIntegerField(_("patients arrested or detained"), null=True, blank=True)
    perpetrator_category = models.CharField(_("perpetrator category"), max_length=30, blank=True)
    perpetrator_as_given = models.TextField(_("perpetrator as given"), blank=True)
    perpetrator_name = models.TextField(_("perpetrator name as given"), blank=True)
    weapons = models.JSONField(_("weapons"), default=list, blank=True)
    context_conflict = models.BooleanField(_("conflict-related"), null=True, blank=True)
    context_political = models.BooleanField(_("politically related"), null=True, blank=True)
    context_covid = models.BooleanField(_("COVID-19-related"), null=True, blank=True)
    context_ebola = models.BooleanField(_("Ebola-related"), null=True, blank=True)
    context_vaccination = models.BooleanField(_("vaccination-related"), null=True, blank=True)
    certainty = models.CharField(_("certainty"), max_length=20, blank=True)
    certainty_as_given = models.TextField(_("certainty as given"), blank=True)
    description = models.TextField(_("description"), blank=True)
    co_reported_by = models.JSONField(_("also reported by"), default=list, blank=True)
    health_related = models.BooleanField(_("about health care"), default=True)
    health_rule_match = models.CharField(_("why it counts as about health care"), max_length=200, blank=True)

    class Meta:
        ordering = ["release", "row_number"]
        verbose_name = _("record")
        verbose_name_plural = _("records")
        # (release, source_id, occurrence) is unique too, but occurrences are numbered after the rows are
        # written (sources.releases), so the database only indexes it.
        constraints = [
            models.UniqueConstraint(fields=["release", "row_number"], name="sources_record_unique_row"),
        ]
        # Only the keys the import itself needs are indexed: every index costs time on each of a million
        # rows; queries by country and date go to the analytics mirror (insights.mirror).
        indexes = [models.Index(fields=["release", "source_id", "occurrence"], name="sources_record_key")]

    def __str__(self) -> str:
        return f"{self.source_id} (row {self.row_number})"


class Quarantine(models.Model):
    """A row of a release that could not be imported, kept as it came with where and why."""

    release = models.ForeignKey(
        Release, on_delete=models.CASCADE, related_name="quarantine", verbose_name=_("release")
    )
    row_number = models.PositiveIntegerField(_("row number in the file"))
    column = models.TextField(_("column"), blank=True)
    value = models.TextField(_("value"), blank=True)
    reason = models.TextField(_("reason"))
    source_id = models.CharField(_("identifier in the source"), max_length=200, blank=True)
    occurrence = models.PositiveIntegerField(
        _("occurrence of the identifier in the file"), null=True, blank=True
    )
    raw = models.JSONField(_("row as it came"))

    class Meta:
        ordering = ["release", "row_number", "id"]
        verbose_name = _("quarantined row")
        verbose_name_plural = _("quarantined rows")

    def __str__(self) -> str:
        return f"row {self.row_number}: {self.reason}"


class Aggregate(models.Model):
    """One row of an aggregate product (a country-year or country-month total: SHCC/II overview files, the
    SiND `healthcareOverview` API, INSO key data), kept apart from incident records: the unit is a count
    over a period, never an incident, and the two are never added together."""

    class Precision(models.TextChoices):
        YEAR = "year", _("year")
        MONTH = "month", _("month")

    release = models.ForeignKey(
        Release, on_delete=models.CASCADE, related_name="aggregates", verbose_name=_("release")
    )
    row_number = models.PositiveIntegerField(_("row number in the file"))
    source_id = models.CharField(_("identifier in the source"), max_length=200)
    occurrence = models.PositiveIntegerField(_("occurrence of the identifier in the file"), default=1)
    content_hash = models.CharField(_("content hash"), max_length=64)
    raw = models.JSONField(_("row as it came"))
    change = models.CharField(
        _("change against the previous vintage"), max_length=10, choices=Record.Change.choices
    )
    previous = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("same row in the previous vintage"),
    )
    warnings = models.JSONField(_("warnings"), default=list, blank=True)

    # Harmonised fields: docs/harmonised-schema.md, "Aggregates".
    country_iso3 = models.CharField(_("country (ISO 3166-1 alpha-3)"), max_length=3, blank=True)
    country_as_given = models.TextField(_("country as given"), blank=True)
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period to"), null=True, blank=True)
    period_precision = models.CharField(_("period"), max_length=10, choices=Precision.choices, blank=True)
    events = models.PositiveIntegerField(_("incidents"), null=True, blank=True)
    facilities_destroyed = models.PositiveIntegerField(_("facilities destroyed"), null=True, blank=True)
    facilities_damaged = models.PositiveIntegerField(_("facilities damaged"), null=True, blank=True)
    facilities_destroyed_or_damaged = models.PositiveIntegerField(
        _("facilities destroyed or damaged"), null=True, blank=True
    )
    health_workers_killed = models.PositiveIntegerField(_("health workers killed"), null=True, blank=True)
    health_workers_injured = models.PositiveIntegerField(_("health workers injured"), null=True, blank=True)
    health_workers_kidnapped = models.PositiveIntegerField(
        _("health workers kidnapped"), null=True, blank=True
    )
    health_workers_arrested = models.PositiveIntegerField(
        _("health workers arrested or detained"), null=True, blank=True
    )
    health_workers_assaulted = models.PositiveIntegerField(
        _("health workers assaulted"), null=True, blank=True
    )
    aid_workers_killed = models.PositiveIntegerField(_("aid workers killed"), null=True, blank=True)
    aid_workers_injured = models.PositiveIntegerField(_("aid workers injured"), null=True, blank=True)
    aid_workers_kidnapped = models.PositiveIntegerField(
        _("aid workers kidnapped or abducted"), null=True, blank=True
    )
    measures = models.JSONField(_("other counts, by column"), default=dict, blank=True)

    class Meta:
        ordering = ["release", "row_number"]
        verbose_name = _("aggregate row")
        verbose_name_plural = _("aggregate rows")
        constraints = [
            models.UniqueConstraint(fields=["release", "row_number"], name="sources_aggregate_unique_row"),
        ]
        indexes = [
            models.Index(fields=["country_iso3", "period_start"]),
            models.Index(fields=["release", "source_id", "occurrence"], name="sources_aggregate_key"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} (row {self.row_number})"


class MappingProfile(models.Model):
    """How to read a layout no importer knows (a new vintage with renamed columns, a partner's
    spreadsheet): which column holds which harmonised field, and how its values translate. Defined in the
    web UI or as YAML (sources.profiles), used with `zorgveilig import SOURCE FILE --profile SLUG`."""

    slug = models.SlugField(_("code"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    source_slug = models.SlugField(_("source code"), max_length=40)
    kind = models.CharField(
        _("kind"), max_length=20, choices=Product.Kind.choices, default=Product.Kind.INCIDENTS
    )
    definition = models.JSONField(_("definition"), default=dict)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("mapping profile")
        verbose_name_plural = _("mapping profiles")

    def __str__(self) -> str:
        return self.name


class ImportRequest(models.Model):
    """A file uploaded in the web UI, waiting for or handled by the background import task."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("imported")
        ALREADY_IMPORTED = "already_imported", _("already imported")
        FAILED = "failed", _("failed")

    source_slug = models.CharField(_("source"), max_length=40)
    product = models.CharField(_("product"), max_length=80, blank=True)
    vintage_date = models.DateField(_("vintage date"), null=True, blank=True)
    profile = models.ForeignKey(
        MappingProfile,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("mapping profile"),
    )
    file_name = models.CharField(_("file name"), max_length=255)
    stored_as = models.CharField(_("stored as"), max_length=255)
    file_size = models.PositiveBigIntegerField(_("file size (bytes)"), default=0)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    task_result_id = models.CharField(_("task result id"), max_length=64, blank=True)
    release = models.ForeignKey(
        Release,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("release"),
    )
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("import request")
        verbose_name_plural = _("import requests")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"
