"""twistd plugin: `twistd clawtown` builds the service in clawtown.tap (imports nothing heavy)."""

from twisted.application.service import ServiceMaker

clawtown = ServiceMaker(
    "Clawtown", "clawtown.tap", "Clawtown world: web client, WebSocket and bot REST API on one port", "clawtown"
)
