from __future__ import annotations

from importlib import resources

import steward.govern


def test_public_names_are_sorted_and_exist() -> None:
    assert steward.govern.__all__ == sorted(steward.govern.__all__)
    for name in steward.govern.__all__:
        assert getattr(steward.govern, name) is not None


def test_catalogues_and_template_ship_as_package_data() -> None:
    root = resources.files("steward.govern")
    names = {p.name for p in (root / "catalogues").iterdir()}
    assert names >= {"nist-ai-rmf.yaml", "nist-genai.yaml", "iso-42001.yaml", "eu-ai-act.yaml"}
    assert (root / "templates" / "document.html").is_file()
