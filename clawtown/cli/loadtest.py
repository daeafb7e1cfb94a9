"""`clawtown loadtest`: load a running server with simulated players and bots, and report.

Options are taken as text and checked by clawtown.loadtest.options, so every bad value is one
red line (exit 1). The load-test package is imported only when the command runs.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ._common import DEFAULT_URL, console, err_console, fail


def loadtest(
    url: Annotated[str, typer.Option("--url", envvar="CT_URL", help="Base URL of the server to load.",
                                     show_default=True)] = DEFAULT_URL,
    players: Annotated[str, typer.Option("--players", metavar="N",
                                         help="Simulated browser players (WebSocket).")] = "0",
    bots: Annotated[str, typer.Option("--bots", metavar="M", help="Simulated bots (REST, agent mode).")] = "0",
    duration: Annotated[str, typer.Option("--duration", metavar="SECONDS",
                                          help="How long to hold the load once every client started.",
                                          show_default=False)] = None,
    ramp: Annotated[str, typer.Option("--ramp", metavar="SECONDS",
                                      help="Start the clients evenly over this many seconds.")] = "0",
    scenario: Annotated[str, typer.Option("--scenario", metavar="wander|hunt|crowd|chat",
                                          help="What the players do.")] = "wander",
    procs: Annotated[str, typer.Option("--procs", metavar="P",
                                       help="Load-generator worker processes (default: one per 400 clients, "
                                            "at most one per CPU).", show_default=False)] = None,
    out: Annotated[str, typer.Option("--out", metavar="REPORT.json", help="Write the full report as JSON.",
                                     show_default=False)] = None,
    plot: Annotated[str, typer.Option("--plot", metavar="REPORT.png",
                                      help="Draw latency and throughput over time (PNG).", show_default=False)] = None,
    bot_join: Annotated[str, typer.Option("--bot-join", metavar="link|spawn",
                                          help="How bots get their character: a player's join code, or spawn.")
                        ] = "link",
    seed: Annotated[str, typer.Option("--seed", metavar="N", help="Seed of the simulated choices.")] = "1",
) -> None:
    """Load a running server with simulated browser players and bots, then report the figures."""
    from ..loadtest.options import OptionError, validate

    try:
        opts = validate(url, players=players, bots=bots, duration=duration, ramp=ramp, scenario=scenario,
                        procs=procs, out=out, plot=plot, seed=seed, bot_join=bot_join)
    except OptionError as err:
        fail(str(err))
    from rich.live import Live

    from ..loadtest import report as rep
    from ..loadtest.runner import LoadTestError, execute

    live = Live(console=console, refresh_per_second=4, transient=True, redirect_stdout=False, redirect_stderr=False)

    def progress(run, phase, t, poller) -> None:
        if not live.is_started:
            live.start()
        live.update(rep.live_view(run, phase, t, poller))

    try:
        run = execute(opts, on_progress=progress if console.is_terminal else None)
    except LoadTestError as err:
        fail(str(err))
    except KeyboardInterrupt:
        fail("interrupted before the load started", code=130)
    finally:
        if live.is_started:
            live.stop()
    report = rep.build(run)
    rep.print_report(report, console)
    try:
        if opts.out:
            rep.write_json(report, opts.out)
            console.print(f"report written to {opts.out}", highlight=False)
        if opts.plot:
            rep.write_plot(report, opts.plot)
            console.print(f"plot written to {opts.plot}", highlight=False)
    except OSError as err:
        fail(f"cannot write the report: {err}")
    if run.interrupted:
        err_console.print(f"[bold red]interrupted[/] after {run.stopped_at or 0:.0f} s: the report covers what ran",
                          highlight=False)
        raise typer.Exit(130)
    if report["clients"]["connected"] == 0:
        err_console.print("[bold red]error:[/] no client could connect: see the errors above", highlight=False)
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("loadtest")(loadtest)
