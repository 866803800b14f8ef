"""The Tensor's random methods: the in-place samplers (``uniform_``, ``normal_``,
``bernoulli_``, ``exponential_``, ``random_``) and ``bernoulli``/``multinomial``."""

from __future__ import annotations

from . import functions


class RandomMethods:
    __slots__ = ()

    def _sample_(self, op: str, sampler, *args, generator=None):
        return self._inplace(op, lambda a, _: sampler(a, *args, generator=generator))

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None):
        return self._sample_("uniform_", functions.uniform_, a, b, generator=generator)

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None):
        return self._sample_("normal_", functions.normal_, mean, std, generator=generator)

    def exponential_(self, lambd: float = 1.0, *, generator=None):
        return self._sample_("exponential_", functions.exponential_, lambd,
                             generator=generator)

    def bernoulli_(self, p=0.5, *, generator=None):
        return self._sample_("bernoulli_", functions.bernoulli_, p, generator=generator)

    def random_(self, from_=None, to=None, *, generator=None):
        return self._sample_("random_", functions.random_, from_, to, generator=generator)

    def bernoulli(self, p=None, *, generator=None):
        return functions.bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples: int, replacement: bool = False, *, generator=None):
        return functions.multinomial(self, num_samples, replacement, generator=generator)
