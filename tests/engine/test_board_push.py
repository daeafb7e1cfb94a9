"""A new board post reaches every connected client at once, after it is committed."""

from clawtown.sim import commands as c


def test_board_posts_are_pushed_to_everyone_after_commit(town):
    town.add_player("p_ann", "Ann", "meadow", 400, 700)
    town.add_player("p_bo", "Bo", "town", 480, 288)
    ann, bo = town.connect("p_ann"), town.connect("p_bo")
    town.step()
    town.submit(c.BoardPost(player_id="p_ann", content="Party at the pond!", post_id="post_1"))
    town.step()
    for client in (ann, bo):
        [frame] = [f for f in client.frames if f["t"] == "board"]
        assert [p["content"] for p in frame["posts"]] == ["Party at the pond!"]
    assert [p["id"] for p in town.store.load_board()] == ["post_1"]
