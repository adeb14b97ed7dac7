"""The REST API root at /api/v1/: every app mounts its router here.

Every endpoint requires authentication (API key or web session) unless it declares ``auth=None``; every
error has the ``ErrorOut`` shape. See ``cityops.core.api.base``.
"""

from __future__ import annotations

from ninja import NinjaAPI

from cityops.core.api import router as core_router
from cityops.core.api.base import default_auth, install_error_handlers
from cityops.datahub.api import router as datahub_router
from cityops.directives.api import router as directives_router
from cityops.documents.api import router as documents_router
from cityops.feedback.api import router as feedback_router
from cityops.operations.api import router as operations_router
from cityops.schedule.api import router as schedule_router

api = NinjaAPI(
    title="CityOps API",
    version="1",
    description=(
        "REST API of the CityOps intelligent operations center. Authenticate with an API key "
        "(`Authorization: Bearer cok_…` or `X-API-Key: cok_…`) or the web session (send the CSRF token "
        "in `X-CSRFToken` on POST, PUT, PATCH and DELETE). Every error answers "
        '`{"error": {"code", "message", "fields"}}`; bad input is 400.'
    ),
    urls_namespace="api",
    auth=default_auth(),
)
install_error_handlers(api)
api.add_router("/", core_router)
api.add_router("/datahub", datahub_router)
api.add_router("/feedback", feedback_router)
api.add_router("/directives", directives_router)
api.add_router("/schedule", schedule_router)
api.add_router("/documents", documents_router)
api.add_router("/operations", operations_router)
