"""Invented demo contributors: realistic but entirely invented files in three shapes, with their specs."""
