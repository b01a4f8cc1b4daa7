"""Ethernet link layer (net/ethernet)."""
