"""Benchmarks run by `lintel bench`: each prints its figures and its baseline, measured in the same run."""
