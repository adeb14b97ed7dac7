"""The core's API routers, mounted under /api/v1/ by ``cityops.api``."""

from __future__ import annotations

from ninja import Router

from cityops.core.api import apikeys, me, organizations
from cityops.core.api import attachments as attachments_api
from cityops.core.api import calendar as calendar_api
from cityops.core.api import notifications as notifications_api
from cityops.core.api import search as search_api

router = Router()
router.add_router("/", me.router)
router.add_router("/", organizations.router)
router.add_router("/", apikeys.router)
router.add_router("/", attachments_api.router)
router.add_router("/", notifications_api.router)
router.add_router("/", search_api.router)
router.add_router("/", calendar_api.router)
