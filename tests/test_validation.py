from __future__ import annotations

from steward.validation import UNKNOWN_FIELD, field_path, validation_problems


def test_field_path_renders_indices_and_skips_prefixes() -> None:
    assert field_path(("content_filters", 2, "category")) == "content_filters[2].category"
    assert field_path(("body", "content", 0, "text"), skip=("body",)) == "content[0].text"
    assert field_path(()) == ""


def test_unknown_fields_get_one_wording() -> None:
    errors = [
        {
            "type": "extra_forbidden",
            "loc": ("word_filters", "wrods"),
            "msg": "Extra inputs are not permitted",
        },
        {"type": "missing", "loc": ("name",), "msg": "Field required"},
    ]
    assert validation_problems(errors) == [("word_filters.wrods", UNKNOWN_FIELD), ("name", "Field required")]
