"""Benchmarks of the networks (parameters, MACs, latency) and of training throughput."""
