"""Bot reads never show progress a crash could still undo (found by scripts/chaos.py).

GET /api/bot/me once answered straight from memory, so a bot could see loot picked up a tick
earlier, and a SIGKILL before the next commit lost what the bot had been told. Reads that show
uncommitted state are now answered after that state is committed.
"""

from __future__ import annotations

import pytest

from clawtown.sim import commands as c


def uncommitted_zenny(town, bot, qty: int = 7) -> None:
    """Give the bot's player zenny in memory only: one tick, no sync round yet."""
    town.game.submit(c.GrantItem(player_id=bot.id, item="zenny", qty=qty))
    town.game.tick()
    assert town.world.players[bot.id].zenny == qty
    assert town.store.get_player(bot.id)["zenny"] == 0


@pytest.mark.parametrize("path, zenny_of", [
    ("me", lambda body: body["player"]["zenny"]),
    ("status", lambda body: body["you"]["zenny"]),
    ("world", lambda body: body["you"]["zenny"]),
])
def test_a_read_waits_for_the_commit_of_what_it_shows(town, ann, path, zenny_of):
    town.run_for(1)
    uncommitted_zenny(town, ann)
    box = town.send("GET", "/api/bot/" + path, token=ann.token)
    town.stub.flush()
    assert box == []  # not answered from memory
    reply = town.wait(box)
    assert reply.code == 200 and zenny_of(reply.json) == 7
    assert town.store.get_player(ann.id)["zenny"] == 7


def test_a_read_with_nothing_pending_is_answered_at_once(town, ann):
    town.run_for(1)
    box = town.send("GET", "/api/bot/me", token=ann.token)
    town.stub.flush()
    assert box and box[0].code == 200

