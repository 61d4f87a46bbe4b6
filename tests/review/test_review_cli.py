"""`steward review …` and `steward feedback list` on the server's database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from steward.app.context import local_app as open_stores
from steward.cli import main
from steward.cli.exit_codes import ExitCode
from steward.review import Reason, ReviewQueue
from steward.review.voice import Voice


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def cli_db(fresh_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A database and data directory with a reviewer, an admin and an app key, and one open item."""
    monkeypatch.setenv("STEWARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STEWARD_DATABASE_URL", fresh_db_url)
    monkeypatch.delenv("STEWARD_SECRET_KEY", raising=False)
    keys = {}
    for role in ("reviewer", "admin", "app"):
        code, out, err = _run("keys", "create", "--role", role, "--init", "--json")
        assert code == 0, err
        keys[role] = json.loads(out)["id"]
    with open_stores(fresh_db_url) as stores:
        queue = ReviewQueue.over(stores.sessions, stores.keys.sealer)
        item = queue.add(
            queue.new_item(
                Reason.POLICY_REVIEW,
                request_id="req-1",
                source="input",
                action="NONE",
                findings=[{"type": "HATE", "start": 0, "end": 4, "review": True, "action": "NONE"}],
                text="some borderline text",
                actor=keys["app"],
            )
        )
        feedback = Voice(queue, b"k" * 32).new_feedback(
            request_id="req-1",
            rating=4,
            category="helpful",
            text="fine answer",
            caller=keys["app"],
            user_id="u9",
        )
        queue.store.write([feedback])
    return {**keys, "item": item}


def test_list_show_claim_overturn_export(cli_db: dict[str, str], tmp_path: Path) -> None:
    item, reviewer = cli_db["item"], cli_db["reviewer"]
    code, out, _ = _run("review", "list", "--state", "open")
    assert code == 0 and item in out and "policy_review" in out
    code, out, _ = _run("review", "show", item)
    assert code == 0 and "some borderline text" in out and "HATE 0-4 NONE REVIEW" in out
    code, out, _ = _run("review", "claim", item, "--as", reviewer)
    assert code == 0 and "claimed" in out
    code, out, err = _run(
        "review", "overturn", item, "--label", "0", "--explanation", "quoting, not hate", "--as", reviewer
    )
    assert code == 0, err
    code, out, _ = _run("review", "show", item, "--json")
    view = json.loads(out)
    assert (view["state"], view["outcome"], view["label"]) == ("resolved", "overturned", 0)
    assert [h["action"] for h in view["history"]] == ["create", "claim", "overturned"]
    export = tmp_path / "export.jsonl"
    code, _, err = _run("review", "export", "--out", str(export))
    assert code == 0 and "exported 1 row(s)" in err
    (row,) = [json.loads(line) for line in export.read_text(encoding="utf-8").splitlines()]
    assert (row["text"], row["label"], row["source"], row["group"]) == (
        "some borderline text",
        0,
        "input",
        "policy_review",
    )
    code, out, err = _run("eval", str(export), "--policy", "default", "--json")
    assert code == 0, err
    assert json.loads(out)["n"] == 1


def test_acting_keys_must_be_reviewers_and_states_are_enforced(cli_db: dict[str, str]) -> None:
    item = cli_db["item"]
    code, _, err = _run("review", "claim", item, "--as", cli_db["app"])
    assert code == ExitCode.ERROR and "is a app key; reviewing needs reviewer or admin" in err
    code, _, err = _run("review", "claim", item, "--as", "STWNOSUCHKEY")
    assert code == ExitCode.ERROR and "not an active API key" in err
    code, _, err = _run("review", "confirm", item, "--as", cli_db["reviewer"])
    assert code == ExitCode.ERROR and "is open, not claimed" in err
    code, _, err = _run("review", "show", uuid.uuid4().hex)
    assert code == ExitCode.ERROR and "not found" in err and "Traceback" not in err
    code, _, err = _run("review", "claim", item)
    assert code == ExitCode.USAGE and "--as" in err
    _run("review", "claim", item, "--as", cli_db["reviewer"])
    code, out, _ = _run("review", "escalate", item, "--note", "ask legal", "--as", cli_db["reviewer"])
    assert code == 0 and "escalated" in out
    code, _, err = _run(
        "review", "overturn", item, "--label", "1", "--category", "HATE", "--as", cli_db["admin"]
    )
    assert code == ExitCode.ERROR and "is escalated, not claimed" in err
    code, out, _ = _run("review", "claim", item, "--as", cli_db["admin"])  # admins take escalated items
    assert code == 0 and "claimed" in out


def test_overturn_to_positive_needs_a_category(cli_db: dict[str, str]) -> None:
    _run("review", "claim", cli_db["item"], "--as", cli_db["reviewer"])
    code, _, err = _run("review", "overturn", cli_db["item"], "--label", "1", "--as", cli_db["reviewer"])
    assert code == ExitCode.INPUT_ERROR and "category" in err


def test_feedback_list(cli_db: dict[str, str]) -> None:
    code, out, _ = _run("feedback", "list")
    assert code == 0 and "4/5" in out and "helpful" in out and "fine answer" in out
    assert "next:" not in out  # one page holds it all
    code, out, _ = _run("feedback", "list", "--json")
    page = json.loads(out)
    (record,) = page["feedback"]
    assert record["requestId"] == "req-1" and "u9" not in out and page["next"] is None


def test_feedback_list_pages_with_a_cursor_as_the_api_does(cli_db: dict[str, str], fresh_db_url: str) -> None:
    with open_stores(fresh_db_url) as stores:
        queue = ReviewQueue.over(stores.sessions, stores.keys.sealer)
        voice = Voice(queue, b"k" * 32)
        for rating in (1, 2, 3, 5):
            queue.store.write(
                [voice.new_feedback(request_id="req-2", rating=rating, text=None, caller=cli_db["app"])]
            )
    seen: list[str] = []
    after: list[str] = []
    while True:
        code, out, err = _run("feedback", "list", "--limit", "2", "--json", *after)
        assert code == 0, err
        page = json.loads(out)
        assert 1 <= len(page["feedback"]) <= 2
        seen += [f["id"] for f in page["feedback"]]
        if page["next"] is None:
            break
        after = ["--after", page["next"]]
    assert len(seen) == len(set(seen)) == 5  # each row once, over three pages
    code, out, _ = _run("feedback", "list", "--limit", "2")
    first, second, last = out.splitlines()
    assert "/5" in first and "/5" in second and last.startswith("next: ")
    code, out, _ = _run("feedback", "list", "--limit", "4", "--after", last.removeprefix("next: "))
    assert code == 0 and len(out.splitlines()) == 3  # the rest, and no next line
    code, out, _ = _run("feedback", "list", "--request-id", "req-2", "--limit", "3", "--json")
    assert [f["rating"] for f in json.loads(out)["feedback"]] == [5, 3, 2]  # newest first


@pytest.mark.parametrize("cursor", ["0123456789abcdef0123456789abcdef", "not a cursor!", "x" * 65])
def test_feedback_list_refuses_a_bad_cursor_in_one_line(cli_db: dict[str, str], cursor: str) -> None:
    code, out, err = _run("feedback", "list", "--after", cursor)
    assert code == ExitCode.INPUT_ERROR and out == ""
    assert err.startswith("error: after: is not the cursor of a previous page") and len(err.splitlines()) == 1


def test_purge_drops_only_expired_text(cli_db: dict[str, str]) -> None:
    code, out, _ = _run("review", "purge")
    assert code == 0 and "purged the text of 0 item(s)" in out
    code, out, _ = _run("review", "show", cli_db["item"])
    assert "some borderline text" in out
