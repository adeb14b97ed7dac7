"""Official documents (Decree 30/2020/NĐ-CP): registers, incoming and outgoing documents, their processing trail.

Field names follow the Appendix VI metadata (and so the edXML header): ``number``/``notation`` are CodeNumber and
CodeNotation, ``issued_date`` is PromulgationDate, ``arrival_number``/``arrival_date`` are ArrivalNumber/ArrivalDate.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cityops.core.models import Attachment, Organization, TimeStampedModel
from cityops.core.models.base import TenantScopedModel
from cityops.documents.choices import (
    AssignmentRole,
    Confidentiality,
    Delivery,
    EventAction,
    ExchangeDirection,
    ExchangeKind,
    ExchangeState,
    IncomingStatus,
    OutgoingStatus,
    ReceivedVia,
    RegisterDirection,
    Urgency,
)


class DocumentType(TimeStampedModel):
    """A type of administrative document (Decree 30 Art. 7, abbreviations of Appendix III); configurable data."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    abbreviation = models.CharField(
        _("abbreviation"), max_length=10, blank=True, help_text=_("Empty for types without one (Công văn).")
    )
    edxml_type = models.PositiveSmallIntegerField(_("edXML type code"), null=True, blank=True)
    edxml_type_detail = models.PositiveSmallIntegerField(_("edXML type detail"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "name", "id"]
        verbose_name = _("document type")
        verbose_name_plural = _("document types")

    def __str__(self) -> str:
        return self.name


class Register(TenantScopedModel):
    """A register (sổ đăng ký) of one organisation for one year and direction; secret documents get their own.

    The row is also the number counter: services lock it (``select_for_update``) to take the next number.
    """

    name = models.CharField(_("name"), max_length=200)
    direction = models.CharField(
        pgettext_lazy("document register", "direction"), max_length=3, choices=RegisterDirection.choices
    )
    year = models.PositiveSmallIntegerField(_("year"))
    is_confidential = models.BooleanField(_("confidential"), default=False)
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        ordering = ["organization_id", "-year", "direction", "is_confidential", "id"]
        verbose_name = _("register")
        verbose_name_plural = _("registers")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "direction", "year", "is_confidential"], name="documents_register_unique_series"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DocumentBase(TenantScopedModel):
    """Fields both directions share (Appendix VI items 3-16)."""

    document_type = models.ForeignKey(
        DocumentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("type")
    )
    type_name = models.CharField(_("type name"), max_length=100, blank=True)
    number = models.CharField(_("number"), max_length=32, blank=True)
    notation = models.CharField(_("notation"), max_length=64, blank=True)
    issued_date = models.DateField(_("date of issue"), null=True, blank=True)
    place = models.CharField(_("place of issue"), max_length=100, blank=True)
    subject = models.CharField(_("subject (trích yếu)"), max_length=500)
    content = models.TextField(_("content summary"), blank=True)
    signer_competence = models.CharField(_("signing authority"), max_length=100, blank=True)
    signer_position = models.CharField(_("signer's position"), max_length=100, blank=True)
    signer_name = models.CharField(_("signer"), max_length=100, blank=True)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices, default=Urgency.NORMAL)
    confidentiality = models.PositiveSmallIntegerField(
        _("confidentiality"), choices=Confidentiality.choices, default=Confidentiality.NORMAL
    )
    page_amount = models.PositiveSmallIntegerField(_("pages"), null=True, blank=True)
    due_date = models.DateField(_("deadline"), null=True, blank=True)
    edxml_document_id = models.CharField(_("document identifier"), max_length=255, blank=True, db_index=True)
    attachment_text = models.TextField(_("text of the attached files"), blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        abstract = True

    @property
    def code(self) -> str:
        """ "Số, ký hiệu" as printed: ``05/QĐ-UBND``."""
        if self.number and self.notation:
            return f"{self.number}/{self.notation}"
        return self.number or self.notation

    @property
    def is_confidential(self) -> bool:
        return self.confidentiality > Confidentiality.NORMAL

    @property
    def is_urgent(self) -> bool:
        return self.urgency > Urgency.NORMAL

    def attachments(self) -> models.QuerySet[Attachment]:
        """Core attachments linked to this document (``Attachment.target``)."""
        return Attachment.objects.filter(target_type=self._meta.label_lower, target_id=str(self.pk)).order_by("id")


class IncomingDocument(DocumentBase):
    """Văn bản đến: the sender's metadata plus the registration (số đến) and handling state."""

    sender_organ_id = models.CharField(_("issuing organisation code"), max_length=32, blank=True)
    sender_name = models.CharField(_("issuing organisation"), max_length=255)
    register = models.ForeignKey(
        Register, on_delete=models.PROTECT, null=True, blank=True, related_name="incoming", verbose_name=_("register")
    )
    arrival_number = models.PositiveIntegerField(_("incoming number"), null=True, blank=True)
    arrival_date = models.DateTimeField(_("date received"), null=True, blank=True)
    received_via = models.CharField(_("received via"), max_length=16, choices=ReceivedVia.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=IncomingStatus.choices, default=IncomingStatus.RECEIVED, db_index=True
    )
    to_places = models.TextField(_("recipients named by the sender"), blank=True)
    edxml_business_type = models.PositiveSmallIntegerField(_("edXML business type"), null=True, blank=True)
    import_warnings = models.JSONField(_("import warnings"), default=list, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("possible duplicate of"),
    )
    source_outgoing = models.ForeignKey(
        "OutgoingDocument", on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    directive_ref = models.CharField(
        _("linked directive"), max_length=64, blank=True, help_text=_("Hook for the directives module.")
    )
    replaced_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replaces",
        verbose_name=_("replaced by"),
    )

    class Meta:
        ordering = ["-urgency", "-created_at", "-id"]
        verbose_name = _("incoming document")
        verbose_name_plural = _("incoming documents")
        constraints = [
            models.UniqueConstraint(
                fields=["register", "arrival_number"],
                condition=Q(arrival_number__isnull=False),
                name="documents_incoming_unique_arrival_number",
            ),
        ]
        indexes = [
            models.Index(fields=["sender_name", "number", "notation"], name="documents_incoming_dup"),
            # The list order: a search for a common word walks it and stops at the page's last match.
            models.Index(fields=["-urgency", "-created_at", "-id"], name="documents_incoming_list"),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.subject}"[:255]


class OutgoingDocument(DocumentBase):
    """Văn bản đi: drafted, reviewed, approved, numbered in a register, issued, archived."""

    drafting_unit = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("drafting unit")
    )
    register = models.ForeignKey(
        Register, on_delete=models.PROTECT, null=True, blank=True, related_name="outgoing", verbose_name=_("register")
    )
    serial = models.PositiveIntegerField(_("serial number"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=OutgoingStatus.choices, default=OutgoingStatus.DRAFT, db_index=True
    )
    issued_amount = models.PositiveSmallIntegerField(_("copies issued"), null=True, blank=True)
    recipients_text = models.TextField(_("recipients (Nơi nhận)"), blank=True)
    reply_to = models.ForeignKey(
        IncomingDocument,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replies",
        verbose_name=_("in reply to"),
    )
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    replaces = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replacements",
        verbose_name=_("replaces"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outgoing document")
        verbose_name_plural = _("outgoing documents")
        constraints = [
            models.UniqueConstraint(
                fields=["register", "serial"],
                condition=Q(serial__isnull=False),
                name="documents_outgoing_unique_serial",
            ),
        ]
        # The list order, walked by searches for common words (see selectors.SearchResults).
        indexes = [models.Index(fields=["-created_at", "-id"], name="documents_outgoing_list")]

    def __str__(self) -> str:
        return f"{self.code or _('draft')} — {self.subject}"[:255]


class OutgoingRecipient(TimeStampedModel):
    """One addressee of an outgoing document: an internal organisation, or an external one reached by edXML."""

    document = models.ForeignKey(OutgoingDocument, on_delete=models.CASCADE, related_name="recipients")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    organ_id = models.CharField(_("organisation code"), max_length=32, blank=True)
    name = models.CharField(_("name"), max_length=255)
    delivery = models.CharField(_("delivery"), max_length=16, choices=Delivery.choices)
    incoming_document = models.ForeignKey(
        IncomingDocument, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    package = models.TextField(_("edXML package"), blank=True)
    last_status_code = models.CharField(_("last status"), max_length=2, blank=True)
    last_status_at = models.DateTimeField(_("last status at"), null=True, blank=True)
    last_status_note = models.CharField(_("last status note"), max_length=500, blank=True)

    @property
    def last_status_label(self) -> str:
        from cityops.documents.choices import STATUS_LABELS

        return str(STATUS_LABELS.get(self.last_status_code, self.last_status_code))

    class Meta:
        ordering = ["document_id", "id"]
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")

    def __str__(self) -> str:
        return self.name


class ProcessingEvent(TimeStampedModel):
    """Who did what to a document, when, with which note; assigned units are what the handling scope reads."""

    incoming = models.ForeignKey(
        IncomingDocument, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    outgoing = models.ForeignKey(
        OutgoingDocument, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=24, choices=EventAction.choices)
    note = models.TextField(_("note"), blank=True)
    assigned_org = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("unit")
    )
    assignment_role = models.CharField(_("assignment"), max_length=16, choices=AssignmentRole.choices, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    status_code = models.CharField(_("edXML status"), max_length=2, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("processing event")
        verbose_name_plural = _("processing events")
        constraints = [
            models.CheckConstraint(
                condition=Q(incoming__isnull=False, outgoing__isnull=True)
                | Q(incoming__isnull=True, outgoing__isnull=False),
                name="documents_processingevent_one_document",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.created_at:%Y-%m-%d %H:%M}"


class Direction(TimeStampedModel):
    """The leader's direction on an incoming document (Art. 23): lead and supporting units, deadline, opinion."""

    document = models.ForeignKey(IncomingDocument, on_delete=models.CASCADE, related_name="directions")
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    lead_unit = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("lead unit"))
    supporting_units = models.ManyToManyField(
        Organization, blank=True, related_name="+", verbose_name=_("supporting units")
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    opinion = models.TextField(_("opinion"), blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = pgettext_lazy("leader's direction", "direction")
        verbose_name_plural = _("directions")

    def __str__(self) -> str:
        return f"{self.document} → {self.lead_unit}"


class RetentionRule(TimeStampedModel):
    """How long a case file is kept (TT 10/2022/TT-BNV tables); configurable data, never hard-coded."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=255)
    years = models.PositiveSmallIntegerField(_("years"), null=True, blank=True, help_text=_("Empty means permanent."))
    legal_basis = models.CharField(_("legal basis"), max_length=255, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["years", "code"]
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention rules")

    def __str__(self) -> str:
        return self.name

    @property
    def is_permanent(self) -> bool:
        return self.years is None


class CaseFile(TenantScopedModel):
    """Hồ sơ (Decree 30 Art. 28-31, Appendix VI III): documents on one matter, kept for the retention period."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("case file status", "Open")
        CLOSED = "closed", _("Closed")

    year = models.PositiveSmallIntegerField(_("year"))
    notation = models.CharField(_("file number and notation"), max_length=20)
    title = models.CharField(_("title"), max_length=500)
    retention = models.ForeignKey(
        RetentionRule, on_delete=models.PROTECT, related_name="+", verbose_name=_("retention")
    )
    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    deposit_due = models.DateField(_("deposit to the archive by"), null=True, blank=True)
    deposit_reminded_at = models.DateTimeField(_("deposit reminder sent"), null=True, blank=True, editable=False)
    description = models.CharField(_("description"), max_length=500, blank=True)

    class Meta:
        ordering = ["-year", "notation", "id"]
        verbose_name = _("case file")
        verbose_name_plural = _("case files")
        constraints = [
            models.UniqueConstraint(fields=["organization", "year", "notation"], name="documents_casefile_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.notation} — {self.title}"[:255]


class CaseFileItem(TimeStampedModel):
    """A document in a case file, with its order number (DocOrdinal); a document may be in several files."""

    case_file = models.ForeignKey(CaseFile, on_delete=models.CASCADE, related_name="items")
    ordinal = models.PositiveSmallIntegerField(_("order number"))
    incoming = models.ForeignKey(IncomingDocument, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    outgoing = models.ForeignKey(OutgoingDocument, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["case_file_id", "ordinal"]
        verbose_name = _("case file item")
        verbose_name_plural = _("case file items")
        constraints = [
            models.UniqueConstraint(fields=["case_file", "ordinal"], name="documents_casefileitem_unique_ordinal"),
            models.UniqueConstraint(
                fields=["case_file", "incoming"],
                condition=Q(incoming__isnull=False),
                name="documents_casefileitem_unique_incoming",
            ),
            models.UniqueConstraint(
                fields=["case_file", "outgoing"],
                condition=Q(outgoing__isnull=False),
                name="documents_casefileitem_unique_outgoing",
            ),
            models.CheckConstraint(
                condition=Q(incoming__isnull=False, outgoing__isnull=True)
                | Q(incoming__isnull=True, outgoing__isnull=False),
                name="documents_casefileitem_one_document",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_file.notation} #{self.ordinal}"

    @property
    def document(self) -> DocumentBase:
        return self.incoming or self.outgoing  # type: ignore[return-value]


class DraftVersion(TimeStampedModel):
    """A saved state of an outgoing draft (Art. 10-12: drafts, comments, approvals are kept in the history)."""

    document = models.ForeignKey(OutgoingDocument, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    snapshot = models.JSONField(_("content"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["document_id", "number"]
        verbose_name = _("draft version")
        verbose_name_plural = _("draft versions")
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="documents_draftversion_unique_number"),
        ]

    def __str__(self) -> str:
        return f"v{self.number}"


class ExchangeMessage(TenantScopedModel):
    """The exchange log: every edXML package or status message sent or received, with its delivery attempts."""

    direction = models.CharField(
        pgettext_lazy("exchange", "direction"), max_length=3, choices=ExchangeDirection.choices
    )
    kind = models.CharField(_("kind"), max_length=8, choices=ExchangeKind.choices)
    business_type = models.PositiveSmallIntegerField(_("edXML business type"), null=True, blank=True)
    status_code = models.CharField(_("edXML status"), max_length=2, blank=True)
    document_id = models.CharField(_("document identifier"), max_length=255, blank=True, db_index=True)
    counterpart_organ_id = models.CharField(_("organisation code"), max_length=32, blank=True)
    counterpart_name = models.CharField(_("organisation"), max_length=255, blank=True)
    payload = models.TextField(_("edXML"), blank=True)
    state = models.CharField(_("state"), max_length=8, choices=ExchangeState.choices, db_index=True)
    transport = models.CharField(_("transport"), max_length=16, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    remote_id = models.CharField(_("reference at the exchange"), max_length=255, blank=True)
    incoming = models.ForeignKey(
        IncomingDocument, on_delete=models.SET_NULL, null=True, blank=True, related_name="exchange_messages"
    )
    outgoing = models.ForeignKey(
        OutgoingDocument, on_delete=models.SET_NULL, null=True, blank=True, related_name="exchange_messages"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("exchange message")
        verbose_name_plural = _("exchange log")

    def __str__(self) -> str:
        label = self.status_code or self.get_kind_display()
        return f"{self.get_direction_display()} {label} {self.counterpart_organ_id}"
