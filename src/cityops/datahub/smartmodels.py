"""The Smart Data Model types the hub accepts and the unit of each numeric attribute.

Units are UN/CEFACT common codes as NGSI-LD ``unitCode`` carries them. An attribute not listed for its
type is refused at ingest, so a typo in a sensor's firmware shows up as a rejected row, not a new series.
"""

from __future__ import annotations

__all__ = ["UNITS", "known_attribute", "unit_for"]

# GQ µg/m³, GP mg/m³, CEL °C, KMH km/h, SEC s, MTR m, P1 %, C62 unit-less, 2N dB, HP hPa, MMT mm,
# MTS m/s, DD degree, D10 S/m, M1 mg/L, FTU turbidity, 58 ppt (per mille), 2Z mV, E30 vehicles.
UNITS: dict[str, dict[str, str]] = {
    "AirQualityObserved": {
        "CO": "GP", "NO2": "GQ", "SO2": "GQ", "O3": "GQ", "PM10": "GQ", "PM25": "GQ", "PM1": "GQ",
        "NO": "GQ", "NOx": "GQ", "C6H6": "GQ", "airQualityIndex": "C62", "reliability": "C62",
        "temperature": "CEL", "relativeHumidity": "P1",
    },
    "TrafficFlowObserved": {
        "intensity": "E30", "occupancy": "C62", "averageVehicleSpeed": "KMH", "averageHeadwayTime": "SEC",
        "averageGapDistance": "MTR", "averageVehicleLength": "MTR",
    },
    "WaterQualityObserved": {
        "temperature": "CEL", "conductivity": "D10", "tss": "M1", "tds": "M1", "turbidity": "FTU",
        "salinity": "58", "pH": "C62", "orp": "2Z", "O2": "M1", "NH4": "M1", "NH3": "M1", "Cl-": "M1",
        "NO3": "M1", "Chla": "GQ", "PE": "GQ", "PC": "GQ",
    },
    "NoiseLevelObserved": {
        "LAeq": "2N", "LAmax": "2N", "LAS": "2N", "LAeq_d": "2N", "LAeq_n": "2N", "LAmin": "2N",
    },
    "WeatherObserved": {
        "temperature": "CEL", "relativeHumidity": "P1", "atmosphericPressure": "HP", "precipitation": "MMT",
        "windSpeed": "MTS", "windDirection": "DD", "solarRadiation": "D54", "dewPoint": "CEL",
        "illuminance": "LUX", "uVIndexMax": "C62", "visibility": "MTR",
    },
}  # fmt: skip


def known_attribute(entity_type: str, attribute: str) -> bool:
    """Whether the type's units table lists the attribute."""
    return attribute in UNITS.get(entity_type, {})


def unit_for(entity_type: str, attribute: str) -> str:
    return UNITS.get(entity_type, {}).get(attribute, "")
