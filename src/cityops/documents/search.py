"""What the documents module adds to global search: number, notation, subject, issuing organisation and the
text of attached DOCX/ODT/text files (``fulltext.py``).

Hits are re-checked through ``for_user``, so search never shows a document another agency may not see.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityops.core.search import SearchProvider, register
from cityops.documents.models import IncomingDocument, OutgoingDocument

register(
    SearchProvider(
        model=IncomingDocument,
        fields=("number", "notation", "subject", "sender_name", "sender_organ_id", "type_name", "attachment_text"),
        title=lambda doc: f"{doc.code} — {doc.subject}" if doc.code else doc.subject,
        url=lambda doc: f"/documents/incoming/{doc.pk}/",
        summary=lambda doc: doc.sender_name,
        visible_to=lambda user: IncomingDocument.objects.for_user(user, "view"),
        label=_("Incoming documents"),
    )
)
register(
    SearchProvider(
        model=OutgoingDocument,
        fields=("number", "notation", "subject", "type_name", "organization__name", "attachment_text"),
        title=lambda doc: f"{doc.code} — {doc.subject}" if doc.code else doc.subject,
        url=lambda doc: f"/documents/outgoing/{doc.pk}/",
        summary=lambda doc: doc.organization.name,
        visible_to=lambda user: OutgoingDocument.objects.for_user(user, "view"),
        label=_("Outgoing documents"),
    )
)
