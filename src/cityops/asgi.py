"""ASGI entry point (`cityops serve --interface asgi`, or any ASGI server: `cityops.asgi:application`)."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityops.settings")
application = get_asgi_application()
# What the process built while starting (modules, settings, URL patterns) lives as long as it does: moved out of
# the collector's generations, it is not scanned again by every full collection, which would otherwise pause
# all of the process's requests for tens of milliseconds under load.
gc.freeze()
