"""Message shapes: decoding and validating what clients send, and the views of the world they get.

WebSocket and REST share these, so a player looks the same to a browser and to a bot.
"""
