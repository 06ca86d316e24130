"""The redaction engine in a child process (``RedactionPolicy(isolation="process")``).

On a thread, spaCy's NER keeps the application's threads waiting for the GIL for up to the interpreter's
switch interval (5 ms) whenever they wake up from I/O: the median call is unchanged, the p99 is not. In
a child process the analysis runs on another core and the application's GIL never waits for it.

The parent (``ProcessDetector``) starts ``python -m otel_genai.redaction._isolated`` (never
``multiprocessing``, whose spawn mode would re-import the application's ``__main__``), sends the policy,
then one ``(texts, ner)`` request at a time; the child answers with plain tuples. The child exits when
its input closes, so it never outlives the application.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import IO, Any

from otel_genai.redaction.engine import EngineUnavailable, Finding, PresidioDetector
from otel_genai.redaction.policy import RedactionPolicy

logger = logging.getLogger("otel_genai")


class ProcessDetector:
    """The detector interface (``load``, ``analyze_iter``) answered by a child process."""

    def __init__(self, policy: RedactionPolicy) -> None:
        self.policy = policy
        self.description: str | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._request_lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._texts = 0
        self._owner = os.getpid()

    @property
    def _loaded(self) -> bool:
        return self._owner == os.getpid() and self._process is not None and self._process.poll() is None

    def _after_fork(self) -> None:
        """A forked child (gunicorn --preload) must not share its parent's engine process (requests
        from two processes would interleave on one pipe), nor locks a parent thread may hold."""
        if self._owner != os.getpid():
            self._process, self._owner, self._texts = None, os.getpid(), 0
            self._request_lock, self._start_lock = threading.Lock(), threading.Lock()

    def load(self) -> None:
        """Start the child (and load its engine, ~2 s) unless it is running."""
        self._after_fork()
        with self._start_lock:
            if self._loaded:
                return
            self._process = _spawn()
            try:
                _send(self._process.stdin, self.policy)
                status, detail = _receive(self._process.stdout)
            except Exception as error:
                self.cancel()
                raise EngineUnavailable(f"the redaction process did not start: {error!r}") from error
            if status != "ready":
                self.cancel()
                raise EngineUnavailable(f"the redaction process could not build the engine: {detail}")
            self.description = f"{detail} (process)"

    def analyze_iter(
        self, texts: Sequence[str], *, ner: bool = True
    ) -> Iterator[tuple[int, tuple[Finding, ...]]]:
        self.load()
        with self._request_lock:
            process = self._process
            if process is None:
                raise EngineUnavailable("the redaction process is gone")
            _send(process.stdin, (list(texts), ner))
            status, detail = _receive(process.stdout)
        if status != "ok":
            raise RuntimeError(f"analysis failed in the redaction process: {detail}")
        self._texts += len(texts)
        if self._texts >= self.policy.recycle_after_texts:
            # spaCy still grows a little per call inside memory zones: start a fresh child now and then
            self._texts = 0
            self.close()
        for index, findings in enumerate(detail):
            yield index, tuple(Finding(*finding) for finding in findings)

    def cancel(self) -> None:
        """Kill the child (an analysis overran its budget); the next call starts a new one."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)

    def close(self) -> None:
        """Ask the child to exit (it also exits when the parent does)."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            _send(process.stdin, None)
            process.stdin.close()  # type: ignore[union-attr]
            process.wait(timeout=5)
        except Exception:
            process.kill()


def _spawn() -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    # Not auto-instrumented (opentelemetry-instrument adds its sitecustomize through PYTHONPATH) and no SDK.
    env["PYTHONPATH"] = os.pathsep.join(
        path
        for path in env.get("PYTHONPATH", "").split(os.pathsep)
        if path and not path.rstrip("/").endswith("auto_instrumentation")
    )
    env["OTEL_SDK_DISABLED"] = "true"
    return subprocess.Popen(
        [sys.executable, "-m", "otel_genai.redaction._isolated"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        close_fds=True,
    )


def _send(stream: IO[bytes] | None, message: Any) -> None:
    assert stream is not None
    pickle.dump(message, stream, protocol=pickle.HIGHEST_PROTOCOL)
    stream.flush()


def _receive(stream: IO[bytes] | None) -> Any:
    assert stream is not None
    return pickle.load(stream)


def _serve() -> None:
    """The child: keep the channel on a private descriptor, so a library printing to stdout cannot
    corrupt it, then answer requests until the parent closes the pipe."""
    channel_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    channel_in = sys.stdin.buffer
    try:
        policy = _receive(channel_in)
        detector = PresidioDetector(policy)
        detector.load()
        _send(channel_out, ("ready", detector.description))
    except BaseException as error:
        _send(channel_out, ("error", repr(error)))
        return
    while True:
        try:
            request = _receive(channel_in)
        except EOFError:
            return
        if request is None:
            return
        texts, ner = request
        answer: tuple[str, object]
        try:
            found = detector.analyze(texts, ner=ner)
            answer = ("ok", [[(f.start, f.end, f.entity_type, f.score) for f in fs] for fs in found])
        except BaseException as error:
            answer = ("error", type(error).__name__)
        _send(channel_out, answer)


if __name__ == "__main__":
    _serve()
