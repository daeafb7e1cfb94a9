"""UpkeepService prunes old events and expired join codes on its schedule."""

from twisted.internet.task import Clock

from clawtown.engine.upkeep import UpkeepService
from clawtown.store import MemoryStore, SyncRunner


def test_upkeep_prunes_events_and_codes_every_period():
    store = MemoryStore()
    runner = SyncRunner(lambda: store)
    runner.start()
    clock = Clock()
    clock.advance(1_000)
    upkeep = UpkeepService(runner, clock, lambda: int(clock.seconds() * 1000), every_s=60, events_kept=3)
    store.save_batch(players=[{"id": "p_a", "name": "A"}],
                     events=[{"playerId": "p_a", "id": i, "at": i, "kind": "kill", "text": "x"} for i in range(1, 11)])
    store.mint_join_code("ABCDEF", "p_a", 1, 2)
    upkeep.startService()
    clock.advance(59)
    assert len(store.list_events("p_a")) == 10
    clock.advance(1)
    assert [e["id"] for e in store.list_events("p_a")] == [8, 9, 10]
    assert store.get_join_code("ABCDEF") is None
    assert upkeep.pruned_events == 7 and upkeep.purged_codes == 1
    upkeep.stopService()
    assert not clock.getDelayedCalls()
