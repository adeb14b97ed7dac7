"""``cityops apikey create|list|revoke``: API keys for integrators, from the server's console."""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from cityops.core.models import ApiKey, Organization, User
from cityops.core.selectors.apikeys import apikey_list
from cityops.core.services.apikeys import KEY_PREFIX, apikey_create, apikey_revoke

MAX_EXPIRES_DAYS = 3650


def console_actor(username: str | None) -> User:
    """Whom console actions are recorded against: ``--as USERNAME``, else the first active superuser.

    Whoever runs the console already controls the installation; the audit trail still names an account.
    """
    if username:
        actor = User.objects.filter(username=username, is_active=True).first()
        if actor is None:
            raise CommandError(_("No active account is called %(username)s.") % {"username": username})
        return actor
    actor = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    if actor is None:
        raise CommandError(_("No administrator exists yet: run `cityops createadmin` first."))
    return actor


def _expires_days(value: str) -> int:
    days = int(value)
    if not 1 <= days <= MAX_EXPIRES_DAYS:
        raise ValueError(value)
    return days


class Command(BaseCommand):
    """Manages API keys; the secret of a new key is printed once and cannot be shown again."""

    help = "Create, list and revoke API keys for integrators. `cityops apikey create --help` for details."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--as", dest="actor", default=None, help="Act as this administrator (default: first superuser)."
        )
        actions = parser.add_subparsers(dest="action", required=True, metavar="{create,list,revoke}")
        create = actions.add_parser("create", help="Create a key and print it once.")
        create.add_argument("--name", required=True, help="What the key is for, e.g. the integrating system.")
        create.add_argument("--user", required=True, help="Username of the account the key acts as.")
        create.add_argument("--organization", required=True, help="Code of the organisation the key belongs to.")
        create.add_argument(
            "--expires-days",
            type=_expires_days,
            default=None,
            help="Days until the key stops working (default: never).",
        )
        listing = actions.add_parser("list", help="List keys (never their secrets).")
        listing.add_argument("--active", action="store_true", help="Only keys that still work.")
        revoke = actions.add_parser("revoke", help="Revoke a key at once, by its prefix.")
        revoke.add_argument("prefix", help="The key's prefix (the part after cok_), or the whole key.")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = console_actor(options["actor"])
        action = options["action"]
        try:
            if action == "create":
                self._create(actor, options)
            elif action == "list":
                self._list(actor, active_only=options["active"])
            else:
                self._revoke(actor, options["prefix"])
        except PermissionDenied as exc:
            raise CommandError(str(exc) or _("Permission denied.")) from exc
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                lines = [f"{field}: {message}" for field, errors in exc.message_dict.items() for message in errors]
            else:
                lines = exc.messages
            raise CommandError("\n".join(lines)) from exc

    def _create(self, actor: User, options: dict[str, Any]) -> None:
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(_("No account is called %(username)s.") % {"username": options["user"]})
        organization = Organization.objects.filter(code=options["organization"], is_active=True).first()
        if organization is None:
            raise CommandError(_("No active organisation has the code %(code)s.") % {"code": options["organization"]})
        expires_at = None
        if options["expires_days"]:
            expires_at = timezone.now() + timedelta(days=options["expires_days"])
        api_key, secret = apikey_create(
            actor=actor, name=options["name"], user=user, organization=organization, expires_at=expires_at
        )
        self.stdout.write(_("API key %(prefix)s created for %(user)s (%(organization)s).") % {
            "prefix": api_key.prefix, "user": user.username, "organization": organization.name,
        })  # fmt: skip
        self.stdout.write(_("Store it now; it will not be shown again:"))
        self.stdout.write(secret)

    def _list(self, actor: User, *, active_only: bool) -> None:
        keys = list(apikey_list(actor=actor, active_only=active_only))
        if not keys:
            self.stdout.write(_("No API keys."))
            return
        header = (_("Prefix"), _("Name"), _("User"), _("Organisation"), _("Status"), _("Expires"), _("Last used"))
        rows = [header]
        for key in keys:
            if key.revoked_at:
                status = _("revoked")
            elif not key.is_active:
                status = _("expired")
            else:
                status = _("active")
            rows.append((
                key.prefix, key.name, key.user.username, key.organization.code, status,
                f"{timezone.localtime(key.expires_at):%Y-%m-%d %H:%M}" if key.expires_at else "-",
                f"{timezone.localtime(key.last_used_at):%Y-%m-%d %H:%M}" if key.last_used_at else "-",
            ))  # fmt: skip
        widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
        for row in rows:
            self.stdout.write(
                "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            )

    def _revoke(self, actor: User, value: str) -> None:
        prefix = value.strip()
        if prefix.startswith(f"{KEY_PREFIX}_"):
            prefix = prefix.split("_")[1] if prefix.count("_") >= 1 else ""
        api_key = (
            ApiKey.objects.filter(prefix=prefix[:16]).select_related("organization", "user").first() if prefix else None
        )
        if api_key is None:
            raise CommandError(_("No API key has the prefix %(prefix)s.") % {"prefix": value[:40]})
        apikey_revoke(actor=actor, api_key=api_key)
        self.stdout.write(_("API key %(prefix)s revoked.") % {"prefix": api_key.prefix})
