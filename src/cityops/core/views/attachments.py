"""Serving attachments: only through the permission-scoped selector, always as a download."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_safe

from cityops.core.downloads import download_response
from cityops.core.permissions import NotFoundOrForbidden
from cityops.core.selectors.attachments import attachment_get
from cityops.core.services.attachments import attachment_record_download

__all__ = ["attachment_download"]


@require_safe
def attachment_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Download one attachment the user may see (public ones need no sign-in); audited."""
    try:
        attachment = attachment_get(user=request.user, pk=pk)
    except NotFoundOrForbidden:
        if not request.user.is_authenticated:
            # Missing and private look alike to an anonymous visitor too: both ask them to sign in.
            return redirect_to_login(request.get_full_path())
        raise
    if not attachment.file:
        raise Http404
    response = download_response(attachment)
    attachment_record_download(actor=request.user, attachment=attachment)
    return response
