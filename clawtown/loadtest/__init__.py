"""`clawtown loadtest`: simulated browser players (WebSocket) and bots (REST) against a running
server, spread over worker processes, with live progress, a final report (Rich tables, JSON, PNG)
and the server's own figures from its /metrics. See docs/loadtest.md.

Modules: options (command-line checks), stats (mergeable tallies and histograms), promtext
(/metrics parsing), http (a small keep-alive HTTP client), scenarios (what simulated people and
bots decide, pure), clients (the simulated clients), worker (one generator process), runner (the
parent: target checks, workers, live view), report (tables, JSON, plot).
"""
