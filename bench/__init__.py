"""Benchmarks for ctdhub (run as modules, e.g. ``python -m bench.synth``)."""
