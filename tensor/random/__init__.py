"""PyTorch's CPU random numbers, bit for bit: after ``manual_seed(s)``, or from a
``Generator().manual_seed(s)``, the same calls give the same numbers as torch.

Reading order: ``generator.py`` (the MT19937 stream, seeding, the state bytes),
``sampling.py`` (each distribution: which draws, which transform), ``vecmath.py``
(the float arithmetic torch's kernels do, rounding for rounding), ``avx32.py``
(float32 ``randn``'s AVX2 kernel), ``libm_log.py`` (glibc's log on whole arrays),
``scratch.py`` (reused work arrays), ``functions.py`` (``normal``, ``bernoulli``,
``multinomial`` and the in-place samplers on arrays).
Where parity stops is in the README, "Same seed, same numbers".
"""

from .functions import bernoulli, multinomial, normal
from .generator import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    resolve,
    seed,
    set_rng_state,
)


def generator() -> Generator:
    """The global generator (``torch.default_generator``)."""
    return default_generator


__all__ = ["Generator", "bernoulli", "default_generator", "generator", "get_rng_state",
           "initial_seed", "manual_seed", "multinomial", "normal", "resolve", "seed",
           "set_rng_state"]
