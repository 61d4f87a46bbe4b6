"""The plain-language notice: every value escaped in HTML, nothing invented."""

from __future__ import annotations

from steward.review.notice import notice_html


def test_the_html_notice_escapes_every_value() -> None:
    notice = {
        "system": {"name": "<script>alert(1)</script>", "version": "1&2"},
        "ai_interaction": "You are interacting with an AI system: <b>x</b>.",
        "intended_uses": ["a < b"],
        "limitations": [],
        "human_oversight": "People monitor it.",
        "what_is_logged": ["records"],
        "feedback_and_appeals": 'appeal "here"',
        "reach_a_human": "ask",
        "languages": ["en"],
    }
    page = notice_html(notice)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "1&amp;2" in page and "a &lt; b" in page and "None stated." in page
    assert page.startswith('<!doctype html><html lang="en">')
