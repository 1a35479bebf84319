"""Publish stage: everything public (API, dashboard, downloads, briefings) reads releases through the gate."""

from ctdhub.publish.gate import DisclosureError, Gate, ReleaseView

__all__ = ["DisclosureError", "Gate", "ReleaseView"]
