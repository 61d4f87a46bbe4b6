import steward


def test_all_is_sorted_and_complete() -> None:
    assert steward.__all__ == sorted(steward.__all__)
    public = {name for name in dir(steward) if not name.startswith("_")}
    exported = set(steward.__all__)
    assert exported <= public
    # Everything public at the top level is deliberately exported (submodules aside).
    modules = {n for n in public if type(getattr(steward, n)).__name__ == "module"}
    assert public - modules == exported


def test_errors_all_is_sorted() -> None:
    from steward import errors

    assert errors.__all__ == sorted(errors.__all__)
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.StewardError)
