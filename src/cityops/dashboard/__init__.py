"""The operations dashboard: overview, drill-downs, the map, the live feed and each person's own board."""
