"""Twisted-aware services around the pure world: the tick loop, inboxes, interest-managed sync,
sessions, rate limits and the commit-before-send pipeline to the store."""
