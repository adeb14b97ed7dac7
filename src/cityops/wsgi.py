"""WSGI entry point: what `cityops serve` runs by default (granian), or any WSGI server."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityops.settings")
application = get_wsgi_application()
# What the process built while starting (modules, settings, URL patterns) lives as long as it does: moved out of
# the collector's generations, it is not scanned again by every full collection, which would otherwise pause
# all of the process's requests for tens of milliseconds under load.
gc.freeze()
