"""Talking and being seen: chat, whispers, party chat, mentions, emotes, pings, the board,
intent lines, bot thoughts, and "nearby" notes when players meet."""

from __future__ import annotations

from .constants import (
    BOARD_KEEP,
    CHAT_GAP_MS,
    NEARBY_PAIR_MS,
    NEARBY_PLAYER_MS,
    NEARBY_PX,
    TEXT_BOARD,
    TEXT_CHAT,
    TEXT_INTENT,
    TEXT_THOUGHT,
)
from .model import Player
from .text import clean_text

EMOTES = ("wave", "heart", "laugh", "cry", "angry", "sweat", "music", "sit")


def _chat_gate(world, p: Player) -> dict | None:
    wait = p.last_chat_at + CHAT_GAP_MS - world.now
    if wait > 0:
        return {"ok": False, "error": "rate limited", "retryInMs": wait, "status": 429}
    return None


def chat(world, p: Player, text: str) -> dict:
    text = clean_text(text, TEXT_CHAT)
    if not text:
        return {"ok": False, "error": "empty message", "status": 400}
    gate = _chat_gate(world, p)
    if gate:
        return gate
    p.last_chat_at = world.now
    world.say(p, text, scope="local")
    mention(world, p, text)
    return {"ok": True}


def whisper(world, p: Player, to: str, text: str) -> dict:
    text = clean_text(text, TEXT_CHAT)
    if not text:
        return {"ok": False, "error": "empty message", "status": 400}
    target = world.find_player(to)
    if target is None:
        return {"ok": False, "error": "player not online", "status": 404}
    if target.id == p.id:
        return {"ok": False, "error": "cannot whisper to yourself", "status": 400}
    gate = _chat_gate(world, p)
    if gate:
        return gate
    p.last_chat_at = world.now
    world.say(p, text, scope="private", to_id=target.id)
    world.note(target, "whisper", f"Whisper from {p.name}: {_snippet(text)}", True,
               {"from": {"id": p.id, "name": p.name}, "text": _snippet(text)})
    return {"ok": True, "to": target.id}


def party_chat(world, p: Player, text: str) -> dict:
    text = clean_text(text, TEXT_CHAT)
    if not text:
        return {"ok": False, "error": "empty message", "status": 400}
    if not p.party_id or p.party_id not in world.parties:
        return {"ok": False, "error": "not in party", "status": 400}
    gate = _chat_gate(world, p)
    if gate:
        return gate
    p.last_chat_at = world.now
    world.say(p, text, scope="party", party_id=p.party_id)
    return {"ok": True}


def _snippet(text: str) -> str:
    return text if len(text) <= 120 else text[:117] + "..."


def mention(world, p: Player, text: str) -> None:
    """Every `@name` of an active player (not the sender) gets an important `mention` note."""
    lowered = text.lower()
    seen: set[str] = set()
    start = lowered.find("@")
    while start != -1:
        following = lowered[start + 1:start + 25]
        for target in world.players_named_prefix(following):
            if target.id != p.id and target.id not in seen:
                seen.add(target.id)
                world.note(target, "mention", f"Mention from {p.name}: {_snippet(text)}", True,
                           {"from": {"id": p.id, "name": p.name}, "text": _snippet(text)})
        start = lowered.find("@", start + 1)


def emote(world, p: Player, name: str) -> dict:
    name = (name or "").strip().lower()
    if name not in EMOTES:
        return {"ok": False, "error": f"unknown emote (one of: {', '.join(EMOTES)})", "status": 400}
    world.fx(p, p.x, p.y, "emote", p.id, {"emote": name})
    return {"ok": True}


def ping(world, p: Player) -> dict:
    world.fx(p, p.x, p.y, "mark", p.id, {"ping": True})
    return {"ok": True}


def board_post(world, p: Player, content: str, post_id: str) -> dict:
    content = clean_text(content, TEXT_BOARD)
    if not content:
        return {"ok": False, "error": "empty post", "status": 400}
    post = {"id": post_id, "createdAt": world.now, "author": {"id": p.id, "name": p.name}, "content": content}
    world.board.append(post)
    del world.board[:-BOARD_KEEP]
    world.board_changed(post)
    return {"ok": True, "post": post}


def set_intent(world, p: Player, text: str) -> dict:
    p.intent = clean_text(text, TEXT_INTENT)
    world.touch_player(p)
    world.progressed(p)
    return {"ok": True}


def thought(world, p: Player, text: str) -> dict:
    text = clean_text(text, TEXT_THOUGHT)
    if not text:
        return {"ok": False, "error": "missing text", "status": 400}
    p.thought, p.thought_at = text, world.now
    world.touch_player(p)
    world.progressed(p)
    world.note(p, "thought", text, False, {"text": text})
    return {"ok": True, "thoughtAt": world.now}


def nearby_notes(world, inst, p: Player) -> None:
    """Tell a player whom they met: at most one note a minute, each pair once per ten minutes."""
    now = world.now
    if now - p.nearby_last < NEARBY_PLAYER_MS:
        return
    for other_id, at in list(p.nearby_seen.items()):
        if now - at >= NEARBY_PAIR_MS:
            del p.nearby_seen[other_id]
    met = []
    for eid in sorted(inst.grid.near(p.x, p.y, NEARBY_PX))[:96]:  # sorted: set order varies by process
        q = inst.players.get(eid)
        if q is None or q.id == p.id or q.id in p.nearby_seen:
            continue
        if (q.x - p.x) ** 2 + (q.y - p.y) ** 2 <= NEARBY_PX * NEARBY_PX:
            met.append(q)
    if not met:
        return
    met.sort(key=lambda q: q.id)
    for q in met:
        p.nearby_seen[q.id] = now
    p.nearby_last = now
    names = [q.name for q in met[:10]]
    extra = f" +{len(met) - 3}" if len(met) > 3 else ""
    world.note(p, "nearby", f"Met {', '.join(names[:3])}{extra}.", True, {"names": names})
