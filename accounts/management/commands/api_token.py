"""`zorgveilig api_token list|revoke|create`: case handlers' API tokens, for administrators."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts import api_tokens
from accounts.models import ApiToken, User


def _when(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "-"


class Command(BaseCommand):
    help = (
        "Case handlers' API tokens. `list` shows them (never the token itself: it is stored nowhere), "
        "`revoke ID` stops a token at once (or every token of a user with --user), and `create --user NAME "
        "--name TEXT` makes a token after asking for that user's password, which opens their key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["list", "revoke", "create"])
        parser.add_argument("token_id", nargs="?", type=int, metavar="ID", help="with revoke: the token's id")
        parser.add_argument(
            "--user", metavar="USERNAME", help="only this user's tokens (list, revoke, create)"
        )
        parser.add_argument("--all", action="store_true", help="with list: also revoked and expired tokens")
        parser.add_argument("--name", help="with create: what the token is for")
        parser.add_argument(
            "--days",
            type=int,
            default=api_tokens.DEFAULT_DAYS,
            help=f"with create: days the token is valid, 1 to {api_tokens.MAX_DAYS} (default {api_tokens.DEFAULT_DAYS})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = self._user(options["user"]) if options["user"] else None
        match options["action"]:
            case "list":
                self._list(user, show_all=options["all"])
            case "revoke":
                self._revoke(user, options["token_id"])
            case "create":
                self._create(user, options["name"] or "", options["days"])

    def _user(self, username: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        return user

    def _list(self, user: User | None, *, show_all: bool) -> None:
        now = timezone.now()
        tokens = ApiToken.objects.select_related("user").order_by("user__username", "-created_at")
        if user is not None:
            tokens = tokens.filter(user=user)
        if not show_all:
            tokens = tokens.filter(revoked_at__isnull=True, expires_at__gt=now)
        rows = list(tokens)
        if not rows:
            self.stdout.write("No tokens." if show_all else "No active tokens (--all shows every token).")
            return
        self.stdout.write("id\tuser\tprefix\tstate\tcreated\texpires\tlast used\tname")
        for token in rows:
            self.stdout.write(
                "\t".join(
                    [
                        str(token.pk),
                        token.user.get_username(),
                        f"{token.prefix}…",
                        api_tokens.state(token, now),
                        _when(token.created_at),
                        _when(token.expires_at),
                        _when(token.last_used_at),
                        token.name,
                    ]
                )
            )

    def _revoke(self, user: User | None, token_id: int | None) -> None:
        if token_id is None and user is None:
            raise CommandError("name the token: revoke ID, or every token of a user: revoke --user USERNAME")
        tokens = ApiToken.objects.all()
        if token_id is not None:
            tokens = tokens.filter(pk=token_id)
        if user is not None:
            tokens = tokens.filter(user=user)
        found = list(tokens)
        if token_id is not None and not found:
            raise CommandError(f"no token with id {token_id}" + (f" of {user.username}" if user else ""))
        revoked = sum(api_tokens.revoke(token, actor=None) for token in found)
        self.stdout.write(f"Revoked {revoked} token(s); {len(found) - revoked} were revoked already.")

    def _create(self, user: User | None, name: str, days: int) -> None:
        if user is None:
            raise CommandError("create needs --user USERNAME")
        if not api_tokens.may_hold_tokens(user):
            raise CommandError(
                f"{user.username} neither handles cases, documents attacks nor analyses data, "
                "so cannot have an API token"
            )
        password = getpass.getpass(f"Password of {user.username} (opens their key; not echoed): ")
        private_key = api_tokens.private_key_with_password(user, password)
        if private_key is None:
            raise CommandError(
                "the password is wrong, or the user has never logged in on the website (so has no key yet)"
            )
        try:
            row, token = api_tokens.create_token(user, private_key, name=name, days=days)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(f"Token {row.pk} for {user.username}, valid until {_when(row.expires_at)}:")
        self.stdout.write("")
        self.stdout.write(f"    {token}")
        self.stdout.write("")
        self.stdout.write("This is shown once and stored nowhere. Give it to the program that uses it.")
