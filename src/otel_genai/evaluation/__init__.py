"""Evaluations of model answers in the trace: ``record_evaluation`` emits the conventions'
``gen_ai.evaluation.result`` event on the span it judges and records the score metric (``events.py``).

Issue 16 grows this package: the built-in evaluators (``evaluators.py``), the online worker and the offline
suite runner.
"""

from __future__ import annotations

import logging
from typing import Any

from opentelemetry.trace import Span

logger = logging.getLogger("otel_genai")


def record_evaluation(
    name: str,
    *,
    score: float | None = None,
    label: str | None = None,
    explanation: str | None = None,
    span: Span | None = None,
    response_id: str | None = None,
    error_type: str | None = None,
) -> bool:
    """Record an evaluation of a model answer: a ``gen_ai.evaluation.result`` event parented to the span
    it judges (``span``; else the model span whose answer had ``response_id``; else the current span) and,
    with a ``score``, one value of ``otel_genai.evaluation.score`` by ``name`` (and the judged span's
    provider, model, release and tenant), for charts and alerts.

    ``explanation`` can quote the answer, so it is content: exported only with content capture on, and then
    through redaction. ``error_type``: the evaluator failed (no score). Returns whether it was emitted (not
    when nothing is instrumented or there is no span to judge); never raises.
    """
    try:
        evaluations = _evaluations()
        if evaluations is None:
            logger.debug("otel_genai: record_evaluation before instrument(); %r not emitted", name)
            return False
        return bool(
            evaluations.emit(
                name,
                score=score,
                label=label,
                explanation=explanation,
                error_type=error_type,
                span=span,
                response_id=response_id,
            )
        )
    except Exception:
        logger.debug("otel_genai: could not record evaluation %r", name, exc_info=True)
        return False


def _evaluations() -> Any:
    """The evaluations of the handler ``instrument()`` made; zero-code: one over the global providers."""
    from otel_genai import _setup

    active = _setup._active
    if active is not None and active.handler is not None:
        return active.handler.evaluations
    return _zero_code_evaluations()


_ZERO_CODE: list[Any] = []


def _zero_code_evaluations() -> Any:
    """``opentelemetry-instrument`` builds a handler per instrumentor over the global providers: evaluations
    use those providers too (built once)."""
    from otel_genai.instrumentation import _base

    if not _base.zero_code_started():
        return None
    if not _ZERO_CODE:
        from opentelemetry import _logs

        from otel_genai import _config
        from otel_genai.evaluation.events import Evaluations

        settings = _config.resolve()
        _ZERO_CODE.append(Evaluations(None, _logs.get_logger_provider, settings.capture_mode.captures))
    return _ZERO_CODE[0]


def __getattr__(name: str) -> Any:
    """``judging``, ``Answer``, ``EvaluationResult``, ``Evaluator``, ``BUILT_IN``: imported when first used
    (the evaluators module is not needed by applications that never evaluate)."""
    if name == "judging":
        from otel_genai.evaluation.online import judging

        return judging
    if name in ("Answer", "EvaluationResult", "Evaluator", "BUILT_IN"):
        from otel_genai.evaluation import evaluators

        return getattr(evaluators, name)
    raise AttributeError(name)


__all__ = ["BUILT_IN", "Answer", "EvaluationResult", "Evaluator", "judging", "record_evaluation"]
