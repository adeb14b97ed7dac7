"""The global search registry.

Each app's ``search.py`` registers a ``SearchProvider`` for what it indexes. Services call ``index`` after a
write so the folded text is current; ``search`` finds candidates in one table and keeps only those the
provider's own permission-scoped selector lets the user see, so search never shows more than a list would
(totals included: they are counted on the same scoped query).

The index holds text folded by ``cityops.core.text.fold`` (lower case, no diacritics, đ→d), and the query
is folded the same way, so both databases behave alike without ``unaccent``. Each word of the query must
appear (``text LIKE '%word%'``, wildcards in the word escaped by Django); on PostgreSQL a trigram GIN index
on ``text`` (migration 0002) serves that pattern.

``entries_matching`` is the faster whole-word match lists use on PostgreSQL: a stored ``tsvector`` of the
folded text (migration 0004) with a GIN index; every word of the query is a word of the text and the last one
may be the start of a word, so results follow the typing. SQLite keeps the ``LIKE`` match.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models, transaction
from django.db.models import BooleanField, CharField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils.module_loading import autodiscover_modules

from cityops.core.models import SearchEntry
from cityops.core.text import fold, nfc, search_terms

__all__ = [
    "MAX_QUERY_LENGTH",
    "SearchGroup",
    "SearchHit",
    "SearchProvider",
    "SearchQueryTooLong",
    "autodiscover",
    "entries_matching",
    "index",
    "prefix_widens",
    "provider_for",
    "providers",
    "register",
    "reindex",
    "search",
    "search_grouped",
    "unindex",
    "words_query",
]

MAX_QUERY_LENGTH = 200
MAX_LIMIT = 100


class SearchQueryTooLong(ValueError):
    """The typed query is longer than ``MAX_QUERY_LENGTH`` characters."""


@dataclass(frozen=True)
class SearchProvider:
    """How one model is indexed and who may find it.

    ``visible_to(user)`` must return the same queryset the model's own list would show that user.
    ``organization`` gives the owning organisation id of a record when it is not ``obj.organization_id``.
    ``queryset`` is what ``reindex`` walks (e.g. with ``select_related`` for ``fields``).
    """

    model: type[models.Model]
    fields: Sequence[str]
    title: Callable[[Any], str]
    url: Callable[[Any], str]
    visible_to: Callable[[Any], QuerySet]
    summary: Callable[[Any], str] = field(default=lambda obj: "")
    label: Any = ""
    organization: Callable[[Any], int | None] | None = None
    queryset: Callable[[], QuerySet] | None = None

    @property
    def object_type(self) -> str:
        return self.model._meta.label_lower

    @property
    def display_label(self) -> str:
        return str(self.label or self.model._meta.verbose_name_plural)

    def text_of(self, obj: Any) -> str:
        parts = []
        for name in self.fields:
            value: Any = obj
            for attr in name.split("__"):
                value = getattr(value, attr, None) if value is not None else None
            if value:
                parts.append(str(value))
        return fold(nfc(" ".join(parts)))

    def organization_id_of(self, obj: Any) -> int | None:
        if self.organization is not None:
            return self.organization(obj)
        return getattr(obj, "organization_id", None)

    def entry_values(self, obj: Any) -> dict[str, Any]:
        return {
            "organization_id": self.organization_id_of(obj),
            "title": nfc(self.title(obj) or "")[:500],
            "summary": nfc(self.summary(obj) or "")[:1000],
            "url": (self.url(obj) or "")[:500],
            "text": self.text_of(obj),
        }

    def all_records(self) -> QuerySet:
        return self.queryset() if self.queryset is not None else self.model._default_manager.all()


@dataclass(frozen=True)
class SearchHit:
    object_type: str
    object_id: str
    title: str
    summary: str
    url: str
    label: str


@dataclass(frozen=True)
class SearchGroup:
    """The hits of one type, with how many the user may see in all (``total`` ≥ ``len(hits)``)."""

    object_type: str
    label: str
    total: int
    hits: list[SearchHit]


_providers: dict[str, SearchProvider] = {}


def register(provider: SearchProvider) -> SearchProvider:
    """Add a model to global search; called at import time from an app's ``search.py``."""
    _providers[provider.object_type] = provider
    return provider


def providers() -> list[SearchProvider]:
    return list(_providers.values())


def provider_for(object_type: str) -> SearchProvider | None:
    return _providers.get(object_type)


def index(obj: models.Model) -> None:
    """Write or refresh the search row for one record."""
    provider = _providers.get(obj._meta.label_lower)
    if provider is None:
        return
    values = provider.entry_values(obj)
    # One upsert statement instead of update_or_create's savepoint, read and write: this runs inside every
    # save of a searchable record (each citizen report among them).
    SearchEntry.objects.bulk_create(
        [SearchEntry(object_type=provider.object_type, object_id=str(obj.pk), **values)],
        update_conflicts=True,
        unique_fields=["object_type", "object_id"],
        update_fields=[*values, "updated_at"],
    )


def unindex(obj: models.Model) -> None:
    """Remove a record from search (deleted or withdrawn)."""
    SearchEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).delete()


def reindex(object_types: Iterable[str] | None = None, batch_size: int = 500) -> int:
    """Rebuild the index for the given types (all when None); returns the number of rows written.

    Each type is rebuilt in one transaction, so searches keep seeing the old rows until the new ones are in.
    """
    wanted = set(object_types) if object_types else None
    if wanted is not None:
        unknown = wanted - set(_providers)
        if unknown:
            raise ValueError(f"Unknown search types: {', '.join(sorted(unknown))}")
    written = 0
    for provider in providers():
        if wanted is not None and provider.object_type not in wanted:
            continue
        with transaction.atomic():
            SearchEntry.objects.filter(object_type=provider.object_type).delete()
            rows: list[SearchEntry] = []
            for obj in provider.all_records().iterator(chunk_size=batch_size):
                rows.append(
                    SearchEntry(object_type=provider.object_type, object_id=str(obj.pk), **provider.entry_values(obj))
                )
                if len(rows) >= batch_size:
                    SearchEntry.objects.bulk_create(rows)
                    written += len(rows)
                    rows = []
            SearchEntry.objects.bulk_create(rows)
            written += len(rows)
    return written


def words_query(terms: Sequence[str], *, prefix: bool = True) -> str:
    """The PostgreSQL ``tsquery`` for folded search terms: every word present, the last one also as a prefix.

    Terms hold only word characters (``search_terms``); the stored vector splits at anything that is not a letter
    or digit, so an underscore splits a term here too. A one-letter last word is matched whole: as a prefix it
    would match most of the index.
    """
    words = [word for term in terms for word in term.split("_") if word]
    parts = [f"'{word}'" for word in words]
    if prefix and parts and len(words[-1]) > 1:
        parts[-1] += ":*"
    return " & ".join(parts)


def prefix_widens(terms: Sequence[str]) -> bool:
    """Whether ``entries_matching(terms)`` can find more than ``entries_matching(terms, prefix=False)``."""
    return connection.vendor == "postgresql" and words_query(terms) != words_query(terms, prefix=False)


def entries_matching(terms: Sequence[str], *, prefix: bool = True) -> QuerySet[SearchEntry]:
    """Index rows (any type) whose text holds every term: whole words on PostgreSQL, substrings elsewhere.

    On PostgreSQL this reads the stored ``search_vector`` (migration 0004) through its GIN index; the last word
    is also taken as the start of a word unless ``prefix`` is false (a prefix costs the index far more for
    common words). The column is named without a table so the condition also works inside a subquery.
    """
    rows = SearchEntry.objects.all()
    if connection.vendor == "postgresql":
        query = words_query(terms, prefix=prefix)
        if query:
            match = RawSQL("search_vector @@ to_tsquery('simple'::regconfig, %s)", [query], BooleanField())
            rows = rows.filter(match)
        return rows
    condition = Q()
    for term in terms:
        condition &= Q(text__contains=term)
    return rows.filter(condition)


def _check_query(query: str) -> list[str]:
    query = query or ""
    if len(query) > MAX_QUERY_LENGTH:
        raise SearchQueryTooLong(f"The query is longer than {MAX_QUERY_LENGTH} characters.")
    return search_terms(query)


def _selected(object_types: Iterable[str] | None) -> list[SearchProvider]:
    wanted = set(object_types) if object_types else None
    return [p for p in providers() if wanted is None or p.object_type in wanted]


def _matching(provider: SearchProvider, user: Any, terms: list[str]) -> QuerySet[SearchEntry]:
    """Index rows of one type that match every term and that the user's own list would show."""
    visible_ids = provider.visible_to(user).annotate(_sid=Cast("pk", output_field=CharField())).values("_sid")
    rows = SearchEntry.objects.filter(object_type=provider.object_type, object_id__in=visible_ids)
    for term in terms:
        rows = rows.filter(text__contains=term)
    return rows


def _hits(provider: SearchProvider, rows: QuerySet[SearchEntry], terms: list[str], limit: int) -> list[SearchHit]:
    entries = list(rows.order_by("-updated_at", "-id")[:limit])
    first = terms[0]
    # Records whose title holds the first word come first; then the most recently changed.
    entries.sort(key=lambda entry: first not in fold(entry.title))
    label = provider.display_label
    return [
        SearchHit(
            object_type=entry.object_type,
            object_id=entry.object_id,
            title=entry.title,
            summary=entry.summary,
            url=entry.url,
            label=label,
        )
        for entry in entries
    ]


def search(user: Any, query: str, *, limit: int = 20, object_types: Iterable[str] | None = None) -> list[SearchHit]:
    """Diacritic- and case-insensitive search over everything the user may see."""
    terms = _check_query(query)
    if not terms:
        return []
    limit = max(1, min(limit, MAX_LIMIT))
    hits: list[SearchHit] = []
    for provider in _selected(object_types):
        hits.extend(_hits(provider, _matching(provider, user, terms), terms, limit))
    first = terms[0]
    hits.sort(key=lambda hit: (first not in fold(hit.title), fold(hit.title)))
    return hits[:limit]


def search_grouped(
    user: Any, query: str, *, per_type: int = 10, object_types: Iterable[str] | None = None
) -> list[SearchGroup]:
    """The same search, grouped by type, each group with the total the user may see; empty groups left out."""
    terms = _check_query(query)
    if not terms:
        return []
    per_type = max(1, min(per_type, MAX_LIMIT))
    groups: list[SearchGroup] = []
    for provider in _selected(object_types):
        rows = _matching(provider, user, terms)
        hits = _hits(provider, rows, terms, per_type)
        if not hits:
            continue
        total = len(hits) if len(hits) < per_type else rows.count()
        groups.append(SearchGroup(provider.object_type, provider.display_label, total, hits))
    return groups


def autodiscover() -> None:
    """Import each app's ``search`` module, and its ``permissions`` module, so both registries fill."""
    from cityops.core import permissions

    permissions.autodiscover()
    autodiscover_modules("search")
