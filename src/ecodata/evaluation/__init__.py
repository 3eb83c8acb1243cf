"""Evaluation of stored observations against the national standards.

The pure rules live in :mod:`ecodata.standards`; this package applies them to what the stores hold:
it reads site × time grids from the observation store, computes AQI per site, city and province
(hourly and daily), ranks cities, classifies surface water, writes the results as derived tables,
and verifies the computation against the officially published values.
"""
