"""Relaying between a Discord channel and its VTT game, apart from Discord's client."""
