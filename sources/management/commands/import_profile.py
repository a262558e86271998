"""`zorgveilig import_profile FILE.yaml [--replace]`: load a mapping profile (docs/mapping-profiles.md).

A profile whose slug exists is refused unless --replace is given; then the file becomes its next version
(or nothing changes when the file says what the profile already says). Problems are printed one a line as
FILE:LINE: where: problem, with exit status 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sources.models import MappingProfile
from sources.profile_definition import ProfileError, ProfileRefused, definition_from_yaml
from sources.profiles import profile_from_yaml


class Command(BaseCommand):
    help = "Load a mapping profile from a YAML file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE", type=Path, help="the profile as YAML")
        parser.add_argument(
            "--replace", action="store_true", help="save it as the next version of the profile with its slug"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"{path}: cannot be read: {error.strerror or error}") from None
        except UnicodeDecodeError as error:
            raise CommandError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
        try:
            slug = definition_from_yaml(text, str(path)).slug
            version = MappingProfile.objects.filter(slug=slug).values_list("version", flat=True).first()
            profile, created = profile_from_yaml(
                text, actor=None, replace=options["replace"], file_name=str(path)
            )
        except ProfileError as error:
            raise CommandError("\n".join(error.messages())) from None
        except ProfileRefused as error:
            raise CommandError(f"{path}: {error}") from None
        if created:
            self.stdout.write(f"Created mapping profile {profile.slug} (version {profile.version}).")
        elif profile.version == version:
            self.stdout.write(f"Mapping profile {profile.slug} unchanged (version {profile.version}).")
        else:
            self.stdout.write(f"Mapping profile {profile.slug} is now at version {profile.version}.")
