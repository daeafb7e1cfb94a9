"""Pure game rules: maps, players, monsters, combat, loot, party, social, autopilot.

Nothing in this package does I/O, reads a clock or uses the global random module: time arrives
as `now` (milliseconds) and randomness from seeded `random.Random` instances owned by the world.
"""
