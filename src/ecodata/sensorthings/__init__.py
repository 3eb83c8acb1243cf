"""OGC SensorThings API 1.1 (OGC 18-088) over ecodata's stores: the entity vocabulary, the
projection of the registry into read tables, reading, writing, ``$batch`` and the MQTT extension.
The HTTP adapter is :mod:`ecodata.api.sensorthings`; the query language is
:mod:`ecodata.protocols.odata`. Entry point: :func:`ecodata.sensorthings.service.service_for`.
"""
