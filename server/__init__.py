"""socketlab daemon: the emulated host served over gRPC (see server/__main__.py)."""
