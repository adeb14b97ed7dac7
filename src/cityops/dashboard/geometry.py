"""Plain geometry for the map: checking GeoJSON and query boxes, and outlines for a province without any.

No GIS library is needed: outlines are polygons in longitude/latitude, small enough (a province) that planar
arithmetic is accurate for drawing. Real boundaries are imported from a GeoJSON file
(``cityops dashboard-boundaries import``); until then ``voronoi_cells`` gives each commune a plausible cell so
the choropleth has something to colour, clearly marked as generated.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

__all__ = [
    "MAX_BBOX_SPAN",
    "MAX_RINGS",
    "MAX_VERTICES",
    "GeometryError",
    "bounds",
    "check_geometry",
    "label_point",
    "parse_bbox",
    "voronoi_cells",
]

Point = tuple[float, float]  # (longitude, latitude)

MAX_BBOX_SPAN = 20.0  # degrees; a province fits many times over, a hostile "whole world" box does not
MAX_VERTICES = 20_000  # per outline, after which an import must be simplified first
MAX_RINGS = 200


class GeometryError(ValueError):
    """A query box or outline that cannot be used; the message says why."""


def parse_bbox(raw: str | None) -> tuple[float, float, float, float] | None:
    """``west,south,east,north`` in degrees, or None when absent; refuses anything else with a reason."""
    if raw is None or raw == "":
        return None
    if len(raw) > 200:
        raise GeometryError("bbox is too long")
    parts = raw.split(",")
    if len(parts) != 4:
        raise GeometryError("bbox needs four numbers: west,south,east,north")
    try:
        west, south, east, north = (float(part) for part in parts)
    except ValueError as exc:
        raise GeometryError("bbox values must be numbers") from exc
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        raise GeometryError("bbox values must be finite")
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90):
        raise GeometryError("bbox is outside the globe")
    if west >= east or south >= north:
        raise GeometryError("bbox must have west < east and south < north")
    if east - west > MAX_BBOX_SPAN or north - south > MAX_BBOX_SPAN:
        raise GeometryError("bbox is too large")
    return west, south, east, north


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "Polygon" and isinstance(coordinates, list):
        return coordinates
    if kind == "MultiPolygon" and isinstance(coordinates, list):
        rings: list[list[list[float]]] = []
        for polygon in coordinates:
            if not isinstance(polygon, list):
                raise GeometryError("a MultiPolygon holds lists of rings")
            rings.extend(polygon)
        return rings
    raise GeometryError("the geometry must be a Polygon or a MultiPolygon")


def check_geometry(geometry: Any) -> dict[str, Any]:
    """A clean copy of a Polygon/MultiPolygon (numbers only, closed rings, on the globe, bounded size)."""
    if not isinstance(geometry, dict):
        raise GeometryError("the geometry must be an object")
    rings = _rings(geometry)
    if not rings or len(rings) > MAX_RINGS:
        raise GeometryError("the geometry has no rings or too many")
    vertices = 0
    for ring in rings:
        if not isinstance(ring, list) or len(ring) < 4:
            raise GeometryError("each ring needs at least four positions")
        for position in ring:
            if (
                not isinstance(position, list | tuple)
                or len(position) < 2
                or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in position[:2])
            ):
                raise GeometryError("positions must be [longitude, latitude] numbers")
            x, y = float(position[0]), float(position[1])
            if not (math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90):
                raise GeometryError("a position is outside the globe")
        if list(ring[0][:2]) != list(ring[-1][:2]):
            raise GeometryError("rings must be closed (last position equal to the first)")
        vertices += len(ring)
    if vertices > MAX_VERTICES:
        raise GeometryError("the outline has too many vertices; simplify it first")

    def clean(ring: list[Any]) -> list[list[float]]:
        return [[round(float(p[0]), 6), round(float(p[1]), 6)] for p in ring]

    if geometry["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": [clean(r) for r in geometry["coordinates"]]}
    return {"type": "MultiPolygon", "coordinates": [[clean(r) for r in poly] for poly in geometry["coordinates"]]}


def bounds(geometry: dict[str, Any]) -> tuple[float, float, float, float]:
    """(west, south, east, north) of a checked geometry."""
    xs = [p[0] for ring in _rings(geometry) for p in ring]
    ys = [p[1] for ring in _rings(geometry) for p in ring]
    return min(xs), min(ys), max(xs), max(ys)


def _area_centroid(ring: Sequence[Sequence[float]]) -> tuple[float, float, float]:
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    area /= 2
    if abs(area) < 1e-12:
        return 0.0, ring[0][0], ring[0][1]
    return abs(area), cx / (6 * area), cy / (6 * area)


def label_point(geometry: dict[str, Any]) -> Point:
    """The centroid of the largest outer ring: where a unit's name or marker goes."""
    if geometry["type"] == "Polygon":
        outers = [geometry["coordinates"][0]]
    else:
        outers = [polygon[0] for polygon in geometry["coordinates"]]
    best = max((_area_centroid(ring) for ring in outers), key=lambda found: found[0])
    return best[1], best[2]


def _inside(point: Point, ring: Sequence[Sequence[float]]) -> bool:
    x, y = point
    inside = False
    for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False):
        if (y0 > y) != (y1 > y) and x < (x1 - x0) * (y - y0) / (y1 - y0) + x0:
            inside = not inside
    return inside


def _clip(polygon: list[Point], a: Point, b: Point) -> list[Point]:
    """Keep the part of a convex or simple polygon closer to ``a`` than to ``b`` (Sutherland–Hodgman)."""
    mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
    nx, ny = b[0] - a[0], b[1] - a[1]

    def side(p: Point) -> float:
        return (p[0] - mx) * nx + (p[1] - my) * ny

    result: list[Point] = []
    for i, current in enumerate(polygon):
        previous = polygon[i - 1]
        sc, sp = side(current), side(previous)
        if sc <= 0:
            if sp > 0:
                t = sp / (sp - sc)
                result.append(
                    (previous[0] + t * (current[0] - previous[0]), previous[1] + t * (current[1] - previous[1]))
                )
            result.append(current)
        elif sp <= 0:
            t = sp / (sp - sc)
            result.append((previous[0] + t * (current[0] - previous[0]), previous[1] + t * (current[1] - previous[1])))
    return result


def _cell(site: Point, sites: Sequence[Point], frame: list[Point]) -> list[Point]:
    cell = list(frame)
    for other in sites:
        if other is site or other == site:
            continue
        cell = _clip(cell, site, other)
        if not cell:
            break
    return cell


def voronoi_cells(
    count: int, outline: Sequence[Point], *, seed: int = 24, relax: int = 3
) -> list[tuple[Point, list[list[float]]]]:
    """``count`` cells tiling the convex ``outline``: (site, closed ring) each, in a stable order.

    Sites are seeded pseudo-random points inside the outline, spread evenly by a few Lloyd steps; the same
    arguments always give the same cells, so regenerating changes nothing.
    """
    if count < 1:
        return []
    frame = [(float(x), float(y)) for x, y in outline]
    if frame[0] == frame[-1]:
        frame = frame[:-1]
    ring = [*frame, frame[0]]
    west, east = min(p[0] for p in frame), max(p[0] for p in frame)
    south, north = min(p[1] for p in frame), max(p[1] for p in frame)
    rng = random.Random(seed)  # noqa: S311 -- reproducible demo layout, not security
    sites: list[Point] = []
    while len(sites) < count:
        point = (rng.uniform(west, east), rng.uniform(south, north))
        if _inside(point, ring):
            sites.append(point)
    for _step in range(relax):
        moved = []
        for site in sites:
            cell = _cell(site, sites, frame)
            if len(cell) >= 3:
                _area, cx, cy = _area_centroid([*cell, cell[0]])
                moved.append((cx, cy))
            else:
                moved.append(site)
        sites = moved
    cells = []
    for site in sites:
        cell = _cell(site, sites, frame)
        if len(cell) >= 3:
            closed = [[round(x, 5), round(y, 5)] for x, y in cell]
            closed.append(closed[0])
            cells.append((site, closed))
    cells.sort(key=lambda found: (-round(found[0][1], 3), found[0][0]))  # north to south, then west to east
    return cells
