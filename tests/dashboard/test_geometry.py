"""Outlines: generated cells for a province without boundary data, checking GeoJSON, importing real ones."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from cityops.dashboard import geometry, services
from cityops.dashboard.demo import PROVINCE_OUTLINE
from cityops.dashboard.models import AreaBoundary
from tests.factories import OrganizationFactory


def square(x: float, y: float, size: float = 0.01) -> dict:
    return {"type": "Polygon", "coordinates": [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]}


def test_voronoi_cells_tile_the_outline_and_are_stable():
    cells = geometry.voronoi_cells(20, PROVINCE_OUTLINE)
    assert len(cells) == 20
    assert cells == geometry.voronoi_cells(20, PROVINCE_OUTLINE)
    west = min(x for x, _y in PROVINCE_OUTLINE)
    east = max(x for x, _y in PROVINCE_OUTLINE)
    for _site, ring in cells:
        assert ring[0] == ring[-1] and len(ring) >= 4
        assert all(west - 1e-6 <= x <= east + 1e-6 for x, _y in ring)
        geometry.check_geometry({"type": "Polygon", "coordinates": [ring]})


@pytest.mark.parametrize(
    "bad",
    [
        None, "Polygon", {"type": "Point", "coordinates": [1, 2]}, {"type": "Polygon", "coordinates": []},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 1]]]},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 2]]]},
        {"type": "Polygon", "coordinates": [[[0, 0], [500, 0], [1, 1], [0, 0]]]},
        {"type": "Polygon", "coordinates": [[["0", 0], [1, 0], [1, 1], ["0", 0]]]},
        {"type": "Polygon", "coordinates": [[[True, 0], [1, 0], [1, 1], [True, 0]]]},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0]] * 12_000 + [[0, 0]]]},
        {"type": "MultiPolygon", "coordinates": [1, 2]},
    ],
)  # fmt: skip
def test_check_geometry_refuses_bad_shapes(bad):
    with pytest.raises(geometry.GeometryError):
        geometry.check_geometry(bad)


def test_label_point_is_the_centroid():
    x, y = geometry.label_point(square(106.0, 21.0, 0.02))
    assert x == pytest.approx(106.01) and y == pytest.approx(21.01)


@pytest.mark.django_db
def test_import_matches_units_and_reports_refusals(province, make_member, tmp_path):
    from cityops.core.choices import Role

    admin = make_member(province, Role.ADMINISTRATOR)
    ward = OrganizationFactory(parent=province, kind="ward", name="Phường Kinh Bắc", admin_unit_code="09187")
    commune = OrganizationFactory(parent=province, kind="commune", name="Xã Tam Giang", code="bn-xa-tam-giang")
    services.boundaries_generate(units=[ward, commune], outline=PROVINCE_OUTLINE)
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"code": "9187"}, "geometry": square(106.05, 21.17)},
            {"type": "Feature", "properties": {"code": "bn-xa-tam-giang"}, "geometry": square(105.98, 21.2)},
            {"type": "Feature", "properties": {"code": "99999"}, "geometry": square(106.1, 21.1)},
            {"type": "Feature", "properties": {"code": "09187"}, "geometry": {"type": "Polygon", "coordinates": "x"}},
            "junk",
        ],
    }  # fmt: skip
    result = services.boundaries_import(actor=admin, content=json.dumps(collection).encode())
    assert sorted(result.stored) == sorted([ward.code, "bn-xa-tam-giang"])
    assert [index for index, _reason in result.rejected] == [2, 3, 4]
    stored = AreaBoundary.objects.get(organization=ward)
    assert stored.source == AreaBoundary.Source.IMPORTED and stored.west == pytest.approx(106.05)
    # Regenerating the demo cells leaves imported outlines alone.
    services.boundaries_generate(units=[ward, commune], outline=PROVINCE_OUTLINE)
    assert AreaBoundary.objects.get(organization=ward).source == AreaBoundary.Source.IMPORTED

    path = tmp_path / "outlines.geojson"
    path.write_text(json.dumps(collection), encoding="utf-8")
    call_command("dashboard_boundaries", str(path))
    with pytest.raises(CommandError):
        call_command("dashboard_boundaries", str(tmp_path / "missing.geojson"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe not utf-8", b"{not json", b"[]", b'{"type": "Feature"}', b'{"type": "FeatureCollection"}',
     b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'],
)  # fmt: skip
def test_import_refuses_files_that_are_not_feature_collections(province, make_member, content):
    from cityops.core.choices import Role

    admin = make_member(province, Role.ADMINISTRATOR)
    with pytest.raises(ValidationError):
        services.boundaries_import(actor=admin, content=content)
    assert not AreaBoundary.objects.exists()


@pytest.mark.django_db
def test_only_administrators_import(province, make_member):
    from cityops.core.choices import Role

    leader = make_member(province, Role.LEADER)
    with pytest.raises(PermissionDenied):
        services.boundaries_import(actor=leader, content=b'{"type": "FeatureCollection", "features": []}')


@pytest.mark.parametrize(
    "raw,expected", [("105.9,21,106.9,21.6", (105.9, 21.0, 106.9, 21.6)), ("", None), (None, None)]
)
def test_parse_bbox(raw, expected):
    assert geometry.parse_bbox(raw) == expected
