"""LLMOps telemetry: the release on every span, drift, prompt versions and fingerprints, cost, attribution.

``manifest`` (the release manifest), ``prices`` (the shipped price table and cost), ``fingerprint`` (hashes
of system instructions and tool schemas), ``scope`` (``prompt()``, ``feature()``, ``attributes()``),
``attribution`` (baggage, pseudonymous user ids, metric allow-lists), ``drift`` and ``engine`` (what the
``TelemetryHandler`` calls as spans start and end).
"""
