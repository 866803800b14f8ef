# ruff: noqa
"""A stand-in for the ``d2l`` package (d2l-ai/d2l-en, v0.17, its ``torch`` module):
the ``#@save`` helpers the from-scratch chapters use, so that ``from d2l import
torch as d2l`` works offline. Adapted where d2l downloads (Fashion-MNIST comes from
the bundled data, a subset), plots (Animator prints instead) or spawns workers."""
