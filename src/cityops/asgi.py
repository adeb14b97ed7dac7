"""ASGI entry point (`cityops serve --interface asgi`, or any ASGI server: `cityops.asgi:application`)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityops.settings")
application = get_asgi_application()
