"""The shipped person-name tagger: real names in real sentences, offsets, integrity, failure modes."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from steward.assessment import Source
from steward.detectors.base import DetectionRequest
from steward.detectors.pii import PiiDetector
from steward.detectors.pii.name_tagger import ARTIFACT_DIR, NameTagger, tokenize
from steward.errors import DetectorUnavailableError
from steward.policy.schema import PiiType

REQUEST = DetectionRequest(source=Source.INPUT)


@pytest.fixture(scope="module")
def tagger() -> NameTagger:
    return NameTagger()


def names(tagger: NameTagger, text: str) -> list[str]:
    return [text[s:e] for s, e, _ in tagger.find(text)]


def test_finds_full_names_and_not_places(tagger, no_sockets):
    text = "Yesterday Barack Obama met Angela Merkel in Berlin to discuss trade."
    assert names(tagger, text) == ["Barack Obama", "Angela Merkel"]


def test_finds_names_it_never_saw_from_their_context(tagger):
    text = "The report was reviewed by Krisztián Szöllösy and signed by Oluwaseun Adebayo last week."
    assert names(tagger, text) == ["Krisztián Szöllösy", "Oluwaseun Adebayo"]


def test_capitalised_sentence_openers_and_common_words_are_not_names(tagger):
    text = "Please summarise the Quarterly Report. The Budget meeting moved to Monday. Thanks!"
    assert names(tagger, text) == []


def test_lowercase_text_costs_nothing_and_finds_nothing(tagger):
    assert tagger.find("all lowercase text has no names in it at all") == []
    assert tagger.find("") == []


def test_spans_are_exact_offsets_with_scores_in_range(tagger):
    text = "Contact: Maria Gonzalez, Finance.\nCC Thomas Müller"
    for start, end, score in tagger.find(text):
        assert text[start:end].strip() == text[start:end]
        assert 0.0 < score <= 1.0
    assert "Maria Gonzalez" in names(tagger, text)


def test_an_initial_keeps_its_full_stop(tagger):
    assert "J. Robert Oppenheimer" in names(tagger, "The physicist J. Robert Oppenheimer led the laboratory.")


def test_tokenizer_keeps_inner_apostrophes_and_hyphens():
    assert [t.word for t in tokenize("Jean-Luc O'Neil's cat")] == ["Jean-Luc", "O'Neil's", "cat"]


def test_is_the_default_name_model_of_the_pii_detector(no_sockets):
    detector = PiiDetector([PiiType.NAME])
    found = [f.match for f in detector.detect("Please forward this to Sarah Connor by Friday.", REQUEST)]
    assert found == ["Sarah Connor"]


def test_shipped_files_match_the_hashes_in_the_model_card():
    card = json.loads((ARTIFACT_DIR / "model_card.json").read_text(encoding="utf-8"))
    for name, meta in card["files"].items():
        data = (ARTIFACT_DIR / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == meta["sha256"], name
        assert len(data) == meta["bytes"]
    assert 0.0 < card["threshold"] < 1.0
    assert "presidio_pii" in card["data"]["not_used"]


def test_missing_or_damaged_files_are_a_clear_error(tmp_path: Path):
    with pytest.raises(DetectorUnavailableError, match="NAME tagger.*cannot be read"):
        NameTagger(tmp_path)
    damaged = tmp_path / "damaged"
    shutil.copytree(ARTIFACT_DIR, damaged)
    (damaged / "lexicon.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(DetectorUnavailableError, match="train_names.py"):
        NameTagger(damaged)
