"""End-to-end jobs built from the library layers (the ``molgen demo`` report today)."""

from molgen.pipeline.demo import demo_report, format_demo_report

__all__ = ["demo_report", "format_demo_report"]
