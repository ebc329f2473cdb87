"""csc-monitor: nightly performance indicators for English children's social care."""

__version__ = "0.1.0"
