"""The ``cityops`` command: the product's own commands first, and every Django command behind them.

``cityops --help`` lists what an operator needs; ``cityops <command> --help`` explains one command;
``cityops help --all`` lists every Django management command too. Hyphenated names are accepted for
commands whose Django name has an underscore (``seed-demo`` runs ``seed_demo``).
"""

from __future__ import annotations

import os
import sys

# (name typed by the operator, one-line description). Kept here, not discovered, so the list stays short
# and in the order an operator meets the commands.
PRODUCT_COMMANDS: list[tuple[str, str]] = [
    ("demo", "Set up and run CityOps with a demo province on http://127.0.0.1:8000 (one command, no setup)."),
    ("serve", "Run the web server (granian); --with-worker also runs the background worker in-process."),
    ("worker", "Run the background task worker (needed for e-mails, imports and scheduled jobs)."),
    ("migrate", "Create or update the database tables."),
    ("seed-demo", "Load the demo province: agencies, communes, people for every role, sample data."),
    ("createadmin", "Create an administrator account (a superuser with the administrator role)."),
    ("apikey", "Create, list and revoke API keys for integrators (create/list/revoke)."),
    ("check", "Check the configuration; add --deploy to check production settings."),
    ("reindex", "Rebuild the global search index (all types, or the ones named)."),
    ("ingest-mqtt", "Consume sensor readings from the MQTT broker (MQTT_URL) into the data hub."),
    ("simulate-sensors", "Publish realistic sensor readings for the demo province, so the demo moves."),
    ("rollup", "Fill the hourly and daily observation rollups (resumes where it stopped)."),
    ("verify-exchange-log", "Check the hash chain of the data exchange log; reports any altered entry."),
    ("pull-connectors", "Run the data hub's scheduled HTTP pulls that are due (run by a scheduler)."),
    ("prune-datahub", "Apply data hub retention: old raw observations (rollups kept) and old dataset versions."),
    ("feedback-deadlines", "Send feedback reminders before and escalations after deadlines (run by a scheduler)."),
    ("directives-reminders", "Send task reminders and escalations; --digest sends the weekly digest."),
    ("operations-evaluate", "Evaluate the no-data, report-cluster and indicator rules (run every minute)."),
    ("dashboard-boundaries", "Load commune and ward outlines for the dashboard map from a GeoJSON file."),
    ("dashboard-maintenance", "Prune old live-feed events and refresh sensors' latest values (run daily)."),
    ("bench-ingest", "Measure observation ingest against a raw COPY of the same rows (PostgreSQL)."),
    ("backup", "Write the database and every uploaded file into one verified archive (tar.gz)."),
    ("restore", "Restore a backup archive after checking it; refuses a database with data unless --force."),
    ("collectstatic", "Copy static files to STATIC_ROOT before running in production."),
    ("changepassword", "Change a user's password."),
    ("shell", "Open a Python shell with CityOps loaded."),
]


def product_help() -> str:
    """The text of ``cityops --help``."""
    width = max(len(name) for name, _ in PRODUCT_COMMANDS)
    lines = [
        "CityOps — intelligent operations center for a province or city.",
        "",
        "Usage: cityops <command> [options]",
        "       cityops <command> --help   (options of one command)",
        "",
        "Commands:",
        *(f"  {name.ljust(width)}  {text}" for name, text in PRODUCT_COMMANDS),
        "",
        "Every other Django management command works too: `cityops help --all` lists them.",
        "Configuration comes from the environment (DATABASE_URL, SECRET_KEY, DEBUG, ALLOWED_HOSTS, ...).",
    ]
    return "\n".join(lines) + "\n"


def _command_name(name: str) -> str:
    """``seed-demo`` → ``seed_demo``; options and plain names pass unchanged."""
    if name.startswith("-"):
        return name
    return name.replace("-", "_")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"} or args == ["help"]:
        sys.stdout.write(product_help())
        return
    if args[:2] == ["help", "--all"]:
        args = ["help"]
    args[0] = _command_name(args[0])
    if args[0] == "help" and len(args) > 1:
        args[1] = _command_name(args[1])
    if args[0] == "demo":
        # The demo runs with development settings unless told otherwise; this must happen before
        # settings are imported, because settings refuse to start without a real SECRET_KEY otherwise.
        os.environ.setdefault("DEBUG", "1")
        # Demo email goes to files under var/mail/ instead of flooding the terminal.
        os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
        from cityops.core.demo_data import JURISDICTION_BBOX

        os.environ.setdefault("FEEDBACK_JURISDICTION_BBOX", JURISDICTION_BBOX)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityops.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["cityops", *args])


if __name__ == "__main__":
    main()
