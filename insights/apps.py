from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "insights"
    verbose_name = _("Insights")

    def ready(self) -> None:
        from insights import receivers  # noqa: F401  (connects to sources.signals)
        from insights.mirror import release_writer
        from sources.releases import ROW_SINKS

        if release_writer not in ROW_SINKS:
            ROW_SINKS.append(release_writer)
