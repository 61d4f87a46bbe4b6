"""The HTTP server: a Bedrock ApplyGuardrail-compatible API, guardrail management, keys, audit.

``create_app(settings)`` builds the FastAPI application; ``steward serve`` runs it with
uvicorn. See docs/server.md for a walk-through.
"""
