from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = _("Background tasks")

    def ready(self) -> None:
        # Every app's tasks module registers its tasks with jobs.registry; import them all so the web
        # process knows their labels, not only the worker that imports a task when it runs it.
        autodiscover_modules("tasks")
