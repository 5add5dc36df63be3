"""Layers 1-2, inputs: distributions, parameter sets and their files, sampling designs."""
