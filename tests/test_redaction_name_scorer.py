"""name_scorer: the learned second look at PERSON findings (all texts and names invented for these tests)."""

from __future__ import annotations

from typing import Any

import pytest

from otel_genai.redaction import name_scorer
from otel_genai.redaction.findings import Finding
from otel_genai.redaction.name_scorer import Model, NameScorer, rescore_names, shared_scorer
from otel_genai.redaction.names import given_names


def _at(text: str, value: str, kind: str = "PERSON", score: float = 0.85) -> Finding:
    start = text.index(value)
    return Finding(start, start + len(value), kind, score)


def _values(text: str, findings: list[Finding], kind: str = "PERSON") -> list[str]:
    return sorted(text[f.start : f.end] for f in findings if f.entity_type == kind)


def test_a_lone_given_name_the_lists_lack_is_added() -> None:
    text = "Anna Schmidt and Zhanargul confirmed the new address by phone."
    assert "zhanargul" not in given_names()
    found = [_at(text, "Anna Schmidt")]
    assert _values(text, rescore_names(text, found, found)) == ["Anna Schmidt", "Zhanargul"]


def test_a_quoted_ui_label_and_a_department_after_a_sign_off_are_not_added() -> None:
    text = (
        'Hi Maria,\nplease rename the button "Change Name" and the stage "Closed Won".\n\n'
        "Regards,\nEkonomiavdelningen"
    )
    found = [_at(text, "Maria")]
    assert _values(text, rescore_names(text, found, found)) == ["Maria"]


def test_a_name_in_capitals_with_a_middle_initial_is_one_candidate() -> None:
    scorer = shared_scorer()
    assert scorer is not None
    text = "card updated, name on card DWAYNE R PARKS"
    assert [text[s:e] for s, e in scorer._free_runs(text, [])] == ["DWAYNE R PARKS"]


def test_other_kinds_are_never_touched() -> None:
    scorer = shared_scorer()
    assert scorer is not None
    text = "Mail Priya Raman at priya@example.com or call +1 212 555 0143; she lives in Lisbon. Kofi agrees."
    others = [
        _at(text, "priya@example.com", "EMAIL_ADDRESS", 1.0),
        _at(text, "+1 212 555 0143", "PHONE_NUMBER", 0.75),
        _at(text, "Lisbon", "LOCATION"),
    ]
    found = [_at(text, "Priya Raman"), *others]
    # a model that drops every PERSON finding and adds every candidate: the other kinds stay as they were
    assert scorer.model is not None
    weights = tuple(0.0 for _ in name_scorer.FEATURES)
    extreme = NameScorer(scorer.lexicon, Model(weights, weights, keep_threshold=1.01, add_threshold=0.0))
    rescored = extreme.rescore(text, found, found, [])
    assert [f for f in rescored if f.entity_type != "PERSON"] == others
    assert "Priya Raman" not in _values(text, rescored)
    assert "Kofi" in _values(text, rescored)


def test_a_failure_inside_the_scorer_leaves_the_findings_as_they_were(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> list[Finding]:
        raise RuntimeError("boom")

    monkeypatch.setattr(NameScorer, "rescore", broken)
    text = "Anna Schmidt and Zhanargul confirmed it."
    found = [_at(text, "Anna Schmidt")]
    assert rescore_names(text, found, found) is found


def test_the_engine_goes_on_when_the_scorer_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("presidio_analyzer")
    from otel_genai.redaction.engine import shared_detector
    from otel_genai.redaction.policy import RedactionPolicy

    detector = shared_detector(RedactionPolicy())
    text = "Please call Ingrid Solberg on +47 912 34 567 about order 5521."
    expected = detector.analyze([text])[0]

    def broken(*_args: Any, **_kwargs: Any) -> list[Finding]:
        raise RuntimeError("boom")

    monkeypatch.setattr(NameScorer, "candidates", broken)
    assert detector.analyze([text])[0] == expected
    assert "Ingrid Solberg" in _values(text, list(expected))


def test_weights_load_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = name_scorer.lexicon_from

    def counted(data: dict[str, Any]) -> Any:
        calls.append(1)
        return real(data)

    monkeypatch.setattr(name_scorer, "lexicon_from", counted)
    monkeypatch.setattr(name_scorer, "_SCORER", None)
    monkeypatch.setattr(name_scorer, "_LOADED", False)
    first = shared_scorer()
    assert first is not None
    assert shared_scorer() is first
    assert shared_scorer() is first
    assert len(calls) == 1


def test_missing_weights_leave_the_findings_as_they_were(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(name_scorer, "WEIGHTS_FILE", "no_such_file.json")
    monkeypatch.setattr(name_scorer, "_SCORER", None)
    monkeypatch.setattr(name_scorer, "_LOADED", False)
    text = "Anna Schmidt and Zhanargul confirmed it."
    found = [_at(text, "Anna Schmidt")]
    assert rescore_names(text, found, found) is found


def _ner_person(text: str, value: str) -> tuple[list[Finding], list[tuple[int, int, str]]]:
    """A PERSON finding of NER on ``value``, as the engine hands it to the scorer."""
    found = [_at(text, value)]
    return found, [(found[0].start, found[0].end, "PERSON")]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Die Abteilung Vertrieb hat die Preisliste aktualisiert.", "Abteilung Vertrieb"),
        ("La Secretaría de Educación publicó la convocatoria.", "Secretaría de Educación"),
        ("Die Schichtplanung Station wurde verschoben.", "Schichtplanung Station"),
    ],
)
def test_a_false_alarm_of_ner_on_a_team_or_a_noun_is_dropped(text: str, value: str) -> None:
    found, ents = _ner_person(text, value)
    assert _values(text, rescore_names(text, found, found, ents)) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Hello, this is Oanh from the night shift.", "Oanh"),
        ('{"assignee": "Małgorzata", "status": "open"}', "Małgorzata"),
        ("Hi Facilities, the printer on floor 3 is broken again.", "Facilities"),
    ],
)
def test_a_finding_a_context_cue_introduces_is_never_dropped(text: str, value: str) -> None:
    """Recall first: after "this is", a name key or a greeting the scorer keeps what was found, even a
    team's name ("Hi Facilities"), which the rules must catch instead."""
    found, ents = _ner_person(text, value)
    assert _values(text, rescore_names(text, found, found, ents)) == [value]


def test_a_person_the_rules_took_out_is_not_added_back() -> None:
    """A holiday the analysis found and the rules removed stays out ("Hari Raya")."""
    text = "Shop closes early for Diwali and again for Hari Raya; the team is back after Thanksgiving."
    analysed = [_at(text, "Hari Raya")]
    assert (
        _values(text, rescore_names(text, analysed, [], [(analysed[0].start, analysed[0].end, "PERSON")]))
        == []
    )


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Please ask Ingrid Solberg to sign the contract.", "Ingrid Solberg"),
        ("Thanks, Oluwaseun will call you tomorrow.", "Oluwaseun"),
    ],
)
def test_a_name_found_by_ner_is_kept(text: str, value: str) -> None:
    found, ents = _ner_person(text, value)
    assert value in _values(text, rescore_names(text, found, found, ents))


def test_the_shipped_keep_model_judges_the_findings() -> None:
    scorer = shared_scorer()
    assert scorer is not None and scorer.model is not None
    assert 0 < scorer.model.keep_threshold < 0.5


def test_weights_of_other_features_are_refused() -> None:
    weights = [0.0] * (len(name_scorer.FEATURES) - 1)
    data = {
        "features": list(name_scorer.FEATURES[:-1]),
        "keep_weights": weights,
        "add_weights": weights,
        "keep_threshold": 0.1,
        "add_threshold": 0.8,
    }
    with pytest.raises(ValueError):
        name_scorer.model_from(data)
