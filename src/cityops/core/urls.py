"""URLs of the core pages."""

from django.urls import include, path

from cityops.core.ratelimit import rate_limited
from cityops.core.views import account, admin_console, auth, directory, home, search
from cityops.core.views import attachments as attachment_views
from cityops.core.views import audit as audit_views
from cityops.core.views import calendar as calendar_views
from cityops.core.views import notifications as notification_views

app_name = "core"

urlpatterns = [
    path("", home.HomeView.as_view(), name="home"),
    path("login/", rate_limited("login")(auth.LoginView.as_view()), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("account/", account.AccountView.as_view(), name="account"),
    path("account/password/", auth.PasswordChangeView.as_view(), name="password_change"),
    path("account/two-factor/remove/", auth.TwoFactorRemoveView.as_view(), name="two_factor_remove"),
    path("account/two-factor/verify/", auth.TwoFactorVerifyView.as_view(), name="two_factor_verify"),
    path("account/two-factor/setup/", auth.TwoFactorSetupView.as_view(), name="two_factor_setup"),
    path("notifications/", notification_views.notifications, name="notifications"),
    path("notifications/read/", notification_views.notifications_read, name="notifications_read"),
    path(
        "notifications/preferences/",
        notification_views.notification_preferences_view,
        name="notification_preferences",
    ),
    path("announcements/", notification_views.announcements, name="announcements"),
    path("attachments/<int:pk>/download/", attachment_views.attachment_download, name="attachment_download"),
    path("search/", search.SearchView.as_view(), name="search"),
    path("directory/", directory.DirectoryView.as_view(), name="directory"),
    path("directory/org/<slug:code>/", directory.OrganizationView.as_view(), name="directory_org"),
    path("directory/person/<int:pk>/", directory.PersonView.as_view(), name="directory_person"),
    path("audit/", audit_views.AuditLogView.as_view(), name="audit"),
    path("audit/export.csv", audit_views.AuditExportView.as_view(), name="audit_export"),
    path("calendar/", calendar_views.CalendarView.as_view(), name="calendar"),
    path("manage/", include(admin_console.urlpatterns)),
]
