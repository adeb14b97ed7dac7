"""``cityops createadmin``: the first administrator of an installation."""

from __future__ import annotations

import getpass
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from cityops.core.choices import Role
from cityops.core.models import Organization, User
from cityops.core.services.organizations import user_create


class Command(BaseCommand):
    """Creates a superuser holding the administrator role in the root organisation (the province)."""

    help = (
        "Create an administrator: a superuser with the administrator role in the root organisation. "
        "Prompts for what is missing, or runs unattended with --username, --email and --password-stdin."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--username", help="Login name.")
        parser.add_argument("--email", default=None, help="E-mail address.")
        parser.add_argument("--full-name", default="", help="Full name shown in the product.")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from the first line of standard input (for scripts; never on the command line).",
        )
        parser.add_argument(
            "--organization",
            default=None,
            help="Code of the organisation to administer (default: the root organisation).",
        )
        parser.add_argument("--no-input", "--noinput", action="store_false", dest="interactive", help="Never prompt.")

    def handle(self, *args: Any, **options: Any) -> None:
        interactive = options["interactive"] and not options["password_stdin"] and sys.stdin.isatty()
        username = (options["username"] or "").strip()
        email = options["email"]
        if not username:
            if not interactive:
                raise CommandError(_("--username is required when not running interactively."))
            username = input(_("Username: ")).strip()
        if not username:
            raise CommandError(_("A username is required."))
        if User.objects.filter(username=username).exists():
            raise CommandError(_("The username %(username)s is already taken.") % {"username": username})
        if email is None:
            email = input(_("E-mail address: ")).strip() if interactive else ""

        organization = self._organization(options["organization"])

        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\r\n")
        elif interactive:
            password = getpass.getpass(_("Password: "))
            if password != getpass.getpass(_("Password (again): ")):
                raise CommandError(_("The two passwords differ."))
        else:
            raise CommandError(_("Give the password with --password-stdin when not running interactively."))
        if not password:
            raise CommandError(_("A password is required."))

        try:
            with transaction.atomic():
                user = user_create(
                    actor=None,
                    username=username,
                    password=password,
                    organization=organization,
                    role=Role.ADMINISTRATOR if organization is not None else None,
                    email=email,
                    full_name=options["full_name"],
                    is_staff=True,
                    is_superuser=True,
                )
        except ValidationError as exc:
            messages = exc.messages if not hasattr(exc, "error_dict") else [
                f"{field}: {message}" for field, errors in exc.message_dict.items() for message in errors
            ]  # fmt: skip
            raise CommandError("\n".join(messages)) from exc

        if organization is None:
            self.stdout.write(
                self.style.WARNING(
                    _("No organisation exists yet: %(username)s is a superuser without a membership. "
                      "Create the province in the admin, or run `cityops seed-demo`.") % {"username": username}
                )
            )  # fmt: skip
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Administrator %(username)s created in %(organization)s.")
                    % {"username": user.username, "organization": organization.name}
                )
            )

    def _organization(self, code: str | None) -> Organization | None:
        if code:
            organization = Organization.objects.filter(code=code).first()
            if organization is None:
                raise CommandError(_("No organisation has the code %(code)s.") % {"code": code})
            return organization
        return Organization.objects.filter(parent__isnull=True, is_active=True).order_by("sort_order", "pk").first()
