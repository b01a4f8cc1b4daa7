"""Stateful differential fuzzing of the emulated kernel against Linux."""
