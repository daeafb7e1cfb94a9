"""Thin transports: the WebSocket protocol, the REST API, and the one Site that serves both."""
