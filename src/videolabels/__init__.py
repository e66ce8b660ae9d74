"""videolabels: offline labels identification for video, Video Indexer compatible."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("videolabels")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"
