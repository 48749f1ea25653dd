"""Fuzz targets of the readers of hostile input (``make fuzz`` runs a longer campaign)."""
