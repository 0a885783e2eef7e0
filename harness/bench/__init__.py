"""``harness bench``: benchmark suites (estimators × datasets × settings) run as
ordinary harness runs in one sweep, summarised into a comparison table and plot."""
