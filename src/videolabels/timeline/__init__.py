"""Timeline layer: per-frame scores become time ranges with confidences."""

from .instances import Span, find_instances

__all__ = ["Span", "find_instances"]
