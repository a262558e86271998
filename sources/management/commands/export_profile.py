"""`zorgveilig export_profile SLUG [--output FILE]`: a mapping profile as YAML, for review or another site."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sources.models import MappingProfile
from sources.profiles import profile_to_yaml


class Command(BaseCommand):
    help = "Write a mapping profile as YAML (to standard output, or to a file)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", metavar="SLUG", help="the profile's code")
        parser.add_argument("--output", "-o", type=Path, metavar="FILE", help="write to FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        profile = MappingProfile.objects.filter(slug=options["slug"]).first()
        if profile is None:
            known = (
                ", ".join(MappingProfile.objects.order_by("slug").values_list("slug", flat=True)) or "none"
            )
            raise CommandError(f"no mapping profile {options['slug']!r} (profiles: {known})")
        text = profile_to_yaml(profile, actor=None)
        output: Path | None = options["output"]
        if output is None:
            self.stdout.write(text, ending="")
            return
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"{output}: cannot be written: {error.strerror or error}") from None
        self.stdout.write(f"Wrote mapping profile {profile.slug} (version {profile.version}) to {output}.")
