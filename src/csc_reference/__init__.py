"""Row-by-row reference implementations of the indicators: an analyst's plain-Python baseline.

A package of its own, outside the runtime package: the synthetic generator plants its truth with it,
the tests and the benchmark compare the SQL with it. Nothing in csc_monitor's production path imports it.
"""
