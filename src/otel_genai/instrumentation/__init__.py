"""One module per client library, each an OpenTelemetry ``BaseInstrumentor``.

Importing a module here never imports its client library; that happens when it is instrumented.
"""
