"""One router module per resource; :func:`steward.server.app.create_app` includes them."""
