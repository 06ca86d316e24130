"""``otel-genai doctor``: what would be instrumented, exported and redacted here, and whether the OTLP
endpoint answers. ``doctor_report()`` is the data (also ``--json``); ``render_doctor()`` the terminal view."""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import importlib.util
import json
import os
import socket
import sys
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from otel_genai.cli._output import Style, table
from otel_genai.version import __version__

# How long doctor waits for an OTLP endpoint to accept a TCP connection.
CONNECT_TIMEOUT_SECONDS = 1.0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds ``doctor`` to the ``otel-genai`` sub-command parsers."""
    doctor = commands.add_parser(
        "doctor",
        help="show what would be instrumented, exported and redacted here",
        description="Which supported libraries are installed and would be instrumented, the exporter "
        "settings resolved from the environment and whether the OTLP endpoint answers, and which "
        "redaction engine and model are available.",
    )
    doctor.add_argument("--json", action="store_true", help="machine-readable output")
    doctor.set_defaults(handler=_command)


def _command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    report = doctor_report()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        sys.stdout.write(render_doctor(report, Style(sys.stdout)))
        sys.stdout.flush()
    return 0


def doctor_report() -> dict[str, Any]:
    """Everything ``otel-genai doctor`` shows, as JSON-ready data (read from this process's environment)."""
    from otel_genai import _config

    settings = _config.resolve()
    return {
        "otel_genai": __version__,
        "python": {"version": sys.version.split()[0], "executable": sys.executable},
        "opentelemetry": {
            name: _version(f"opentelemetry-{name}") for name in ("api", "sdk", "instrumentation")
        },
        "libraries": _libraries(settings),
        "settings": _settings_summary(settings),
        "otlp": _otlp_exports(settings),
        "redaction": _redaction_summary(settings),
        "prices": _prices_summary(),
    }


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return None


def _libraries(settings: Any) -> list[dict[str, Any]]:
    from otel_genai._setup import INSTRUMENTORS

    return [_library(name, module, target, settings) for name, (module, target) in INSTRUMENTORS.items()]


def _library(name: str, module: str, target: str, settings: Any) -> dict[str, Any]:
    """Is the library installed, at which version, does the instrumentor support it, is it enabled."""
    from otel_genai._instrumentors import BY_NAME, is_installed

    declared = BY_NAME.get(name)  # the registry's declaration; the instrumentor's requirements agree
    entry: dict[str, Any] = {
        "name": name,
        "module": module,
        "package": declared.distribution if declared is not None else module.replace("_", "-"),
        "installed": False,
        "version": None,
        "requires": None,
        "supported": None,
        "enabled": settings.wants(name),
        "would_instrument": False,
        "reason": None,
    }
    try:
        from opentelemetry.instrumentation.dependencies import get_dependency_conflicts
        from packaging.requirements import Requirement

        module_name, class_name = target.split(":")
        instrumentor = getattr(importlib.import_module(module_name), class_name)()
        requirements = list(instrumentor.instrumentation_dependencies())
        if requirements:
            entry["package"] = Requirement(requirements[0]).name
            entry["requires"] = ", ".join(requirements)
        entry["installed"] = is_installed(module)
        entry["version"] = _version(entry["package"])
        if entry["installed"]:
            conflict = get_dependency_conflicts(requirements)
            entry["supported"] = conflict is None
    except Exception as error:  # a broken integration is reported, and doctor goes on
        entry["reason"] = f"the instrumentor could not be loaded: {error!r}"
        return entry
    if not entry["installed"]:
        entry["reason"] = "not installed"
    elif not entry["supported"]:
        entry["reason"] = f"version {entry['version'] or '?'} is not supported (needs {entry['requires']})"
    elif not entry["enabled"]:
        entry["reason"] = "disabled by OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"
    else:
        entry["would_instrument"] = True
    return entry


def _settings_summary(settings: Any) -> dict[str, Any]:
    from otel_genai import _config

    return {
        "service_name": service_name(os.environ),
        "traces_exporter": [exporter_label(spec) for spec in settings.span_exporters],
        "metrics_exporter": list(settings.metric_exporters),
        "logs_exporter": list(settings.log_exporters) if settings.capture_mode.on_event else [],
        "capture_content": settings.capture_mode.value,
        "redaction": settings.redaction is not None,
        "max_content_length": settings.max_content_length,
        "disabled_instrumentations": sorted(settings.disabled_instrumentors),
        "release": _release_summary(settings),
        "user_id_secret": bool(settings.attribution.user_id_secret),
        "provider_hosts": {pattern: name for pattern, name in settings.provider_hosts},
        "sources": {
            "traces_exporter": _config.ENV_TRACES_EXPORTER,
            "capture_content": _config.ENV_CAPTURE_CONTENT,
            "max_content_length": _config.ENV_MAX_CONTENT_LENGTH,
            "disabled_instrumentations": _config.ENV_DISABLED_INSTRUMENTATIONS,
        },
    }


def service_name(env: Mapping[str, str]) -> str | None:
    """OTEL_SERVICE_NAME, else service.name in OTEL_RESOURCE_ATTRIBUTES (what the SDK's Resource reads)."""
    name = env.get("OTEL_SERVICE_NAME", "").strip()
    if name:
        return name
    for pair in env.get("OTEL_RESOURCE_ATTRIBUTES", "").split(","):
        key, _, value = pair.partition("=")
        if key.strip() == "service.name" and value.strip():
            return value.strip()
    return None


def exporter_label(spec: Any) -> str:
    return spec if isinstance(spec, str) else type(spec).__name__


def _otlp_exports(settings: Any) -> list[dict[str, Any]]:
    """Where each signal exported over OTLP goes, and whether that address accepts a TCP connection."""
    signals = []
    if "otlp" in settings.span_exporters:
        signals.append("traces")
    if "otlp" in settings.metric_exporters:
        signals.append("metrics")
    if settings.capture_mode.on_event and "otlp" in settings.log_exporters:
        signals.append("logs")
    targets = [otlp_target(signal, os.environ) for signal in signals]
    answers = _check_addresses({(t["host"], t["port"]) for t in targets if t["host"]})
    for target in targets:
        answering, detail = answers.get((target["host"], target["port"]), (False, "no address"))
        target["answering"] = answering
        target["detail"] = detail
    return targets


def otlp_target(signal: str, env: Mapping[str, str]) -> dict[str, Any]:
    """The protocol, endpoint and TLS an OTLP exporter of ``signal`` ("traces", "metrics", "logs") uses,
    read from the ``OTEL_EXPORTER_OTLP_*`` variables as the OpenTelemetry SDK's exporters read them."""
    from otel_genai import _export

    upper = signal.upper()

    def variable(name: str) -> str | None:
        return _export.otlp_variable(upper, name, env)

    protocol = _export.otlp_protocol(upper, env, warn=False)  # instrument() warns about a bad one
    endpoint = _export.otlp_endpoint(upper, env)

    scheme, host, port = _address(endpoint, protocol)
    if protocol == "grpc" and scheme != "https":
        insecure = variable("INSECURE")
        tls = insecure.lower() != "true" if insecure is not None else scheme != "http"
    else:
        tls = scheme == "https"
    headers = variable("HEADERS")
    return {
        "signal": signal,
        "protocol": protocol,
        "endpoint": endpoint,
        "host": host,
        "port": port,
        "tls": tls,
        "header_names": sorted(
            {part.split("=", 1)[0].strip() for part in (headers or "").split(",") if "=" in part}
        ),
        "compression": variable("COMPRESSION") or "none",
        "timeout_seconds": _export.otlp_timeout_seconds(upper, env),
    }


def _address(endpoint: str, protocol: str) -> tuple[str, str | None, int | None]:
    """``(scheme, host, port)``; gRPC endpoints may be a bare ``host:port``."""
    text = endpoint if "://" in endpoint else f"//{endpoint}"
    try:
        parts = urlsplit(text)
        host, port = parts.hostname, parts.port
    except ValueError:
        return "", None, None
    if port is None:
        port = 443 if parts.scheme == "https" or protocol == "grpc" else 80
    return parts.scheme, host, port


def _check_addresses(addresses: set[tuple[str, int]]) -> dict[tuple[str, int], tuple[bool, str]]:
    """TCP-connects to each address at once; name lookups included, nothing waits much past the timeout."""
    results: dict[tuple[str, int], tuple[bool, str]] = {}

    def check(address: tuple[str, int]) -> None:
        try:
            with socket.create_connection(address, timeout=CONNECT_TIMEOUT_SECONDS):
                results[address] = (True, "accepts connections")
        except TimeoutError:
            results[address] = (False, f"no answer within {CONNECT_TIMEOUT_SECONDS:g} s")
        except ConnectionRefusedError:
            results[address] = (False, "connection refused")
        except socket.gaierror as error:
            results[address] = (False, f"unknown host: {error.strerror or error}")
        except OSError as error:
            results[address] = (False, error.strerror or repr(error))

    threads = [threading.Thread(target=check, args=(address,), daemon=True) for address in addresses]
    for thread in threads:
        thread.start()
    for thread in threads:  # a slow name lookup cannot hold doctor for long
        thread.join(CONNECT_TIMEOUT_SECONDS + 1.0)
    for address in addresses:
        results.setdefault(address, (False, f"no answer within {CONNECT_TIMEOUT_SECONDS + 1.0:g} s"))
    return results


def _otlp_extras(target: dict[str, Any]) -> str:
    extras = []
    if target["header_names"]:
        extras.append(f"headers {', '.join(target['header_names'])} (values hidden)")
    if target["compression"] != "none":
        extras.append(f"compression {target['compression']}")
    extras.append(f"timeout {target['timeout_seconds']:g} s")
    return ", ".join(extras)


def _redaction_summary(settings: Any) -> dict[str, Any]:
    from otel_genai.cli.install_model import COMMAND
    from otel_genai.redaction import RedactionPolicy, engine_status
    from otel_genai.redaction.engine import NO_MODEL

    policy = settings.redaction or RedactionPolicy()
    status = dict(engine_status(policy))
    model = status.get("model")
    # patterns only by choice (OTEL_GENAI_REDACTION_MODEL=none): nothing to fix
    declined = policy.model is not None and policy.model.strip().lower() in NO_MODEL
    # a pipeline named in OTEL_GENAI_REDACTION_MODEL that is not installed: the variable is what to fix
    not_found = policy.model if policy.model and not declined and not model else None
    if not status.get("presidio"):
        fix = "pip install presidio-analyzer"
    elif not_found:
        fix = f"unset OTEL_GENAI_REDACTION_MODEL (or install {not_found}), then: {COMMAND}"
    elif not model and status.get("missing") and not declined:
        fix = COMMAND
    else:
        fix = None
    status.update(
        {
            "enabled": settings.redaction is not None,
            "presidio_version": _version("presidio-analyzer") if status.get("presidio") else None,
            "spacy_version": _version("spacy") if importlib.util.find_spec("spacy") else None,
            "model_version": _version(model) if model and os.path.sep not in model else None,
            "model_declined": declined,
            "model_not_found": not_found,
            "isolation": policy.isolation,
            "fix": fix,  # the command that gives redaction what it lacks here, or None
        }
    )
    return status


def _release_summary(settings: Any) -> dict[str, Any]:
    """The manifests the settings loaded (or why ``OTEL_GENAI_RELEASE``'s did not), and their models without
    a price in the table the application would use (no cost would be recorded for the release's calls)."""
    from otel_genai import _config
    from otel_genai.llmops.manifest import ManifestError, releases_from_env
    from otel_genai.llmops.prices import PriceTable

    releases = settings.releases
    if not releases and os.environ.get(_config.ENV_RELEASE):
        try:  # resolve() logged why it left them out; doctor shows it
            releases_from_env(os.environ.get(_config.ENV_RELEASE))
        except ManifestError as error:
            return {"releases": [], "error": str(error)}
    table = settings.prices or PriceTable.load(None)
    unpriced = []
    for release in releases:
        model = release.model
        if model is not None and model.name and model.provider:
            name = f"{model.name}-{model.pinned_version}" if model.pinned_version else model.name
            if table.price(model.provider, name) is None and table.price(model.provider, model.name) is None:
                unpriced.append(f"{release.feature}: {model.name} ({model.provider})")
    return {"releases": [f"{r.feature}@{r.version}" for r in releases], "unpriced": unpriced}


def _prices_summary() -> dict[str, Any]:
    """The shipped price table, the ``OTEL_GENAI_PRICES`` file, and the models calls had no price for."""
    from otel_genai.llmops.prices import price_status

    try:
        return price_status(os.environ)
    except Exception as error:  # doctor reports, and goes on
        return {"error": repr(error)}


def _render_prices(prices: dict[str, Any], style: Style) -> list[str]:
    """The "Prices" section: the table, the override file and whether it loads, the unpriced models."""
    lines = ["", style.paint("Prices", "bold")]
    if "error" in prices:
        return [*lines, f"  {style.mark(False)} the price table could not be read: {prices['error']}"]
    shipped = prices["table"]
    text = f"{shipped['label']} ({shipped['models']} models, from {shipped['source']})"
    rows = [[style.mark(True), "table", text]]
    overrides = prices["overrides"]
    if overrides is None:
        rows.append([style.mark(None), "overrides", "none (OTEL_GENAI_PRICES)"])
    elif overrides["loads"]:
        text = f"{overrides['path']}: {overrides['table']}, {overrides['models']} models"
        rows.append([style.mark(True), "overrides", text])
    else:
        rows.append([style.mark(False), "overrides", overrides["error"]])
    lines += table(rows)
    if prices["unpriced"]:
        lines.append(style.paint("  Models seen without a price (no cost recorded for them):", "yellow"))
        lines += [f"    {entry['hint']}" for entry in prices["unpriced"]]
    return lines


def render_doctor(report: dict[str, Any], style: Style) -> str:
    """``doctor_report()`` as aligned sections for a terminal."""
    lines: list[str] = []
    otel = report["opentelemetry"]
    python = report["python"]
    lines.append(
        style.paint(f"otel-genai {report['otel_genai']}", "bold")
        + f"  Python {python['version']} ({python['executable']})"
        + f"  OpenTelemetry SDK {otel.get('sdk') or 'not installed'}"
    )

    lines += ["", style.paint("Libraries", "bold")]
    rows = []
    for library in report["libraries"]:
        if library["would_instrument"]:
            state, text = True, "would be instrumented"
        elif not library["installed"] and library["reason"] == "not installed":
            state, text = None, f"not installed (pip install {library['package']})"
        elif library["installed"] and library["supported"] and not library["enabled"]:
            state, text = None, library["reason"]
        else:
            state, text = False, library["reason"] or "not instrumented"
        version = library["version"] if library["installed"] else ""
        rows.append([style.mark(state), library["name"], version or "", text])
    lines += table(rows)
    instrumented = [lib["name"] for lib in report["libraries"] if lib["would_instrument"]]
    if not instrumented:
        lines.append(
            style.paint("  Nothing would be instrumented: install a supported client library.", "yellow")
        )

    settings = report["settings"]
    sources = settings["sources"]
    lines += ["", style.paint("Settings", "bold")]
    capture = settings["capture_content"]
    length = settings["max_content_length"]
    setting_rows: list[tuple[str, str, str]] = [
        ("service name", settings["service_name"] or "not set", "OTEL_SERVICE_NAME"),
        ("traces exporter", ", ".join(settings["traces_exporter"]) or "none", sources["traces_exporter"]),
        ("metrics exporter", ", ".join(settings["metrics_exporter"]) or "none", "OTEL_METRICS_EXPORTER"),
    ]
    if settings["logs_exporter"]:
        setting_rows.append(("logs exporter", ", ".join(settings["logs_exporter"]), "OTEL_LOGS_EXPORTER"))
    setting_rows += [
        ("content capture", "off" if capture == "NO_CONTENT" else capture, sources["capture_content"]),
        ("redaction", "on" if settings["redaction"] else "OFF", "OTEL_GENAI_REDACTION"),
        (
            "max content length",
            f"{length} characters" if length else "no limit",
            sources["max_content_length"],
        ),
        (
            "disabled",
            ", ".join(settings["disabled_instrumentations"]) or "none",
            sources["disabled_instrumentations"],
        ),
        ("release", ", ".join(settings["release"]["releases"]) or "none", "OTEL_GENAI_RELEASE"),
        (
            "provider hosts",
            ", ".join(f"{pattern} = {name}" for pattern, name in settings["provider_hosts"].items())
            or "built-in table only",
            "OTEL_GENAI_PROVIDER_HOSTS",
        ),
        (
            "user id secret",
            "set" if settings["user_id_secret"] else "not set: pseudo ids differ per process",
            "OTEL_GENAI_USER_ID_SECRET",
        ),
    ]
    lines += table(
        [[label, value, style.paint(f"({variable})", "dim")] for label, value, variable in setting_rows]
    )
    release = settings["release"]
    if release.get("error"):
        lines.append(style.paint("  The release manifest does not load:", "yellow"))
        lines += [f"    {line}" for line in release["error"].splitlines()]
    for entry in release.get("unpriced", ()):
        lines.append(
            style.paint(
                f"  No price for the release's model {entry}: set one with OTEL_GENAI_PRICES", "yellow"
            )
        )
    if capture != "NO_CONTENT" and not settings["redaction"]:
        lines.append(
            style.paint("  Content is captured and NOT redacted: prompts are exported raw.", "yellow")
        )

    lines += ["", style.paint("OTLP export", "bold")]
    if not report["otlp"]:
        lines.append("  nothing is exported over OTLP")
    rows = []
    for target in report["otlp"]:
        answer = "answering" if target["answering"] else f"not answering ({target['detail']})"
        security = "TLS" if target["tls"] else "plaintext"
        rows.append(
            [
                style.mark(target["answering"]),
                target["signal"],
                target["protocol"],
                target["endpoint"],
                security,
                answer,
            ]
        )
    lines += table(rows)
    extras = {target["signal"]: _otlp_extras(target) for target in report["otlp"]}
    if len(set(extras.values())) == 1:  # the same for every signal: said once
        extras = {"": next(iter(extras.values()))}
    for signal_name, text in extras.items():
        if text:
            lines.append(f"  {signal_name + ': ' if signal_name else ''}{text}")
    if any(not target["answering"] for target in report["otlp"]):
        lines.append(
            style.paint(
                "  Start an OpenTelemetry Collector (otel-genai's docker-compose.yml: docker compose up -d)\n"
                "  or point OTEL_EXPORTER_OTLP_ENDPOINT at one. Until then telemetry is dropped; the\n"
                "  application is not affected.",
                "yellow",
            )
        )

    redaction = report["redaction"]
    lines += ["", style.paint("Redaction", "bold")]
    rows = []
    if redaction["presidio"]:
        rows.append([style.mark(True), "engine", f"presidio-analyzer {redaction['presidio_version'] or '?'}"])
    else:
        rows.append([style.mark(False), "engine", "presidio-analyzer is not installed: content fails closed"])
    if redaction["model"]:
        version = f" {redaction['model_version']}" if redaction["model_version"] else ""
        spacy = f" (spaCy {redaction['spacy_version']})" if redaction["spacy_version"] else ""
        rows.append([style.mark(True), "model", f"{redaction['model']}{version}{spacy}"])
    elif redaction["presidio"] and redaction.get("model_not_found"):
        configured = f"{redaction['model_not_found']!r} (OTEL_GENAI_REDACTION_MODEL)"
        rows.append([style.mark(False), "model", f"{configured} is not installed or not a path"])
    elif redaction["presidio"] and redaction.get("model_declined"):
        rows.append([style.mark(None), "model", "none (OTEL_GENAI_REDACTION_MODEL): patterns only by choice"])
    elif redaction["presidio"]:
        missing = ", ".join(redaction["missing"]) or "names and places"
        rows.append([style.mark(False), "model", f"no spaCy NER model: {missing} not detected by a model"])
    mode = {"ner+patterns": "NER + patterns", "patterns-only": "patterns only"}.get(
        redaction["mode"], redaction["mode"]
    )
    rows.append([style.mark(redaction["mode"] == "ner+patterns"), "mode", mode])
    rows.append([style.mark(None), "isolation", f"{redaction['isolation']} (OTEL_GENAI_REDACTION_ISOLATION)"])
    lines += table(rows)
    if not redaction["presidio"]:
        lines.append(style.paint(f"  Install it: {redaction['fix']}", "yellow"))
    elif redaction.get("fix"):
        lines.append(
            style.paint(
                "  Without a model, names and places are redacted only when a cue or title marks them;\n"
                "  e-mails, phones, cards and the other patterns still are. Install the pinned model\n"
                f"  (sha256-checked, from the package): {redaction['fix']}\n"
                "  or set OTEL_GENAI_REDACTION_MODEL to an installed spaCy pipeline.",
                "yellow",
            )
        )
    if "prices" in report:
        lines += _render_prices(report["prices"], style)
    return "\n".join(lines) + "\n"
