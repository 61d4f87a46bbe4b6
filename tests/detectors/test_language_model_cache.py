"""py3langid's model is decompressed once and kept: later loads read the copy and rank alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from py3langid import modelio
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from steward.detectors.language import load_identifier

SAMPLES = [
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "Le renard brun rapide saute par-dessus le chien paresseux.",
    "Der schnelle braune Fuchs springt über den faulen Hund.",
    "Быстрая коричневая лиса прыгает через ленивую собаку.",
    "Hola, ¿cómo estás? Espero que todo vaya bien en tu trabajo.",
]


@pytest.fixture(scope="module")
def reference() -> Any:
    """The identifier as py3langid itself loads it."""
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _no_decompressing(path: object) -> None:
    raise AssertionError("the compressed model was read again")


def test_the_decompressed_copy_is_written_once_and_ranks_as_the_package_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: Any
) -> None:
    first = load_identifier(tmp_path)
    [folder] = list(tmp_path.iterdir())  # no half-written folder left beside it
    assert folder.name.startswith("py3langid-")
    monkeypatch.setattr(modelio, "load_model", _no_decompressing)
    second = load_identifier(tmp_path)
    for text in SAMPLES:
        assert second.rank(text) == first.rank(text) == reference.rank(text)


def test_a_copy_that_cannot_be_written_or_read_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: Any
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    assert load_identifier(blocked).rank(SAMPLES[1]) == reference.rank(SAMPLES[1])  # not written
    cache = tmp_path / "cache"
    load_identifier(cache)
    [folder] = list(cache.iterdir())
    (folder / "nextmove.bin").write_bytes(b"\0")  # damaged: read from the package, and written anew
    assert load_identifier(cache).rank(SAMPLES[2]) == reference.rank(SAMPLES[2])
    monkeypatch.setattr(modelio, "load_model", _no_decompressing)
    assert load_identifier(cache).rank(SAMPLES[3]) == reference.rank(SAMPLES[3])
