"""How a sensor's latest value is judged and coloured: VN_AQI bands for air, thresholds for the rest.

VN_AQI bands and colours follow Quyết định 1459/QĐ-TCMT (2019) of the Vietnam Environment Administration.
The other thresholds are the national technical regulations a province monitors against (QCVN 05:2023/BTNMT
for PM2.5 and PM10 24-hour means, QCVN 08:2023/BTNMT for surface-water pH, QCVN 26:2010/BTNMT for noise), or
operational rules of thumb (traffic speed under 15 km/h is congestion).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

__all__ = ["AQI_BANDS", "PRIMARY", "Band", "Threshold", "aqi_band", "judge", "thresholds_for"]


@dataclass(frozen=True)
class Band:
    key: str
    label: str | Promise
    colour: str
    upper: float  # inclusive upper bound of the band


AQI_BANDS: tuple[Band, ...] = (
    Band("good", _("Good"), "#00e400", 50),
    Band("moderate", _("Moderate"), "#ffff00", 100),
    Band("poor", _("Poor"), "#ff7e00", 150),
    Band("bad", _("Bad"), "#ff0000", 200),
    Band("very_bad", _("Very bad"), "#8f3f97", 300),
    Band("hazardous", _("Hazardous"), "#7e0023", float("inf")),
)

OK = Band("ok", _("Within limits"), "#2e9d5b", float("inf"))
WATCH = Band("watch", _("Watch"), "#e0a100", float("inf"))
EXCEEDED = Band("exceeded", _("Limit exceeded"), "#d7263d", float("inf"))
NO_DATA = Band("no_data", _("No recent data"), "#8796a8", float("inf"))


@dataclass(frozen=True)
class Threshold:
    """A line drawn on a sensor's chart: above (or below, when ``below``) it is a breach."""

    attribute: str
    value: float
    label: str | Promise
    below: bool = False


THRESHOLDS: dict[str, tuple[Threshold, ...]] = {
    "airQualityIndex": (Threshold("airQualityIndex", 100, _("VN_AQI 100: poor above")),),
    "PM25": (Threshold("PM25", 50, _("QCVN 05:2023 PM2.5 24-hour limit")),),
    "PM10": (Threshold("PM10", 100, _("QCVN 05:2023 PM10 24-hour limit")),),
    "NO2": (Threshold("NO2", 200, _("QCVN 05:2023 NO₂ 1-hour limit")),),
    "averageVehicleSpeed": (Threshold("averageVehicleSpeed", 15, _("Congestion below"), below=True),),
    "pH": (
        Threshold("pH", 8.5, _("QCVN 08:2023 pH upper limit")),
        Threshold("pH", 6.0, _("QCVN 08:2023 pH lower limit"), below=True),
    ),
    "LAeq": (Threshold("LAeq", 70, _("QCVN 26:2010 daytime limit")),),
}

# The attribute that colours each sensor type's marker.
PRIMARY: dict[str, str] = {
    "AirQualityObserved": "airQualityIndex",
    "TrafficFlowObserved": "averageVehicleSpeed",
    "WaterQualityObserved": "pH",
    "NoiseLevelObserved": "LAeq",
    "WeatherObserved": "temperature",
}


def aqi_band(value: float) -> Band:
    for band in AQI_BANDS:
        if value <= band.upper:
            return band
    return AQI_BANDS[-1]


def thresholds_for(attribute: str) -> tuple[Threshold, ...]:
    return THRESHOLDS.get(attribute, ())


def breaches(attribute: str, value: float) -> bool:
    """Whether ``value`` crosses any of the attribute's limits."""
    return any((value < t.value) if t.below else (value > t.value) for t in thresholds_for(attribute))


def judge(attribute: str, value: float | None) -> Band:
    """The band a value falls in: VN_AQI for the index, otherwise within limits, watch (within 10 %), exceeded."""
    if value is None:
        return NO_DATA
    if attribute == "airQualityIndex":
        return aqi_band(value)
    limits = thresholds_for(attribute)
    if not limits:
        return OK
    if breaches(attribute, value):
        return EXCEEDED
    for limit in limits:
        margin = abs(limit.value) * 0.1
        if (value < limit.value + margin) if limit.below else (value > limit.value - margin):
            return WATCH
    return OK


def legend() -> dict[str, tuple[str | Promise, str]]:
    """The sensor layer's legend: every band a marker may take."""
    return {band.key: (band.label, band.colour) for band in (*AQI_BANDS, OK, WATCH, EXCEEDED, NO_DATA)}
