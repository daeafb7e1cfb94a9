#!/usr/bin/env python3
"""Chaos: kill a real Clawtown server at random moments under traffic; nothing acknowledged may be lost.

Every round starts `twistd clawtown --test-mode` on a free loopback port, on ONE data dir kept
across rounds, and drives it with browser-protocol clients (WebSocket, session tokens) and bots
(REST, bot tokens) that play with the same characters every round: stat points, chat and
whispers, board posts, granted and equipped items, kills of 1-HP monsters, thoughts. Every fact
the server acknowledged (an `ack`, a `you` frame, a `note`, a REST 200 answer) is recorded, and
only then. After a random 0.1-1.5 s of traffic the server gets SIGKILL (or SIGTERM with
`--signal term`), is started again on the same data dir, and every recorded fact is checked
against what the restarted server tells its clients (WS hello, /api/bot/me, /api/bot/events).

    .venv/bin/python scripts/chaos.py --rounds 20 --seed 7

Prints the rounds, the acknowledged facts checked, the losses (with details) and the duration;
exits 1 on any loss. Only talks to 127.0.0.1; every loop is bounded; the server it started is
always stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from websockets.exceptions import WebSocketException
from websockets.sync.client import connect

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST = "127.0.0.1"
EQUIPMENT = ["dagger_1", "sword_1", "bow_1", "rod_1", "armor_1", "armor_2", "ring_1", "clip_1"]
STATS = ["str", "agi", "vit", "int", "dex", "luk"]
BOARD_WINDOW = 20
"""The hello frame shows the last 20 board posts."""
MAX_GRANTS = 25
"""Items granted per character over the whole run (the REST inventory view shows 80 rows)."""
HTTP_TIMEOUT = 3.0
NETWORK_ERRORS = (OSError, WebSocketException, TimeoutError, ValueError)


# ---- the server -----------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class ServerProcess:
    """One `twistd clawtown` subprocess on a free port."""

    def __init__(self, data_dir: str, log_path: str) -> None:
        self.data_dir = data_dir
        self.log_path = log_path
        self.port = 0
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        self.port = free_port()
        args = [sys.executable, "-c", "from twisted.scripts.twistd import run; run()", "--nodaemon", "--pidfile=",
                "clawtown", "--listen", f"tcp:{self.port}:interface={HOST}", "--data-dir", self.data_dir,
                "--test-mode"]
        with open(self.log_path, "ab") as log:
            log.write(f"\n==== start on port {self.port}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(args, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode} during start-up:\n{self.log_tail()}")
            try:
                status, _ = http(self.base, "GET", "/health/ready", timeout=1.0)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.03)
        raise RuntimeError("the server did not become ready:\n" + self.log_tail())

    def stop(self, sig: int) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait(timeout=10)
        self.proc = None
        return code

    def log_tail(self, chars: int = 3000) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()[-chars:]
        except OSError:
            return ""


def http(base: str, method: str, path: str, body=None, token: str | None = None, timeout: float = HTTP_TIMEOUT):
    """(status, JSON answer); raises OSError when the server cannot be reached."""
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        try:
            return err.code, json.loads(err.read() or b"null")
        except ValueError:
            return err.code, None


# ---- what the server acknowledged ------------------------------------------------------
@dataclass
class Character:
    name: str
    player_id: str
    bot_token: str
    session_token: str | None = None
    browser: bool = True  # False: a bot playing over REST only


@dataclass
class PlayerFacts:
    zenny: int = 0
    progress: tuple = (1, 0)  # (level, xp)
    kills: int = 0
    stats: dict = field(default_factory=dict)
    uids: dict = field(default_factory=dict)  # uid -> itemId
    items: dict = field(default_factory=dict)  # itemId -> qty (bots: the REST view has no uids)
    events: dict = field(default_factory=dict)  # id -> (kind, text)
    thoughts: set = field(default_factory=set)

    def count(self) -> int:
        return (1 + (self.zenny > 0) + (self.progress > (1, 0)) + (self.kills > 0) + len(self.stats) + len(self.uids)
                + len(self.items) + len(self.events) + len(self.thoughts))


class Facts:
    """Everything the server said, as facts that must still hold after any restart."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.players: dict[str, PlayerFacts] = {}
        self.posts: dict[str, int] = {}  # post id -> createdAt
        self.recorded = 0

    def of(self, pid: str) -> PlayerFacts:
        return self.players.setdefault(pid, PlayerFacts())

    def count(self) -> int:
        with self.lock:
            return sum(f.count() for f in self.players.values()) + len(self.posts)

    def see_self(self, you: dict, with_uids: bool) -> None:
        """A `you` view (WS) or a PublicPlayer (REST) of the caller itself."""
        with self.lock:
            f = self.of(you["id"])
            self.recorded += 1
            f.zenny = max(f.zenny, int(you.get("zenny", 0)))
            f.progress = max(f.progress, (int(you["level"]), int(you["xp"])))
            f.kills = max(f.kills, int((you.get("meta") or {}).get("kills", 0)))
            for stat, value in (you.get("baseStats") or {}).items():
                f.stats[stat] = max(f.stats.get(stat, 0), int(value))
            if with_uids:
                for row in you.get("inventory") or []:
                    f.uids[row["uid"]] = row["itemId"]
            else:
                totals: dict[str, int] = {}
                for row in you.get("inventory") or []:
                    totals[row["itemId"]] = totals.get(row["itemId"], 0) + int(row.get("qty", 1))
                for item, qty in totals.items():
                    f.items[item] = max(f.items.get(item, 0), qty)

    def see_stat(self, pid: str, stat: str, value: int) -> None:
        with self.lock:
            f = self.of(pid)
            f.stats[stat] = max(f.stats.get(stat, 0), int(value))
            self.recorded += 1

    def see_event(self, pid: str, event_id: int, kind: str, text: str) -> None:
        with self.lock:
            self.of(pid).events[int(event_id)] = (kind, text)
            self.recorded += 1

    def see_thought(self, pid: str, text: str) -> None:
        with self.lock:
            self.of(pid).thoughts.add(text)
            self.recorded += 1

    def see_post(self, post: dict) -> None:
        with self.lock:
            self.posts[post["id"]] = int(post["createdAt"])
            self.recorded += 1

    def snapshot(self, pid: str) -> PlayerFacts:
        with self.lock:
            f = self.of(pid)
            return PlayerFacts(f.zenny, f.progress, f.kills, dict(f.stats), dict(f.uids), dict(f.items),
                               dict(f.events), set(f.thoughts))


class Report:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.checked = 0
        self.losses: dict[tuple, str] = {}  # one entry per lost fact, however often it is checked again
        self.unverified: list[str] = []
        self.round = 0

    def check(self, ok: bool, what: str, key: tuple = ()) -> None:
        with self.lock:
            self.checked += 1
            if not ok:
                self.losses.setdefault(key or (what,), f"round {self.round}: {what}")


# ---- checking ----------------------------------------------------------------------------
def check_self(report: Report, ch: Character, facts: PlayerFacts, you: dict, with_uids: bool, where: str) -> None:
    name = f"{ch.name} ({where})"
    report.check(you.get("id") == ch.player_id, f"{name}: answered for {you.get('id')}, not {ch.player_id}",
                 (ch.player_id, "id"))
    if facts.zenny:
        report.check(int(you.get("zenny", -1)) >= facts.zenny, f"{name}: zenny {you.get('zenny')} < acknowledged {facts.zenny}",
                     (ch.player_id, "zenny", facts.zenny))
    if facts.progress > (1, 0):
        got = (int(you["level"]), int(you["xp"]))
        report.check(got >= facts.progress, f"{name}: level/xp {got} < acknowledged {facts.progress}",
                     (ch.player_id, "progress", facts.progress))
    if facts.kills:
        kills = int((you.get("meta") or {}).get("kills", 0))
        report.check(kills >= facts.kills, f"{name}: kills {kills} < acknowledged {facts.kills}",
                     (ch.player_id, "kills", facts.kills))
    base = you.get("baseStats") or {}
    for stat, value in facts.stats.items():
        report.check(int(base.get(stat, 0)) >= value, f"{name}: {stat} {base.get(stat)} < acknowledged {value}",
                     (ch.player_id, stat, value))
    if with_uids:
        have = {row["uid"]: row["itemId"] for row in you.get("inventory") or []}
        for uid, item in facts.uids.items():
            report.check(have.get(uid) == item, f"{name}: item {item} uid {uid} acknowledged but missing",
                         (ch.player_id, "uid", uid))
    else:
        totals: dict[str, int] = {}
        for row in you.get("inventory") or []:
            totals[row["itemId"]] = totals.get(row["itemId"], 0) + int(row.get("qty", 1))
        for item, qty in facts.items.items():
            report.check(totals.get(item, 0) >= qty, f"{name}: {totals.get(item, 0)} x {item} < acknowledged {qty}",
                         (ch.player_id, "item", item, qty))


def read_all_events(base: str, token: str, stop: threading.Event, deadline: float) -> list[dict] | None:
    """Every stored event of the token's player (paged, waiting out 429s); None if cut short."""
    out: list[dict] = []
    cursor = 0
    while time.monotonic() < deadline and not stop.is_set():
        status, body = http(base, "GET", f"/api/bot/events?cursor={cursor}&limit=60", token=token)
        if status == 429:
            time.sleep(min(1.0, (body or {}).get("retryInMs", 200) / 1000))
            continue
        if status != 200:
            return None
        out.extend(body["events"])
        if not body.get("hasMore") or not body["events"]:
            return out
        cursor = body["nextCursor"]
    return None


def check_events(report: Report, ch: Character, facts: PlayerFacts, events: list[dict]) -> None:
    by_id = {int(e["id"]): e for e in events}
    oldest = min(by_id) if by_id else None
    for event_id, (kind, text) in facts.events.items():
        e = by_id.get(event_id)
        if e is None and oldest is not None and event_id < oldest:
            continue  # pruned by retention, not lost (the store keeps the newest 1000)
        report.check(e is not None and e["kind"] == kind and e["text"] == text,
                     f"{ch.name}: event {event_id} ({kind}: {text!r}) acknowledged but "
                     + ("missing" if e is None else f"now {e['kind']}: {e['text']!r}"), (ch.player_id, "event", event_id))
    thoughts = {e["text"] for e in events if e["kind"] == "thought"}
    for text in facts.thoughts:
        report.check(text in thoughts, f"{ch.name}: acknowledged thought {text!r} has no event",
                     (ch.player_id, "thought", text))


def check_board(report: Report, posts: dict[str, int], board: list[dict]) -> None:
    """Every acknowledged post is in the visible window, unless BOARD_WINDOW newer posts pushed it out."""
    shown = {p["id"] for p in board}
    oldest_shown = min((int(p["createdAt"]) for p in board), default=None)
    for post_id, created in posts.items():
        if post_id in shown:
            report.check(True, "")
            continue
        pushed_out = len(board) >= BOARD_WINDOW and oldest_shown is not None and oldest_shown >= created
        report.check(pushed_out, f"board post {post_id} (createdAt {created}) acknowledged but missing",
                     ("post", post_id))


# ---- players -------------------------------------------------------------------------------
class Actor(threading.Thread):
    """One character's round: verify what was acknowledged before, wait for the go, then play."""

    def __init__(self, ch: Character, run: Chaos, rng: random.Random) -> None:
        super().__init__(daemon=True, name=f"actor-{ch.name}")
        self.ch = ch
        self.run_ = run
        self.rng = rng
        self.ready = threading.Event()
        self.actions = 0

    def run(self) -> None:
        try:
            self.play()
        except NETWORK_ERRORS:
            pass  # the server was killed under us: expected
        except Exception as err:  # noqa: BLE001 - a bug in this script must not hang the round
            self.run_.report.unverified.append(f"{self.ch.name}: {type(err).__name__}: {err}")
        finally:
            self.ready.set()

    @property
    def base(self) -> str:
        return self.run_.server.base

    def go_on(self) -> bool:
        return not self.run_.stop.is_set()

    def verify_events(self) -> None:
        facts = self.run_.facts.snapshot(self.ch.player_id)
        if not facts.events and not facts.thoughts:
            return
        events = read_all_events(self.base, self.ch.bot_token, self.run_.stop, time.monotonic() + 8)
        if events is None:
            self.run_.report.unverified.append(f"{self.ch.name}: events could not be read")
            return
        check_events(self.run_.report, self.ch, facts, events)
        for e in events:
            self.run_.facts.see_event(self.ch.player_id, e["id"], e["kind"], e["text"])

    def debug(self, action: str, body: dict):
        return http(self.base, "POST", f"/api/debug/{action}", body)

    def kill_next_to(self, x: float, y: float) -> str:
        monster_id = f"m_chaos_{self.ch.name}_{self.rng.randrange(10**9)}"
        status, _ = self.debug("spawn-monster", {"playerId": self.ch.player_id, "id": monster_id, "x": x + 12, "y": y,
                                                 "maxHp": 1, "name": "Chaos Poring"})
        return monster_id if status == 200 else ""

    def grant(self) -> bool:
        if self.run_.grants.get(self.ch.player_id, 0) >= MAX_GRANTS:
            return False
        self.run_.grants[self.ch.player_id] = self.run_.grants.get(self.ch.player_id, 0) + 1
        status, _ = self.debug("grant-item", {"playerId": self.ch.player_id, "itemId": self.rng.choice(EQUIPMENT)})
        return status == 200


class BrowserActor(Actor):
    """A browser tab over the WebSocket protocol."""

    def play(self) -> None:
        facts = self.run_.facts
        with connect(f"ws://{HOST}:{self.run_.server.port}/ws?token={self.ch.session_token}",
                     open_timeout=5, close_timeout=1, max_size=2**22) as ws:
            self.ws = ws
            self.seq = 0
            self.you: dict = {}
            hello = self.until(lambda m: m["t"] == "hello", 8)
            if hello is None:
                self.run_.report.unverified.append(f"{self.ch.name}: no hello")
                return
            before = facts.snapshot(self.ch.player_id)
            check_self(self.run_.report, self.ch, before, hello["you"], True, "WS hello")
            self.run_.boards.append(hello.get("board") or [])
            self.verify_events()
            self.ready.set()
            self.run_.go.wait(30)
            deadline = time.monotonic() + 30
            while self.go_on() and time.monotonic() < deadline:
                self.act()
                self.actions += 1

    def receive(self, timeout: float) -> dict | None:
        try:
            msg = json.loads(self.ws.recv(timeout=timeout))
        except TimeoutError:
            return None
        self.learn(msg)
        return msg

    def learn(self, msg: dict) -> None:
        facts = self.run_.facts
        t = msg.get("t")
        if t in ("hello", "enter", "you"):
            self.you = msg["you"]
            facts.see_self(msg["you"], with_uids=True)
        elif t == "note":
            note = msg["note"]
            facts.see_event(self.ch.player_id, note["id"], note["kind"], note["text"])
        elif t == "ack" and msg.get("ok") and isinstance(msg.get("post"), dict):
            facts.see_post(msg["post"])
        elif t == "ack" and msg.get("ok") and "stat" in msg and "value" in msg:
            facts.see_stat(self.ch.player_id, msg["stat"], msg["value"])

    def until(self, predicate, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            msg = self.receive(left)
            if msg is not None and predicate(msg):
                return msg
        return None

    def send(self, t: str, **fields) -> dict | None:
        """Send one frame with a seq; wait (bounded) for its ack or error."""
        self.seq += 1
        seq = self.seq
        self.ws.send(json.dumps({"t": t, "seq": seq, **fields}))
        return self.until(lambda m: m.get("re") == seq and m["t"] in ("ack", "error"), 3)

    def act(self) -> None:
        rng = self.rng
        kind = rng.choices(["kill", "alloc", "grant", "equip", "post", "chat", "whisper"], [5, 2, 2, 2, 1, 1, 1])[0]
        x, y = self.you.get("x", 480), self.you.get("y", 288)
        if kind == "kill":
            if self.kill_next_to(x, y):
                self.send("cast", spell="signature")
                self.receive(0.15)  # the `you` and `note` frames of the kill
        elif kind == "alloc":
            self.send("alloc_stat", stat=rng.choice(STATS), n=1)
        elif kind == "grant":
            if self.grant():
                self.receive(0.15)
        elif kind == "equip":
            rows = [r for r in self.you.get("inventory") or [] if r.get("slot") in ("weapon", "armor", "accessory")]
            if rows:
                self.send("equip", item=rng.choice(rows)["uid"])
        elif kind == "post":
            self.send("board_post", content=f"chaos post {rng.randrange(10**9)} by {self.ch.name}")
        elif kind == "chat":
            self.send("chat", text=f"chaos says {rng.randrange(10**6)}")
        else:
            others = [c for c in self.run_.characters if c is not self.ch]
            if others:
                self.send("whisper", to=rng.choice(others).name, text=f"psst {rng.randrange(10**6)}")


class BotActor(Actor):
    """A bot over the REST API (its own character, spawned with /api/bot/spawn)."""

    def call(self, method: str, path: str, body=None):
        status, answer = http(self.base, method, path, body, token=self.ch.bot_token)
        if status == 429 and self.go_on():
            time.sleep(min(0.3, (answer or {}).get("retryInMs", 100) / 1000))
        return status, answer

    def play(self) -> None:
        facts = self.run_.facts
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and self.go_on():
            status, me = self.call("GET", "/api/bot/me")
            if status == 200:
                break
        else:
            self.run_.report.unverified.append(f"{self.ch.name}: /api/bot/me did not answer")
            return
        check_self(self.run_.report, self.ch, facts.snapshot(self.ch.player_id), me["player"], False, "GET /api/bot/me")
        facts.see_self(me["player"], with_uids=False)
        self.me = me["player"]
        self.verify_events()
        self.ready.set()
        self.run_.go.wait(30)
        deadline = time.monotonic() + 30
        while self.go_on() and time.monotonic() < deadline:
            self.act()
            self.actions += 1

    def read_me(self) -> None:
        status, me = self.call("GET", "/api/bot/me")
        if status == 200:
            self.me = me["player"]
            self.run_.facts.see_self(me["player"], with_uids=False)

    def act(self) -> None:
        rng = self.rng
        facts = self.run_.facts
        kind = rng.choices(["kill", "me", "thought", "grant", "events", "chat"], [5, 3, 2, 1, 1, 1])[0]
        if kind == "kill":
            if self.kill_next_to(self.me["x"], self.me["y"]):
                self.call("POST", "/api/bot/cast", {"spell": "signature"})
                for _ in range(3):  # the kill's loot is picked up within 5 ticks: read while it may be unsaved
                    time.sleep(0.06)
                    self.read_me()
        elif kind == "me":
            self.read_me()
        elif kind == "thought":
            text = f"chaos thought {rng.randrange(10**9)}"
            status, _ = self.call("POST", "/api/bot/thought", {"text": text})
            if status == 200:
                facts.see_thought(self.ch.player_id, text)
        elif kind == "grant":
            self.grant()
        elif kind == "events":
            status, body = self.call("GET", "/api/bot/events?cursor=0&limit=60")
            if status == 200:
                for e in body["events"]:
                    facts.see_event(self.ch.player_id, e["id"], e["kind"], e["text"])
        else:
            self.call("POST", "/api/bot/chat", {"text": f"bot chatter {rng.randrange(10**6)}"})


# ---- the run -----------------------------------------------------------------------------
class Chaos:
    def __init__(self, args) -> None:
        self.args = args
        self.rng = random.Random(args.seed)
        self.sig = signal.SIGKILL if args.signal == "kill" else signal.SIGTERM
        self.root = args.keep_dir or tempfile.mkdtemp(prefix="clawtown-chaos-")
        os.makedirs(self.root, exist_ok=True)
        self.server = ServerProcess(os.path.join(self.root, "data"), os.path.join(self.root, "server.log"))
        self.facts = Facts()
        self.report = Report()
        self.characters: list[Character] = []
        self.grants: dict[str, int] = {}
        self.stop = threading.Event()
        self.go = threading.Event()
        self.boards: list[list[dict]] = []
        self.actions = 0
        self.exit_codes: list[int | None] = []

    def log(self, text: str) -> None:
        if not self.args.quiet:
            print(text, flush=True)

    def create_characters(self) -> None:
        """Browser characters (each also linked to a bot token, to read its events); bots: the first
        two spawned with /api/bot/spawn (3 per 20 s per address), the others linked with a join code."""
        base = self.server.base

        def linked(name: str, browser: bool) -> Character:
            status, made = http(base, "POST", "/api/players", {"name": name, "job": "novice"})
            assert status == 200, made
            status, code = http(base, "POST", "/api/join-codes", {}, token=made["sessionToken"])
            assert status == 200, code
            status, link = http(base, "POST", "/api/bot/link", {"joinCode": code["joinCode"]})
            assert status == 200, link
            return Character(name, made["playerId"], link["botToken"], made["sessionToken"], browser)

        for i in range(self.args.clients):
            self.characters.append(linked(f"Tab{i}", True))
        for i in range(self.args.bots):
            if i >= 2:
                self.characters.append(linked(f"Bot{i}", False))
                continue
            status, made = http(base, "POST", "/api/bot/spawn", {"name": f"Bot{i}", "job": "novice"})
            assert status == 200, made
            self.characters.append(Character(f"Bot{i}", made["playerId"], made["botToken"], None, False))
        for i, ch in enumerate(self.characters):  # apart, so that few "nearby" notes are written
            http(base, "POST", "/api/debug/teleport", {"playerId": ch.player_id, "x": 160 + 200 * (i % 4),
                                                        "y": 160 + 200 * (i // 4)})

    def round(self, number: int, play: bool = True) -> None:
        self.server.start()
        if not self.characters:
            self.create_characters()
        self.report.round = number
        self.stop.clear()
        self.go.clear()
        self.boards = []
        posts_before = dict(self.facts.posts)
        actors = [BrowserActor(ch, self, random.Random(self.rng.random())) if ch.browser
                  else BotActor(ch, self, random.Random(self.rng.random())) for ch in self.characters]
        for actor in actors:
            actor.start()
        for actor in actors:
            actor.ready.wait(20)
        if self.boards:
            check_board(self.report, posts_before, max(self.boards, key=len))
        elif posts_before:
            self.report.unverified.append(f"round {number}: no board seen")
        if play:
            self.go.set()
            time.sleep(self.rng.uniform(0.1, 1.5))
        self.exit_codes.append(self.server.stop(self.sig if play else signal.SIGTERM))
        self.stop.set()
        self.go.set()
        for actor in actors:
            actor.join(15)
            self.actions += actor.actions
        stuck = [a.name for a in actors if a.is_alive()]
        if stuck:
            self.report.unverified.append(f"round {number}: actors still running: {stuck}")

    def main(self) -> int:
        started = time.monotonic()
        try:
            for number in range(1, self.args.rounds + 1):
                before = self.report.checked
                self.round(number)
                self.log(f"round {number:3d}: checked {self.report.checked - before:4d} facts, "
                         f"{len(self.report.losses)} losses so far, {self.facts.count()} facts known")
            before = self.report.checked
            self.round(self.args.rounds + 1, play=False)  # a last start: check the last round too
            self.log(f"final check: {self.report.checked - before} facts")
        except BaseException:
            print(f"chaos stopped by an error; server log: {self.server.log_path}", file=sys.stderr)
            self.args.keep_dir = self.args.keep_dir or self.root  # keep the evidence
            raise
        finally:
            self.server.stop(signal.SIGKILL)
        duration = time.monotonic() - started
        verb = "SIGKILL" if self.sig == signal.SIGKILL else "SIGTERM"
        print(f"rounds: {self.args.rounds} ({verb})")
        print(f"acknowledged facts checked: {self.report.checked}")
        print(f"acknowledged facts known: {self.facts.count()} (recorded {self.facts.recorded} times)")
        print(f"actions sent: {self.actions}")
        print(f"losses: {len(self.report.losses)}")
        for loss in list(self.report.losses.values())[:50]:
            print(f"  LOST: {loss}")
        for note in self.report.unverified[:20]:
            print(f"  unverified: {note}")
        print(f"duration: {duration:.1f} s")
        if self.sig == signal.SIGTERM:
            print(f"exit codes after SIGTERM: {sorted(set(self.exit_codes), key=str)}")
        if self.args.keep_dir or self.report.losses:
            print(f"data dir kept: {self.server.data_dir} (server log: {self.server.log_path})")
        else:
            shutil.rmtree(self.root, ignore_errors=True)
        if self.report.losses:
            return 1
        if self.report.checked == 0 or self.report.unverified and self.args.strict:
            return 2
        return 0


def parse(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20, help="kill/restart rounds (default 20)")
    parser.add_argument("--seed", type=int, default=None, help="seed of every random choice (default: random)")
    parser.add_argument("--clients", type=int, default=3, help="browser-protocol clients (default 3)")
    parser.add_argument("--bots", type=int, default=3, help="REST bots (default 3)")
    parser.add_argument("--signal", choices=["kill", "term"], default="kill",
                        help="how the server is stopped each round (default kill = SIGKILL)")
    parser.add_argument("--keep-dir", default=None, help="work in this directory and keep it (data dir and server log)")
    parser.add_argument("--strict", action="store_true", help="exit 2 when some fact could not be checked")
    parser.add_argument("--quiet", action="store_true", help="only print the summary")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.clients < 0 or args.bots < 0 or args.clients + args.bots < 1:
        parser.error("need at least one round and one client or bot")
    if args.seed is None:
        args.seed = random.randrange(2**31)
    return args


def main(argv=None) -> int:
    args = parse(argv)
    print(f"chaos: seed {args.seed}, {args.clients} clients, {args.bots} bots", flush=True)
    return Chaos(args).main()


if __name__ == "__main__":
    sys.exit(main())
