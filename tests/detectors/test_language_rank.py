"""Language identification's ranking is py3langid's own, order of tied labels included."""

from __future__ import annotations

from steward.detectors.language import _identifier, _rank

SAMPLES = [
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "Le renard brun rapide saute par-dessus le chien paresseux.",
    "Быстрая коричневая лиса прыгает через ленивую собаку.",
    "srpski jezik ćirilica latinica",  # a label with two columns (script aliases) in the model
    "",  # no features: every language ties, so the order of ties is compared too
    "12345 67890",
]


def test_the_ranking_is_the_packages_ranking() -> None:
    identifier = _identifier()
    for text in SAMPLES:
        ours = _rank(identifier, text)
        assert ours == identifier.rank(text), text
        assert len(ours) == len(set(identifier.nb_classes))  # one entry per label


def test_an_identifier_without_the_scoring_method_ranks_as_before() -> None:
    class Plain:
        def rank(self, text: str) -> list[tuple[str, float]]:
            return [("xx", 1.0)]

    assert _rank(Plain(), "anything") == [("xx", 1.0)]
