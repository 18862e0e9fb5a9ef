"""Reports: verdicts → text for people and machines.

Each format lives in its own module with one ``render(report) -> str``.
"""

from __future__ import annotations

from importlib import import_module

__all__ = ["FORMATS", "render"]

FORMATS = ("table", "json", "markdown", "html", "junit")


def render(report, fmt: str, **options) -> str:
    """Render a :class:`~derivcheck._runner.Report` in format ``fmt``."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    module = import_module(f"._{fmt}", __name__)
    return module.render(report, **options)
