"""``otel_genai.llmops.manifest``: release manifests loaded from YAML, JSON and dicts, and their errors."""

from __future__ import annotations

import copy
import dataclasses
import datetime
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from otel_genai.llmops.manifest import (
    ManifestError,
    ModelPin,
    PromptPin,
    Release,
    load_releases,
    releases_from_env,
)
from otel_genai.semconv import OTEL_GENAI_RELEASE_PREFIX

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "release.yaml"


@pytest.fixture
def example() -> dict[str, Any]:
    """The example manifest as plain data (a fresh copy to edit)."""
    return yaml.safe_load(EXAMPLE.read_text())


def write(directory: Path, name: str, text: str) -> str:
    path = directory / name
    path.write_text(text)
    return str(path)


def flattened(data: dict[str, Any], prefix: str = OTEL_GENAI_RELEASE_PREFIX) -> dict[str, Any]:
    """What ``Release.attributes()`` should hold for a release body: every leaf under the prefix."""
    attributes: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            attributes.update(flattened(value, f"{prefix}{key}."))
        else:
            attributes[prefix + key] = value
    return attributes


def without_source(releases: tuple[Release, ...]) -> list[Release]:
    return [dataclasses.replace(release, source=None) for release in releases]


def error_lines(spec: object) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        load_releases(spec)
    return str(caught.value).splitlines()


# --- the example and its forms -----------------------------------------------------------------------


def test_the_example_flattens_to_every_value_it_sets(example: dict[str, Any]) -> None:
    (release,) = load_releases(EXAMPLE)
    body = example["release"]

    assert release.source == str(EXAMPLE)
    assert release.feature == body["feature"]
    assert release.model == ModelPin(**body["model"])
    assert release.attributes() == flattened(body)
    assert release.attributes()[OTEL_GENAI_RELEASE_PREFIX + "feature"] == "support-summarizer"
    assert release.attributes()[OTEL_GENAI_RELEASE_PREFIX + "labels.owner"] == body["labels"]["owner"]


def test_dict_json_and_yaml_forms_give_the_same_release(example: dict[str, Any], tmp_path: Path) -> None:
    from_yaml = load_releases(str(EXAMPLE))
    from_dict = load_releases(example)
    from_json = load_releases(write(tmp_path, "release.json", json.dumps(example)))
    sniffed = write(tmp_path, "manifest", json.dumps(example, indent=2))

    assert from_dict[0].source == "<dict>"
    assert without_source(from_dict) == without_source(from_yaml)
    assert without_source(from_json) == without_source(from_yaml)
    assert without_source(load_releases(Path(sniffed))) == without_source(from_yaml)
    assert from_json[0].attributes() == from_yaml[0].attributes()


def test_yaml_without_a_suffix_is_read_as_yaml(tmp_path: Path) -> None:
    (release,) = load_releases(write(tmp_path, "manifest", EXAMPLE.read_text()))
    assert without_source((release,)) == without_source(load_releases(EXAMPLE))


def test_several_releases_in_one_document_and_across_sources(example: dict[str, Any], tmp_path: Path) -> None:
    first = example["release"]
    second = {"feature": "ticket-router", "version": "7"}
    third = {"feature": "reply-drafter", "version": "2025-01-02"}
    path = write(tmp_path, "several.yaml", yaml.safe_dump({"releases": [first, second]}))

    releases = load_releases([path, {"release": third}])

    assert [release.feature for release in releases] == [first["feature"], "ticket-router", "reply-drafter"]
    assert [release.source for release in releases] == [path, path, "<dict>"]
    assert releases[1].attributes() == flattened(second)
    assert releases[1].model is None


def test_prompt_reference_splits_into_name_and_version() -> None:
    assert (PromptPin("prompts/summarizer@v7").name, PromptPin("prompts/summarizer@v7").version) == (
        "prompts/summarizer",
        "v7",
    )
    assert (PromptPin("team@corp/summarizer@v7").name, PromptPin("team@corp/summarizer@v7").version) == (
        "team@corp/summarizer",
        "v7",
    )
    assert (PromptPin("summarizer").name, PromptPin("summarizer").version) == ("summarizer", None)
    assert (PromptPin().name, PromptPin().version) == (None, None)


# --- coercion ------------------------------------------------------------------------------------------


def test_unquoted_dates_and_integers_are_kept_as_text(tmp_path: Path) -> None:
    text = """
release:
  feature: summarizer
  version: 7
  model: {pinned_version: 2024-07-18, temperature: 1}
  rollback_to: 2025-03-07
  labels: {approved: 2025-03-01, canary: true, share: 0.5, wave: 2}
"""
    (release,) = load_releases(write(tmp_path, "release.yml", text))

    assert release.version == "7"
    assert release.model == ModelPin(pinned_version="2024-07-18", temperature=1.0)
    assert isinstance(release.model.temperature, float)
    assert release.rollback_to == "2025-03-07"
    assert dict(release.labels) == {"approved": "2025-03-01", "canary": True, "share": 0.5, "wave": 2}


def test_date_and_datetime_objects_from_a_dict_become_iso_text() -> None:
    moment = datetime.datetime(2025, 3, 14, 9, 30)
    (release,) = load_releases({"release": {"feature": "f", "version": moment, "rollback_to": moment.date()}})
    assert (release.version, release.rollback_to) == (moment.isoformat(), moment.date().isoformat())


def test_null_optional_values_are_not_set() -> None:
    body = {"feature": "f", "version": "1", "rollback_to": None, "model": {"name": "m", "temperature": None}}
    (release,) = load_releases({"release": body})
    assert release.rollback_to is None
    assert release.model == ModelPin(name="m")
    assert release.attributes() == flattened({"feature": "f", "version": "1", "model": {"name": "m"}})


# --- validation errors -------------------------------------------------------------------------------


def test_the_message_names_the_source_and_the_field_path(example: dict[str, Any], tmp_path: Path) -> None:
    example["release"]["model"]["temperature"] = "hot"
    path = write(tmp_path, "release.yaml", yaml.safe_dump(example))
    assert error_lines(path) == [f"{path}: release.model.temperature: expected a number, got 'hot'"]


def test_every_error_of_a_document_is_reported_at_once(example: dict[str, Any]) -> None:
    body = example["release"]
    del body["feature"]
    body["model"]["temprature"] = body["model"].pop("temperature")
    body["model"]["max_tokens"] = 0
    body["model"]["provider"] = ["openai"]
    body["retrieval"]["top_k"] = True
    body["retreival"] = body.pop("retrieval")
    body["labels"]["owners"] = ["a", "b"]
    body["version"] = ""

    lines = error_lines(example)

    assert sorted(lines) == sorted(
        [
            "<dict>: release.version: must not be empty",
            "<dict>: release.model.provider: expected a string, got a list",
            "<dict>: release.model.max_tokens: expected a positive integer, got 0",
            "<dict>: release.model.temprature: unknown field (did you mean 'temperature'?)",
            "<dict>: release.retreival: unknown field (did you mean 'retrieval'?)",
            "<dict>: release.labels.owners: expected a string, number or boolean, got a list",
            "<dict>: release.feature: required",
        ]
    )


@pytest.mark.parametrize(
    ("section", "key", "value", "problem"),
    [
        ("model", "temperature", True, "expected a number, got True"),
        ("model", "temperature", -0.5, "expected a number >= 0, got -0.5"),
        ("model", "temperature", float("nan"), "expected a number >= 0, got nan"),
        ("model", "max_tokens", 800.0, "expected a positive integer, got 800.0"),
        ("model", "max_tokens", "800", "expected a positive integer, got '800'"),
        ("retrieval", "top_k", -1, "expected a positive integer, got -1"),
        ("retrieval", "index", {"name": "kb"}, "expected a string, got a mapping"),
        ("prompt", "guardrails", False, "expected a string, got False"),
        ("prompt", "template_ref", "  ", "must not be empty"),
        ("model", "pinned_version", 1.10, "expected a string, got 1.1 (quote it: it was read as a number)"),
    ],
)
def test_a_bad_value_names_its_field(
    example: dict[str, Any], section: str, key: str, value: object, problem: str
) -> None:
    example["release"][section][key] = value
    assert error_lines(example) == [f"<dict>: release.{section}.{key}: {problem}"]


def test_an_unknown_field_without_a_near_name_lists_the_known_ones() -> None:
    lines = error_lines({"release": {"feature": "f", "version": "1", "prompt": {"zzz": 1}}})
    assert lines == ["<dict>: release.prompt.zzz: unknown field (expected one of: template_ref, guardrails)"]


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"relase": {}}, "relase: unknown field (did you mean 'release'?)"),
        ({}, "expected a 'release' (or 'releases') key"),
        ({"release": {}, "releases": []}, "use either 'release' or 'releases', not both"),
        ({"releases": []}, "releases: expected a non-empty list, got a list"),
        ({"release": "summarizer"}, "release: expected a mapping, got 'summarizer'"),
        (
            {"release": {"feature": "f", "version": "1", "model": "gpt-4o"}},
            "release.model: expected a mapping",
        ),
        (
            {"release": {"feature": "f", "version": "1", "labels": {3: "x"}}},
            "release.labels: label names must be",
        ),
    ],
)
def test_the_document_shape_is_checked(document: dict[str, Any], problem: str) -> None:
    (line,) = [line for line in error_lines(document) if "required" not in line]
    assert line.startswith("<dict>: " + problem)


def test_release_fields_at_the_top_level_get_a_hint() -> None:
    lines = error_lines({"feature": "f", "version": "1"})
    assert (
        "<dict>: feature: unknown field (expected one of: release, releases) (put the release's fields"
        in (lines[0])
    )


def test_errors_of_several_documents_are_reported_together(tmp_path: Path) -> None:
    path = write(tmp_path, "b.yaml", "release: {feature: f, version: 1, rollback_to: [1]}")
    lines = error_lines([{"release": {"version": "1"}}, path])
    assert lines == [
        "<dict>: release.feature: required",
        f"{path}: release.rollback_to: expected a string, got a list",
    ]


def test_two_releases_of_one_feature_are_an_error(example: dict[str, Any], tmp_path: Path) -> None:
    path = write(tmp_path, "release.yaml", yaml.safe_dump(example))
    feature = example["release"]["feature"]
    lines = error_lines([EXAMPLE, path])
    expected = f"{path}: release.feature: {feature!r} is already the feature of a release in {EXAMPLE}"
    assert lines == [expected + " (one release per feature)"]


def test_nothing_to_load_is_an_error() -> None:
    assert error_lines([]) == ["no release manifest given"]
    assert error_lines(42) == ["expected a manifest path or mapping, got int"]


# --- files ---------------------------------------------------------------------------------------------


def test_a_missing_or_unreadable_file_is_named(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.yaml")
    assert error_lines(missing) == [f"{missing}: file not found"]
    (line,) = error_lines(str(tmp_path))
    assert line.startswith(f"{tmp_path}: cannot read the file")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"release: \xff\xfe")
    (line,) = error_lines(binary)
    assert line.startswith(f"{binary}: cannot read the file")


def test_an_empty_file_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "release.yaml", "# nothing yet\n")
    assert error_lines(path) == [f"{path}: the file is empty"]


def test_yaml_syntax_errors_give_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "release.yaml", "release:\n  feature: f\n  version: [1\n")
    (line,) = error_lines(path)
    assert line.startswith(f"{path}: line 4, column 1: not valid YAML: ")


def test_json_syntax_errors_give_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "release.json", '{"release": {\n  "feature": "f",\n  "version": }}')
    assert error_lines(path) == [f"{path}: line 3, column 14: not valid JSON: Expecting value"]


def test_a_duplicate_key_is_an_error_not_a_silent_override(tmp_path: Path) -> None:
    text = "release:\n  feature: f\n  version: 1\n  model:\n    temperature: 0.2\n    temperature: 0.9\n"
    path = write(tmp_path, "release.yaml", text)
    (line,) = error_lines(path)
    assert line == f"{path}: line 6, column 5: not valid YAML: duplicate key 'temperature'"

    path = write(tmp_path, "release.json", '{"release": {"feature": "f", "version": "1", "version": "2"}}')
    assert error_lines(path) == [f"{path}: duplicate key 'version'"]


def test_yaml_merge_keys_still_work(tmp_path: Path) -> None:
    text = """
releases:
  - &first {feature: a, version: "1", model: {provider: openai, name: gpt-4o-mini}}
  - <<: *first
    feature: b
"""
    first, second = load_releases(write(tmp_path, "release.yaml", text))
    assert (second.feature, second.model) == ("b", first.model)


def test_importing_the_module_does_not_import_yaml() -> None:
    code = "import sys, otel_genai.llmops.manifest; print('yaml' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# --- the environment variable ------------------------------------------------------------------------


def test_the_environment_variable_lists_paths(example: dict[str, Any], tmp_path: Path) -> None:
    second = write(tmp_path, "second.json", json.dumps({"release": {"feature": "router", "version": "3"}}))
    third = write(tmp_path, "third.yaml", "release: {feature: drafter, version: 4}")

    releases = releases_from_env(f" {EXAMPLE} {os.pathsep}{second}, {third} ,")

    assert [release.source for release in releases] == [str(EXAMPLE), second, third]
    assert [release.feature for release in releases] == [example["release"]["feature"], "router", "drafter"]


@pytest.mark.parametrize("value", [None, "", " ", f" ,{os.pathsep} "])
def test_an_empty_environment_variable_means_no_release(value: str | None) -> None:
    assert releases_from_env(value) == ()


def test_the_environment_variable_reports_a_missing_file(tmp_path: Path) -> None:
    missing = str(tmp_path / "gone.yaml")
    with pytest.raises(ManifestError, match=r"gone\.yaml: file not found"):
        releases_from_env(missing)


# --- the objects ---------------------------------------------------------------------------------------


def test_releases_are_frozen_and_hashable() -> None:
    (release,) = load_releases(EXAMPLE)
    (again,) = load_releases(EXAMPLE)

    assert release == again and hash(release) == hash(again)
    assert len({release, again}) == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        release.version = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        release.labels["owner"] = "someone else"  # type: ignore[index]
    assert hash(release.model) == hash(copy.copy(release.model))


def test_attributes_cannot_be_changed_through_the_returned_dict() -> None:
    release = Release(feature="f", version="1", labels={"tier": "gold"})
    attributes = release.attributes()
    attributes.clear()
    assert release.attributes() == flattened({"feature": "f", "version": "1", "labels": {"tier": "gold"}})


def test_labels_given_as_a_dict_are_copied() -> None:
    labels = {"tier": "gold"}
    release = Release(feature="f", version="1", labels=labels)
    labels["tier"] = "silver"
    assert release.labels["tier"] == "gold"


@pytest.mark.parametrize(
    ("informal", "right"), [("google", "gcp.gemini"), ("bedrock", "aws.bedrock"), ("Mistral", "mistral_ai")]
)
def test_an_informal_provider_name_is_an_error_naming_the_right_one(informal: str, right: str) -> None:
    document = {"release": {"feature": "f", "version": "1", "model": {"provider": informal, "name": "m"}}}
    with pytest.raises(
        ManifestError,
        match=rf"release\.model\.provider: '{informal}' is not a gen_ai\.provider\.name: use '{right}",
    ):
        load_releases(document)
    document["release"]["model"]["provider"] = "my-vllm"  # a self-hosted provider of the application's own
    [release] = load_releases(document)
    assert release.model.provider == "my-vllm"
