"""Designs in the unit hypercube -> draws in data units, produced in chunks.

Three designs: ``random`` (PCG64), ``lhs`` (Latin hypercube) and ``sobol`` (scrambled Sobol via
``scipy.stats.qmc``). Each uncertain parameter uses one dimension; fixed parameters use none, so
adding or removing a fixed parameter does not change the other columns. Uniforms are clipped into
``[2**-53, 1 - 2**-53]`` and mapped through ``ParameterSet.transform`` (Gaussian copula, then
inverse CDFs).

Determinism: the same (params, n, design, seed) gives bit-identical draws whatever the chunk size
and whichever process computes a chunk:

* random: value ``(i, j)`` (row i, random dimension j) is output number ``j * n + i`` of
  ``PCG64(seed)`` (one 64-bit output per value; ``advance`` skips to the chunk start);
* sobol: ``qmc.Sobol(d, scramble=True, rng=child seed)`` then ``fast_forward(start)``;
* lhs: row ``i`` of dimension ``j`` is ``(perm_j[i] + v_ij) / n`` with permutations from a child
  seed (an ``n x d`` int table held in memory, built once per process) and jitters ``v`` from a
  PCG64 stream as for ``random``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from model.inputs.distributions import U_MAX, U_MIN
from model.inputs.parameters import ParameterSet

__all__ = ["DESIGNS", "Draws", "Sampler", "sample", "seed_entropy"]

DESIGNS = ("random", "lhs", "sobol")


def seed_entropy(rng) -> int:
    """An int entropy from an int seed, a SeedSequence or None (fresh entropy)."""
    if rng is None:
        return int(np.random.SeedSequence().entropy)
    if isinstance(rng, np.random.SeedSequence):
        if rng.spawn_key:
            raise ValueError("pass a root SeedSequence (no spawn_key) or an int seed")
        return int(rng.entropy)
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and rng >= 0:
        return int(rng)
    raise TypeError(f"rng must be a non-negative int, a numpy SeedSequence or None; got {rng!r}")


@dataclass(frozen=True)
class Sampler:
    """Picklable recipe for draws: ``chunk(start, stop)`` returns rows start..stop in data units.

    Parameters
    ----------
    params : ParameterSet
    n : int
        Total number of draws.
    design : {"random", "lhs", "sobol"}
    seed : int
        Entropy of the root ``numpy.random.SeedSequence``.
    chunk_size : int
        Rows per chunk for :meth:`bounds` and iteration (does not change the values).
    """

    params: ParameterSet
    n: int
    design: str = "random"
    seed: int = 0
    chunk_size: int = 8192
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.design not in DESIGNS:
            raise ValueError(f"design must be one of {DESIGNS}; got {self.design!r}")
        if int(self.n) < 1 or int(self.chunk_size) < 1:
            raise ValueError(f"n and chunk_size must be >= 1; got n={self.n}, {self.chunk_size=}")

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_cache"] = {}  # per-process caches (LHS table) are rebuilt, not shipped
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)

    @property
    def d(self) -> int:
        """Number of random dimensions (uncertain parameters)."""
        return len(self.params.uncertain_names)

    @cached_property
    def _seeds(self) -> tuple[int, int]:
        """(stream seed, permutation/scramble seed) from the root SeedSequence."""
        kids = np.random.SeedSequence(self.seed).spawn(2)
        return tuple(int(k.generate_state(1, np.uint64)[0]) for k in kids)

    def bounds(self) -> list[tuple[int, int]]:
        """The (start, stop) row ranges of the chunks."""
        c = int(self.chunk_size)
        return [(s, min(s + c, self.n)) for s in range(0, self.n, c)]

    def __iter__(self) -> Iterator[np.ndarray]:
        for start, stop in self.bounds():
            yield self.chunk(start, stop)

    def __len__(self) -> int:
        return len(self.bounds())

    def _stream(self, start: int, stop: int) -> np.ndarray:
        """PCG64 doubles for rows start..stop, shape (d, stop - start).

        Value (i, j) is output number ``j * n + i`` of the stream (one 64-bit output per value),
        so each dimension's chunk is one contiguous run reached with ``advance``.
        """
        d, m, n = self.d, stop - start, self.n
        bg = np.random.PCG64(self._seeds[0])
        gen = np.random.Generator(bg)
        out = np.empty((d, m))
        bg.advance(start)
        for j in range(d):
            gen.random(out=out[j])
            if j + 1 < d:
                bg.advance(n - m)
        return out

    def _lhs_perms(self) -> np.ndarray:
        perms = self._cache.get("perms")
        if perms is None:
            rng = np.random.Generator(np.random.PCG64(self._seeds[1]))
            dtype = np.int32 if self.n < 2**31 else np.int64
            perms = np.empty((self.d, self.n), dtype=dtype)
            for j in range(self.d):
                perms[j] = np.arange(self.n, dtype=dtype)
                rng.shuffle(perms[j])
            perms.setflags(write=False)
            self._cache["perms"] = perms
        return perms

    def unit(self, start: int, stop: int) -> np.ndarray:
        """Design points in the open unit hypercube, shape (d, stop - start) (one row per dim)."""
        if not 0 <= start < stop <= self.n:
            raise ValueError(f"chunk needs 0 <= start < stop <= n={self.n}; got {start}, {stop}")
        d, m = self.d, stop - start
        if d == 0:
            return np.empty((0, m))
        if self.design == "random":
            ut = self._stream(start, stop)
        elif self.design == "sobol":
            eng, pos = self._cache.get("sobol", (None, 0))
            if eng is None or start < pos:
                from scipy.stats import qmc  # on first use: half a second to import

                eng = qmc.Sobol(d, scramble=True, rng=np.random.default_rng(self._seeds[1]))
                pos = 0
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", "The balance properties", UserWarning)
                if start > pos:
                    eng.fast_forward(start - pos)
                x = eng.random(m)
            self._cache["sobol"] = (eng, stop)
            ut = np.empty((d, m))
            np.clip(x.T, U_MIN, U_MAX, out=ut)  # transpose and clip in one pass
            return ut
        else:
            ut = self._stream(start, stop)
            ut += self._lhs_perms()[:, start:stop]
            ut *= 1.0 / self.n
        np.clip(ut, U_MIN, U_MAX, out=ut)
        return ut

    def check(self, draws: np.ndarray) -> None:
        """Raise ValueError unless ``draws`` can be this sampler's rows 0..n, already made:
        their shape, and their first row against the design's."""
        shape = (int(self.n), len(self.params.names))
        if np.shape(draws) != shape:
            raise ValueError(f"draws must have shape {shape}; got {np.shape(draws)}")
        if not np.array_equal(draws[:1], self.chunk(0, 1)):
            raise ValueError("draws are not this run's: their first row differs from its design's")

    def chunk(self, start: int, stop: int, *, out: np.ndarray | None = None) -> np.ndarray:
        """Draws for rows start..stop in data units, shape (stop - start, len(params)).

        ``out``, if given, is a (stop - start, len(params)) array written in place (fastest when
        its columns are contiguous, e.g. a slice of a Fortran-ordered array).
        """
        rows = None if out is None else out.T
        return self.params.transform_rows(self.unit(start, stop), out=rows).T


@dataclass(frozen=True)
class Draws:
    """Sampled parameter values: ``values`` (n, d) read-only, columns in ``names`` order."""

    names: tuple[str, ...]
    values: np.ndarray
    design: str
    seed: int
    n: int

    def column_index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise KeyError(f"no parameter {name!r} in these draws") from None

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[:, self.column_index(name)]

    def __len__(self) -> int:
        return self.n

    def to_frame(self):
        """pandas DataFrame, one column per parameter."""
        import pandas as pd

        return pd.DataFrame(self.values, columns=list(self.names))


def sample(
    params: ParameterSet,
    n: int,
    *,
    design: str = "random",
    rng: int | np.random.SeedSequence | None = None,
    chunk_size: int = 8192,
) -> Draws:
    """Draw ``n`` joint samples of the parameters.

    Parameters
    ----------
    params : ParameterSet
    n : int
        Number of draws (rows).
    design : {"random", "lhs", "sobol"}
        ``lhs`` holds an (n x d) permutation table in memory: use sobol or random for n > ~1e7.
    rng : int, numpy.random.SeedSequence or None
        Seed; None draws fresh entropy, recorded in ``Draws.seed``.
    chunk_size : int
        Rows computed at a time (does not change the values).

    Returns
    -------
    Draws
        ``values`` has shape (n, len(params)), draws on axis 0.

    Examples
    --------
    >>> import model  # doctest: +SKIP
    >>> draws = model.sample(params, n=4096, design="sobol", rng=1)  # doctest: +SKIP
    """
    sampler = Sampler(params, int(n), design, seed_entropy(rng), int(chunk_size))
    # Stored column-major: each parameter's column is contiguous (fast ``draws[name]``).
    values_t = np.empty((len(params.names), sampler.n))
    for start, stop in sampler.bounds():
        sampler.chunk(start, stop, out=values_t[:, start:stop].T)
    values = values_t.T
    values.setflags(write=False)
    return Draws(tuple(params.names), values, design, sampler.seed, sampler.n)
