from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ZorgVeiligConfig(AppConfig):
    name = "zorgveilig"
    verbose_name = _("ZorgVeilig")
