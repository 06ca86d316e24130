"""Provider-neutral telemetry core: records in, spans, metrics and events out.

``records`` (what an instrumentor learned), ``handler`` (records -> spans, metrics, events),
``streams`` (stream proxies) and ``content`` (capture modes and message JSON).
"""
