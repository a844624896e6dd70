"""imgpipe: turns raw product photos into every image a Tmall, JD and 1688 listing needs."""

__version__ = "0.1.0"
