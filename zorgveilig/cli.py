"""The `zorgveilig` command: Django's management commands with a clean error for bad configuration."""

from __future__ import annotations

import os
import sys

# Commands spelled with a dash on the command line; a Django command module cannot have one in its name.
ALIASES = {"verify-bundle": "verify_bundle"}


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zorgveilig.settings")
    from django.conf import settings
    from django.core.management import execute_from_command_line

    from zorgveilig.env import SettingsError

    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ALIASES:
        args[0] = ALIASES[args[0]]
    try:
        # Read the settings before Django does: its command runner would swallow the error and go on with
        # a partial command list.
        settings.INSTALLED_APPS  # noqa: B018
        execute_from_command_line(["zorgveilig", *args])
    except SettingsError as error:
        print(f"zorgveilig: configuration error in {error.variable}: {error.problem}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
