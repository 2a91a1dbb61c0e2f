"""The base of every domain layer: aggregates that keep their rules and record their events."""

from domain.aggregate import Aggregate

__all__ = ["Aggregate"]
