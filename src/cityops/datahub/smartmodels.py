"""The Smart Data Model types the hub accepts and the unit of each numeric attribute.

Units are UN/CEFACT common codes as NGSI-LD ``unitCode`` carries them. An attribute not listed for its
type is refused at ingest, so a typo in a sensor's firmware shows up as a rejected row, not a new series.
"""

from __future__ import annotations

__all__ = ["RANGES", "UNITS", "known_attribute", "unit_for"]

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


# Plausible (low, high) of an attribute in its unit; a value outside is stored but flagged ``out_of_range``.
# None on one side means unbounded. Ranges are physical limits of the sensors, not health thresholds.
RANGES: dict[str, dict[str, tuple[float | None, float | None]]] = {
    "AirQualityObserved": {
        "CO": (0, 100), "NO2": (0, 2000), "SO2": (0, 2000), "O3": (0, 1000), "PM10": (0, 2000), "PM25": (0, 1000),
        "PM1": (0, 1000), "NO": (0, 2000), "NOx": (0, 4000), "C6H6": (0, 500), "airQualityIndex": (0, 500),
        "reliability": (0, 1), "temperature": (-10, 60), "relativeHumidity": (0, 100),
    },
    "TrafficFlowObserved": {
        "intensity": (0, None), "occupancy": (0, 1), "averageVehicleSpeed": (0, 200), "averageHeadwayTime": (0, None),
        "averageGapDistance": (0, None), "averageVehicleLength": (0, 30),
    },
    "WaterQualityObserved": {
        "temperature": (0, 45), "conductivity": (0, 10), "tss": (0, None), "tds": (0, None), "turbidity": (0, 4000),
        "salinity": (0, 45), "pH": (0, 14), "orp": (-1000, 1000), "O2": (0, 25), "NH4": (0, None),
        "NH3": (0, None), "Cl-": (0, None), "NO3": (0, None), "Chla": (0, None), "PE": (0, None), "PC": (0, None),
    },
    "NoiseLevelObserved": {
        "LAeq": (20, 140), "LAmax": (20, 150), "LAS": (20, 150), "LAeq_d": (20, 140), "LAeq_n": (20, 140),
        "LAmin": (10, 140),
    },
    "WeatherObserved": {
        "temperature": (-10, 50), "relativeHumidity": (0, 100), "atmosphericPressure": (850, 1100),
        "precipitation": (0, 500), "windSpeed": (0, 90), "windDirection": (0, 360), "solarRadiation": (0, 1500),
        "dewPoint": (-20, 40), "illuminance": (0, 200000), "uVIndexMax": (0, 20), "visibility": (0, 100000),
    },
}  # fmt: skip


def known_attribute(entity_type: str, attribute: str) -> bool:
    """Whether the type's units table lists the attribute."""
    return attribute in UNITS.get(entity_type, {})


def unit_for(entity_type: str, attribute: str) -> str:
    return UNITS.get(entity_type, {}).get(attribute, "")
