from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FacilitiesConfig(AppConfig):
    name = "facilities"
    verbose_name = _("Medical facilities and deconfliction")

    def ready(self) -> None:
        from facilities import receivers  # noqa: F401  (connects to registry.signals.incidents_changed)
