from django.apps import AppConfig


class GuidanceConfig(AppConfig):
    name = "guidance"
    # Not translated yet: the public pages of this app come with their own catalogue entries.
    verbose_name = "Guidance (handelingskader)"
