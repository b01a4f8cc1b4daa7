"""Differential suite: every scenario against host Linux and the emulated kernel."""
