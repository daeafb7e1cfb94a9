"""Pictures of the world for bots: map.png and minimap.png, rendered with Pillow off the reactor.

Take `snapshot_instance(inst, you_id)` on the reactor thread (cheap, immutable), then hand it to
`render_map_png` / `render_minimap_png` in a worker thread (e.g. `deferToThread`).
"""

from .mapimage import clamp_size, render_map_png, render_minimap_png
from .snapshot import MapSnapshot, snapshot_instance

__all__ = ["MapSnapshot", "clamp_size", "render_map_png", "render_minimap_png", "snapshot_instance"]
