"""Statistics for dashboards: counts and sums over the facilities a filter selects."""
