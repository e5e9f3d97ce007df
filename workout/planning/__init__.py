"""Workout program generation.

``rules`` is the pure, deterministic generator: exercise facts and a request in, a program spec out,
no database. Anything that reads or writes models (or asks a language model) builds on it.
"""
