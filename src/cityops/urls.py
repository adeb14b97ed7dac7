"""Root URL configuration: the product, the admin, the API and language switching."""

from django.contrib import admin
from django.urls import include, path, re_path

from cityops.api import api
from cityops.core.api.base import unmatched_path
from cityops.core.ratelimit import rate_limited

urlpatterns = [
    path("", include("cityops.core.urls")),
    path("datahub/", include("cityops.datahub.urls")),
    path("ngsi-ld/v1/", include("cityops.datahub.ngsild")),
    path("feedback/", include("cityops.feedback.urls")),
    path("open311/v2/", include("cityops.feedback.open311")),
    path("directives/", include("cityops.directives.urls")),
    path("schedule/", include("cityops.schedule.urls")),
    path("documents/", include("cityops.documents.urls")),
    path("operations/", include("cityops.operations.urls")),
    path("dashboard/", include("cityops.dashboard.urls")),
    path("admin/login/", rate_limited("login")(admin.site.login), name="admin_login"),  # the limit of /login/
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    re_path(r"^api/v1/", unmatched_path, name="api_unmatched"),  # JSON 404 where no operation matches
]
