"""Collectors: each reads one system and returns one typed snapshot section."""
