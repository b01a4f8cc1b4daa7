"""Device drivers (drivers/)."""
