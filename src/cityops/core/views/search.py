"""The global search page: results of every registered type the user may see, grouped by type."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from cityops.core import search
from cityops.core.text import nfc, search_terms


class SearchView(LoginRequiredMixin, TemplateView):
    """``search/?q=``: an empty query shows a hint, an over-long one a clear message, never an error page."""

    template_name = "core/search/results.html"
    per_type = 10

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        raw = self.request.GET.get("q", "")
        query = nfc(raw).strip() if isinstance(raw, str) else ""
        groups: list[search.SearchGroup] = []
        error = ""
        if len(query) > search.MAX_QUERY_LENGTH:
            error = _("The search text is too long: use at most %(max)d characters.") % {"max": search.MAX_QUERY_LENGTH}
            query_shown = query[: search.MAX_QUERY_LENGTH]
        else:
            query_shown = query
            if query:
                groups = search.search_grouped(self.request.user, query, per_type=self.per_type)
        context.update(
            query=query_shown,
            groups=groups,
            error=error,
            searched=bool(query) and not error,
            has_terms=bool(search_terms(query_shown)) if query_shown else False,
            total=sum(group.total for group in groups),
            max_length=search.MAX_QUERY_LENGTH,
        )
        return context
