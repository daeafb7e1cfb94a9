"""Clawtown: a realtime RO-like town where people and AI agents play under the same rules."""

__version__ = "0.1.0"
