"""The HTTP server: a Bedrock ApplyGuardrail-compatible API, guardrail management, keys, audit.

``app.create_app(settings)`` builds the API's FastAPI application; ``steward serve`` runs it
with the web console mounted (:mod:`steward.asgi`) under uvicorn. See docs/server.md for a
walk-through.
"""
