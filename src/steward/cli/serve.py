"""``steward serve``: run the HTTP server (Bedrock ApplyGuardrail API, management, audit).

What a user must act on goes to stdout: the bootstrap admin key (printed once, when it is
created) and the address the server listens on. Notes about first-start work go to stderr.
"""

from __future__ import annotations

import dataclasses
import os

import click

from steward.settings import Settings, serve_model_threads

__all__ = ["APP", "command"]

#: The application factory every worker calls: the API with the console (:mod:`steward.asgi`).
APP = "steward.asgi:worker_app"


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--database-url", envvar="STEWARD_DATABASE_URL", help="SQLite (default) or PostgreSQL URL.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Worker processes.")
@click.option(
    "--bootstrap-admin-key", is_flag=True, help="If no admin key exists, create one and print it once."
)
@click.option(
    "--log-level",
    default="warning",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
)
def command(
    host: str, port: int, database_url: str | None, workers: int, bootstrap_admin_key: bool, log_level: str
) -> None:
    """Serve the API; migrates the database and seeds guardrail 'default' on first start."""
    from steward.app.bootstrap import prepare_database
    from steward.app.context import check_key_of
    from steward.proxy.settings import ProxySettings
    from steward.server.supervisor import run as run_server

    settings = Settings.from_env(database_url=database_url)  # a bad value fails here, not in every worker
    # Worker processes read their settings from the environment: what this command decided goes there.
    os.environ["STEWARD_DATABASE_URL"] = settings.database_url
    if workers > 1 and "model_threads" not in settings.model_fields_set:
        os.environ["STEWARD_MODEL_THREADS"] = str(serve_model_threads(workers, os.cpu_count()))
    threads = Settings.from_env().model_threads
    ProxySettings.from_env()  # so does a bad proxy setting or upstreams file, naming the field
    prepared = prepare_database(settings)
    # Before a bootstrap key is sealed under it: refuse a server key the database does not know.
    check_key_of(settings)
    if bootstrap_admin_key:
        seeded = prepared.seeded_default
        prepared = prepare_database(settings, bootstrap_admin_key=True)
        prepared = dataclasses.replace(prepared, seeded_default=seeded)
    if prepared.seeded_default:
        click.echo("created guardrail 'default' (the default policy pack, version 1)", err=True)
    if prepared.new_admin_key is not None:
        key = prepared.new_admin_key
        # On stdout (the rest is on stderr), so `steward serve ... | head -4` or a log catches it.
        click.echo("bootstrap admin key (shown once, store it now):")
        click.echo(f"  id:     {key.id}\n  secret: {key.secret}\n  bearer: {key.bearer}")
    elif prepared.admin_keys == 0:
        click.echo(
            "no admin API key exists: create one with `steward keys create --role admin` "
            "(or restart with --bootstrap-admin-key)",
            err=True,
        )
    docs = "/docs, /openapi.json" if settings.public_docs else "/openapi.json with an API key"
    click.echo(
        f"Steward listening on http://{host}:{port} ({workers} worker(s), {threads} model thread(s) each; "
        f"OpenAPI: {docs})",
    )
    click.echo(
        f"Steward console on http://{host}:{port}/console (sign in with an admin, reviewer or auditor key)"
    )
    # uvicorn, with Steward's access log and a supervisor that logs worker deaths and restarts.
    run_server(app=APP, host=host, port=port, workers=workers, log_level=log_level)
