"""Aggregate operators: object counter and text aggregation."""
