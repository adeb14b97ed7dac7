"""XLSX exports of the tables and the daily situation report (PDF)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from cityops.dashboard import registry
from cityops.dashboard.registry import MapLayer
from cityops.dashboard.services import indicator_target_set
from cityops.datahub.models import IndicatorDefinition
from tests.dashboard.conftest import SECRET_B

pytestmark = pytest.mark.django_db


def workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    return load_workbook(io.BytesIO(response.content), read_only=True)


def pdf_text(response) -> str:
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_overview_xlsx_holds_domains_and_headlines(client, world):
    indicator_target_set(actor=world.admin, indicator=IndicatorDefinition.objects.get(code="env-01"), target=25,
                         headline=True)  # fmt: skip
    client.force_login(world.leader)
    book = workbook(client.get(reverse("dashboard:overview_xlsx")))
    sheets = book.sheetnames
    assert len(sheets) == 2
    domain_rows = list(book[sheets[0]].iter_rows(values_only=True))
    assert len(domain_rows) == 7
    headline_rows = list(book[sheets[1]].iter_rows(values_only=True))
    assert headline_rows[1][0] == "env-01" and headline_rows[1][5] == 25


def test_agency_xlsx_neutralises_formulas(client, world):
    from cityops.feedback.models import Category

    Category.objects.filter(code="road-damage").update(name_vi='=HYPERLINK("http://evil")')
    from django.utils import timezone

    type(world.report_a).objects.filter(pk=world.report_a.pk).update(
        deadline=timezone.now() - timezone.timedelta(days=1)
    )
    client.force_login(world.leader)
    book = workbook(client.get(reverse("dashboard:agency", kwargs={"pk": world.agency_a.pk}) + "?format=xlsx"))
    rows = list(book[book.sheetnames[0]].iter_rows(values_only=True))
    assert rows[1][0] == world.report_a.tracking_code
    assert rows[1][1].startswith("'=")


def test_sensor_xlsx_has_the_series(client, world):
    client.force_login(world.leader)
    url = reverse("dashboard:sensor", kwargs={"pk": world.sensor_a.pk}) + "?attribute=airQualityIndex&format=xlsx"
    rows = list(workbook(client.get(url)).active.iter_rows(values_only=True))
    assert len(rows) == 7 and rows[-1][1] == 160


def test_situation_report_pdf(client, world):
    from django.utils import timezone

    indicator_target_set(actor=world.admin, indicator=IndicatorDefinition.objects.get(code="env-01"), target=25,
                         headline=True)  # fmt: skip
    type(world.report_b).objects.filter(pk=world.report_b.pk).update(
        deadline=timezone.now() - timezone.timedelta(hours=2)
    )
    registry.register_layer(MapLayer(key="incidents", label="Sự cố", features=lambda user, params: [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.07, 21.18]},
         "properties": {"title": "Ngập úng đường Lý Thái Tổ", "status": "open", "severity": "high"}}]))  # fmt: skip
    try:
        client.force_login(world.leader)
        text = pdf_text(client.get(reverse("dashboard:situation_report")))
    finally:
        registry._layers.pop("incidents", None)
    assert "Báo cáo tình hình" in text or "situation report" in text.lower()
    assert world.report_b.tracking_code in text  # overdue
    assert "Ngập úng đường Lý Thái Tổ" in text  # open incident from the registry
    assert "tram-a" in text  # AQI 160 and PM2.5 80 over the limits
    assert "Nồng độ bụi PM2.5" in text  # headline


def test_situation_report_is_scoped_to_the_reader(client, world):
    from django.utils import timezone

    type(world.report_b).objects.filter(pk=world.report_b.pk).update(
        deadline=timezone.now() - timezone.timedelta(hours=2)
    )
    client.force_login(world.staff_a)
    text = pdf_text(client.get(reverse("dashboard:situation_report")))
    assert world.report_b.tracking_code not in text
    assert SECRET_B not in text
    assert "tram-a" in text
