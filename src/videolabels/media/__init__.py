"""media: video files in, timed upright RGB frames out (PyAV / FFmpeg).

``probe(path)`` describes a file; ``sample_frames(path, fps, max_side)`` streams frames on
a fixed time grid; every problem with an input file is a ``MediaError`` with a Video
Indexer-style code. ``thumbnail``/``thumbnail_difference`` measure how much two frames differ.
"""

import logging

from .errors import MediaError
from .grid import samples_after
from .images import thumbnail, thumbnail_difference
from .probe import VideoInfo, probe
from .sampler import DEFAULT_MAX_STATIC_SPAN, SampledFrame, sample_frames

# Skipped damaged packets are logged as warnings; they reach stderr only if the
# application configures logging (the CLI promises one-line errors).
logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["DEFAULT_MAX_STATIC_SPAN", "MediaError", "SampledFrame", "VideoInfo", "probe", "sample_frames", "samples_after", "thumbnail", "thumbnail_difference"]
