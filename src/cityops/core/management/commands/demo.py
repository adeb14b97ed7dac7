"""``cityops demo``: one command from a fresh checkout to a running demo province.

Migrates, loads the demo data (once: later runs reuse it and start in seconds), gives the demo
integrator a fresh API key, prints every demo account, then serves with the background worker in the
same process. ``cityops`` sets ``DEBUG=1`` for this command unless the environment says otherwise.
"""

from __future__ import annotations

from argparse import ArgumentParser
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from cityops.core.choices import Role
from cityops.core.models import ApiKey, Membership, Organization, User
from cityops.core.services.apikeys import apikey_create, apikey_revoke

DEMO_KEY_NAME = "Demo integrator key"


def seed_demo_data(*, reset: bool = False) -> Any:
    """Integration point with the demo-data service (``cityops.core.services.demo.seed_demo``).

    Its result has ``accounts`` (username, password, role label, organisation name), ``integrator_user``
    and ``province``. Imported here, at call time, so tests can substitute it.
    """
    try:
        from cityops.core.services.demo import seed_demo
    except ImportError as exc:  # pragma: no cover - only while the demo service is not installed
        raise CommandError(_("The demo data module (cityops.core.services.demo) is not available.")) from exc
    return seed_demo(reset=reset)


def _key_admin(province: Organization | None) -> User | None:
    """An account allowed to issue the demo key: a superuser, else an administrator of the province."""
    superuser = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    if superuser is not None:
        return superuser
    memberships = Membership.objects.filter(role=Role.ADMINISTRATOR, user__is_active=True)
    if province is not None:
        memberships = memberships.filter(organization=province)
    membership = memberships.select_related("user").order_by("pk").first()
    return membership.user if membership else None


def rotate_demo_key(*, integrator: User, province: Organization | None) -> str | None:
    """Revoke the previous demo keys and issue a new one; returns the new secret (None if impossible)."""
    actor = _key_admin(province)
    if actor is None:
        return None
    for old in ApiKey.objects.filter(user=integrator, name=DEMO_KEY_NAME, revoked_at__isnull=True):
        apikey_revoke(actor=actor, api_key=old)
    membership = (
        Membership.objects.filter(user=integrator, organization__is_active=True)
        .order_by("organization__depth", "pk")
        .select_related("organization")
    )
    preferred = membership.filter(role=Role.INTEGRATOR).first() or membership.first()
    organization = preferred.organization if preferred else province
    if organization is None:
        return None
    _key, secret = apikey_create(actor=actor, name=DEMO_KEY_NAME, user=integrator, organization=organization)
    return secret


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  " + "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            lines.append("  " + "  ".join("-" * width for width in widths))
    return lines


class Command(BaseCommand):
    """Runs the demo; see the module docstring."""

    help = (
        "Set up and run CityOps with a demo province: migrate, load demo data if missing, print the demo "
        "accounts and a fresh integrator API key, then serve on http://127.0.0.1:8000 with the worker."
    )
    requires_system_checks = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default: %(default)s).")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on (default: %(default)s).")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Restore the demo accounts (password, active flag, role) to their demo state.",
        )
        parser.add_argument("--no-serve", action="store_true", help="Prepare everything and print, but do not serve.")

    def handle(self, *args: Any, **options: Any) -> None:
        database = settings.DATABASES["default"]
        if database["ENGINE"] == "django.db.backends.sqlite3" and database["NAME"] != ":memory:":
            from pathlib import Path

            Path(database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        self.stdout.write(_("Preparing the database…"))
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(_("Loading the demo province (only the first time)…"))
        result = seed_demo_data(reset=options["reset"])
        secret = rotate_demo_key(integrator=result.integrator_user, province=getattr(result, "province", None))

        base_url = f"http://{options['host']}:{options['port']}"
        out = self.stdout
        out.write("")
        out.write(self.style.SUCCESS(_("CityOps demo is ready.")))
        out.write("")
        out.write("  " + pgettext("open in browser", "Open") + f":      {base_url}")
        out.write("  " + _("API docs") + f":  {base_url}/api/v1/docs")
        out.write("")
        out.write(_("Demo accounts (demo passwords; never use them in production):"))
        header = (_("Role"), _("Username"), _("Password"), _("Organisation"))
        rows = [header, *((str(role), str(user), str(pw), str(org)) for user, pw, role, org in result.accounts)]
        for line in _table(rows):
            out.write(line)
        out.write("")
        if secret:
            out.write(_("API key of the demo integrator %(username)s (new on every run; the previous one is revoked):")
                      % {"username": result.integrator_user.username})  # fmt: skip
            out.write(f"  {secret}")
            out.write(f'  curl -H "Authorization: Bearer {secret}" {base_url}/api/v1/me')
        else:
            out.write(self.style.WARNING(_("No administrator in the demo data, so no API key was issued.")))
        if settings.EMAIL_BACKEND.endswith("filebased.EmailBackend"):
            out.write(_("Email is written to files in %(path)s.") % {"path": settings.EMAIL_FILE_PATH})
        out.write("")
        if options["no_serve"]:
            return
        from cityops.core.management.commands.serve import run_server

        out.write(_("Serving on %(url)s with the background worker; press Ctrl+C to stop.") % {"url": base_url})
        run_server(host=options["host"], port=options["port"], workers=None, with_worker=True)
