"""Every Steward error has one decision on every surface: the Bedrock API, the OpenAI proxy, the CLI.

The three tables (:mod:`steward.server.bedrock`, :mod:`steward.proxy.openai_format`,
:mod:`steward.cli.exit_codes`) must each list every class of :mod:`steward.errors` by name, so a
new error cannot fall through to a default nobody chose; both HTTP tables must give it the same
status; and what HTTP answers with 400 (the caller's mistake) must be a policy or input error
for the CLI. Before these tables a missing model was 400 on the API and 503 on the proxy, a
``PolicyError`` 400 and 500, a ``ConflictError`` 409 and 503.
"""

from __future__ import annotations

from typing import NoReturn

import click
import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient

from steward import errors
from steward.cli import exit_codes
from steward.cli.exit_codes import ExitCode, exit_code_for
from steward.errors import (
    ConflictError,
    DetectorUnavailableError,
    InputError,
    NotFoundError,
    PolicyError,
    StewardError,
    UpstreamRejectedError,
)
from steward.proxy import openai_format
from steward.server import bedrock
from steward.server.errors import install_error_handlers


def _every_error() -> list[type[StewardError]]:
    """StewardError and all its subclasses, found by walking ``__subclasses__`` recursively."""
    found: list[type[StewardError]] = []
    todo: list[type[StewardError]] = [StewardError]
    while todo:
        cls = todo.pop()
        if cls not in found:
            found.append(cls)
            todo.extend(cls.__subclasses__())
    return sorted(found, key=lambda c: c.__name__)


ALL = _every_error()


def _instance(cls: type[StewardError]) -> StewardError:
    """An error of exactly ``cls``, built with the arguments its constructor needs."""
    if issubclass(cls, NotFoundError):
        return cls("guardrail", "g1")
    if cls is errors.InputTooLargeError:
        return cls(field="text", size=2, limit=1)
    if issubclass(cls, UpstreamRejectedError):
        return cls("no such model", status=404)
    if issubclass(cls, InputError):
        return cls("is bad", field="text")
    return cls("it failed")


def test_the_walk_finds_the_whole_tree_and_only_the_exception_module_defines_errors() -> None:
    assert {c.__name__ for c in ALL} == set(errors.__all__)
    assert {c.__module__ for c in ALL} == {"steward.errors"}


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_every_error_is_listed_by_name_in_every_table(cls: type[StewardError]) -> None:
    assert cls in bedrock.ERRORS, f"{cls.__name__} is missing from steward.server.bedrock.ERRORS"
    assert cls in openai_format.ERRORS, f"{cls.__name__} is missing from steward.proxy.openai_format.ERRORS"
    assert cls in exit_codes.ERRORS, f"{cls.__name__} is missing from steward.cli.exit_codes.ERRORS"


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_the_api_and_the_proxy_answer_with_the_same_status(cls: type[StewardError]) -> None:
    exc = _instance(cls)
    api_status, _ = bedrock.status_for(exc)
    proxy_status, body = openai_format.error_parts(exc)
    assert api_status == proxy_status
    # Each error gets its own row, not a parent's that happens to come first.
    listed = bedrock.ERRORS[cls][0]
    assert api_status == (listed if listed is not None else 404)
    assert body["error"]["message"] == exc.message


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_the_cli_agrees_with_http_about_whose_mistake_it_is(cls: type[StewardError]) -> None:
    exc = _instance(cls)
    code = exit_code_for(exc)
    status, _ = bedrock.status_for(exc)
    if issubclass(cls, PolicyError):
        assert (status, code) == (400, ExitCode.POLICY_ERROR)
    elif issubclass(cls, InputError):
        assert (status, code) == (400, ExitCode.INPUT_ERROR)
    else:
        assert status != 400 and code == ExitCode.ERROR


@pytest.mark.parametrize(
    ("exc", "status", "bedrock_type", "openai_code"),
    [
        (
            DetectorUnavailableError("model file m.onnx is missing"),
            503,
            "ServiceUnavailableException",
            "unavailable",
        ),
        (PolicyError("the policy is invalid"), 400, "ValidationException", "invalid_policy"),
        (ConflictError("guardrail 'g' exists"), 409, "ConflictException", "conflict"),
        (StewardError("a known failure"), 500, "InternalServerException", "steward_error"),
    ],
)
def test_the_decisions_that_used_to_differ(
    exc: StewardError, status: int, bedrock_type: str, openai_code: str
) -> None:
    assert bedrock.status_for(exc) == (status, bedrock_type)
    got_status, body = openai_format.error_parts(exc)
    assert (got_status, body["error"]["code"]) == (status, openai_code)


def test_an_upstream_refusal_is_relayed_with_its_status_on_both_surfaces() -> None:
    exc = UpstreamRejectedError("rate limited upstream", status=429)
    assert bedrock.status_for(exc) == (429, "ThrottlingException")
    assert openai_format.error_parts(exc)[0] == 429


# -- the tables as the surfaces apply them ---------------------------------------------------------


def _raising_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/raise/{name}", response_model=None)
    def raise_it(name: str) -> NoReturn:
        raise _instance(getattr(errors, name))

    return app


def test_the_http_handlers_answer_each_error_with_its_row() -> None:
    client = TestClient(_raising_app(), raise_server_exceptions=False)
    for cls in ALL:
        exc = _instance(cls)
        r = client.get(f"/raise/{cls.__name__}")
        status, kind = bedrock.status_for(exc)
        assert r.status_code == status, cls.__name__
        assert r.headers["x-amzn-errortype"] == kind, cls.__name__
        assert r.json() == {"message": exc.message}


def test_the_cli_exits_with_each_errors_code() -> None:
    from steward.cli import _Group

    @click.group(cls=_Group)
    def cli() -> None:
        """A group with the steward command's error handling."""

    @cli.command()
    @click.argument("name")
    def fail(name: str) -> None:
        raise _instance(getattr(errors, name))

    runner = CliRunner()
    for cls in ALL:
        result = runner.invoke(cli, ["fail", cls.__name__])
        assert result.exit_code == exit_code_for(_instance(cls)), cls.__name__
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "Traceback" not in result.output
