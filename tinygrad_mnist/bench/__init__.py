"""Measuring: the benchmark against NumPy and PyTorch, and the bridge that trains
beside PyTorch step by step."""
