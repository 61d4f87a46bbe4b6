"""DocNLI's entailed claims as benign training rows (``training/data.py``, ``--entailed-claims``).

Why a test: the option adds thousands of short statements about people as benign, so what it
adds must be only what its source vouches for (a hypothesis its premise entails, never one
that is also contradicted or unsupported: those may be invented slurs on a group), it must
leave every other row and its split as they were (the shipped recipe is reproduced without
it), and with the statement split a claim may not calibrate in one row and train in another.
"""

from __future__ import annotations

from types import ModuleType

import pytest

from user_scripts import load_training_data


@pytest.fixture(scope="module")
def data() -> ModuleType:
    return load_training_data()


def _hypotheses_by_label(data: ModuleType) -> dict[str, set[str]]:
    """Every DocNLI hypothesis under each label it is given, read straight from the files."""
    out: dict[str, set[str]] = {"entailment": set(), "not_entailment": set()}
    for path in sorted((data.DATA / "docnli").glob("binary_*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            label, _, hypothesis = line.split("\t")
            out[label].add(hypothesis.strip())
    return out


def test_only_claims_their_premise_entails(data: ModuleType) -> None:
    claims = data.docnli_entailed_claims()
    by_label = _hypotheses_by_label(data)
    assert len(claims) > 10_000
    assert len(set(claims)) == len(claims)
    assert set(claims) <= by_label["entailment"]
    assert not set(claims) & by_label["not_entailment"]
    # Hypotheses given both labels exist in the files, so the exclusion is doing something.
    assert by_label["entailment"] & by_label["not_entailment"]


def test_the_option_adds_benign_claims_and_pages_and_changes_nothing_else(data: ModuleType) -> None:
    plain = data.load_examples()
    more = data.load_examples(entailed_claims=True)
    assert more[: len(plain)] == plain
    added = more[len(plain) :]
    assert {ex.source for ex in added} == {"docnli_claims"}
    assert all(not ex.labels and not ex.untrusted for ex in added)
    alone = [ex for ex in added if ex.kind == "entailed_claim"]
    pages = [ex for ex in added if ex.kind == "entailed_claims_page"]
    assert len(alone) == data.ENTAILED_CLAIMS and len(pages) == len(added) - len(alone) > 0
    assert max(ex.text.count("\n") + 1 for ex in pages) > 20, "no long page of claims"
    # The split of the rows that were there before is untouched by the rows added after them.
    assert data.split_rows(more)[1][: len(data.split_rows(plain)[1])] == data.split_rows(plain)[1]


def test_split_by_statement_a_claim_keeps_to_one_fold(data: ModuleType) -> None:
    rows = data.load_examples(statement_split=True, entailed_claims=True)
    claims = [ex for ex in rows if ex.source == "docnli_claims"]
    assert {ex.fold for ex in claims} == {"train", "calib"}
    for ex in claims:
        assert {data.statement_fold(line) for line in ex.text.split("\n")} == {ex.fold}, ex.text[:80]


def test_a_runs_record_rebuilds_its_rows_with_the_options_it_was_trained_with(data: ModuleType) -> None:
    # A record written before an option existed reads as the option off.
    assert data.data_options({}) == {"statement_split": False, "entailed_claims": False}
    assert data.data_options({"entailed_claims": 1, "identity_weight": 2.0}) == {
        "statement_split": False,
        "entailed_claims": True,
    }
    assert set(data.DATA_OPTIONS) <= set(data.RECIPE_DEFAULTS)
