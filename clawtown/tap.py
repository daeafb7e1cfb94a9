"""`twistd clawtown`: its command-line options, and `makeService`, which builds (never starts) the server.

twisted/plugins/clawtown_plugin.py names this module; twistd imports it only when the
`clawtown` command is chosen. It must not import the reactor at module level, or
`twistd --reactor=...` would break.
"""

from __future__ import annotations

from twisted.python import usage

from clawtown.config import DEFAULT_BACKUP_KEEP, DEFAULT_DATA_DIR, DEFAULT_LISTEN, ConfigError, Settings


class Options(usage.Options):
    """Options of `twistd clawtown`. After parsing, `options.settings` holds the validated Settings."""

    synopsis = "[options]"
    longdesc = (
        "Run a Clawtown world: the browser client, the WebSocket and the bot REST API on one port. "
        "Each option overrides its environment variable, which overrides the default."
    )
    optParameters = [
        [
            "listen",
            "l",
            None,
            "Where to listen, as a strports description. "
            f"Env: HOST and PORT (as tcp:PORT:interface=HOST). Default: {DEFAULT_LISTEN}",
        ],
        ["data-dir", None, None, f"Directory for the database and other saved files. Env: CT_DATA_DIR. Default: {DEFAULT_DATA_DIR}"],
        [
            "public-base-url",
            None,
            None,
            "The http(s) URL players and bots use to reach this server, e.g. in join tokens. "
            "Env: CT_PUBLIC_BASE_URL. Default: unset",
        ],
        ["seed", None, None, "Integer seed of the world's random generator. Env: CT_SEED. Default: random at start"],
        [
            "trusted-proxies",
            None,
            None,
            "Comma-separated addresses/networks of reverse proxies whose X-Forwarded-For/Proto/Host "
            "headers are trusted. Env: CT_TRUSTED_PROXIES. Default: none",
        ],
        [
            "allowed-origins",
            None,
            None,
            "Comma-separated origins (e.g. https://town.example.com) a browser may open the WebSocket "
            "from; others get 403. Env: CT_ALLOWED_ORIGINS. Default: none (not checked)",
        ],
        [
            "backup-every",
            None,
            None,
            "Take a backup into <data-dir>/backups this often, e.g. 15m, 1h or 1h30m (off: never). "
            "Env: CT_BACKUP_EVERY. Default: off",
        ],
        [
            "backup-keep",
            None,
            None,
            f"How many scheduled backups to keep (the newest). Env: CT_BACKUP_KEEP. Default: {DEFAULT_BACKUP_KEEP}",
        ],
        [
            "log-format",
            None,
            None,
            "text (twistd's log lines) or json (one JSON object per line, with request ids). "
            "Env: CT_LOG_FORMAT. Default: text",
        ],
    ]
    optFlags = [
        ["test-mode", None, "Enable the test helpers under /api/debug (loopback only). Env: CT_TEST=1. Default: off"],
    ]

    settings: Settings
    _failed = False

    def parseOptions(self, options=None):
        try:
            super().parseOptions(options)
        except usage.UsageError:
            self._failed = True
            raise

    def postOptions(self):
        try:
            self.settings = Settings.from_options(self)
        except ConfigError as error:
            raise usage.UsageError(str(error)) from None
        if self.settings.log_format == "json":
            from clawtown.logs import use_json_logs

            # twistd reads its --logger only after every option is parsed: hand it ours.
            use_json_logs(getattr(self, "parent", None))

    def getUsage(self, width=None):
        # twistd prints the whole usage above a usage error; after an error, print one hint
        # instead so that the error itself (printed last) is not lost under the option list.
        if self._failed:
            return "Add --help after 'clawtown' to list its options."
        return super().getUsage(width)


def makeService(options: Options):
    """Build the whole server as one MultiService; twistd starts it once the reactor runs."""
    from twisted.internet import reactor

    from clawtown.service import make_service

    return make_service(options.settings, reactor)
