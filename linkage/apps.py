from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LinkageConfig(AppConfig):
    name = "linkage"
    verbose_name = _("Linkage")

    def ready(self) -> None:
        from linkage import receivers  # noqa: F401  (connects to sources.signals)
