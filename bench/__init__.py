"""Benchmark of dpo-workbench at contact-centre scale: `python -m bench` (see README.md)."""
