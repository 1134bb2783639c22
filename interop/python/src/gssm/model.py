"""A loaded model: manifest, layers, tables, and token/label helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Union

import numpy as np

from .format import UNDECODABLE, Action, AutomatonTruth, DeltaLayer, GroupTruth, Layer, Manifest, PdLayer, RnnLayer
from .pc import PcTruth
from .perm import AnyPermTruth, PermLabels, SeriesTruth

TokenInput = Union[np.ndarray, Sequence[int], Sequence[Sequence[int]]]


class TokenError(ValueError):
    """A token id or label the model does not have."""


@dataclass
class Model:
    """A gssm model (see :mod:`gssm.format` for the tensors). Every size is
    read from the tables, never from the manifest.

    A model tracks a group (``group_table``, ``token_elements``,
    ``generators``; ``automaton`` None), from format version 4 an
    automaton (``automaton``; the group fields None), or from format
    version 5 a permutation group without a table (``perm``; the table
    fields None): in version 5 a :class:`gssm.perm.PermTruth` on pd-ssm,
    with ``action.images`` None, or aussm, whose ``readout`` holds
    normal-form ids; in version 6 a :class:`gssm.perm.SeriesTruth` on
    aussm, numbered along a series so that the ids are the layers' joint
    codes, with ``readout`` None. From format version 7 a solvable group
    given by a pc presentation (``pc``, a :class:`gssm.pc.PcTruth`; the
    table fields and ``perm`` None) on aussm, an element
    w_{k-1}(c_{k-1})⋯w_0(c_0) (w_i a word in the series' term i's pc
    generators) numbered by its digits c, which are the layers' joint code,
    and ``readout`` None.
    Diagonal targets have ``layers`` and ``readout``, except versions 6
    and 7 (:attr:`outputs_joint_code`); the others
    have no layers, ``readout`` None and one of ``rnn``, ``pd`` or ``delta``
    (the last two with ``action``)."""

    manifest: Manifest
    layers: List[Layer]
    #: int64 [C_0⋯C_{k-1}]: output id per joint code; None for the
    #: one-layer targets, and for a diagonal model whose output is its
    #: joint code itself (format version 6).
    readout: Optional[np.ndarray]
    group_table: Optional[np.ndarray] = None  # int64 [N, N]; None for an automaton
    token_elements: Optional[np.ndarray] = None  # int64 [V_0]; None for an automaton
    #: Generator i's element id (its name is ``manifest.group.generators[i]``).
    generators: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    #: The faithful action (pd-ssm, deltaproduct).
    action: Optional[Action] = None
    pd: Optional[PdLayer] = None
    delta: Optional[DeltaLayer] = None
    rnn: Optional[RnnLayer] = None
    #: The tracked automaton's transitions, start state and acceptance flags
    #: (format version 4), or None: the model tracks a group.
    automaton: Optional[AutomatonTruth] = None
    #: A permutation group kept without a table: the tokens' permutations
    #: and what numbers the outputs, a normal form (format version 5,
    #: :class:`gssm.perm.PermTruth`) or a series (format version 6,
    #: :class:`gssm.perm.SeriesTruth`). Both give ``order``, ``degree``,
    #: ``rank``/``unrank`` and ``label``.
    perm: Optional[AnyPermTruth] = None
    #: A solvable group kept as a consistent pc presentation (format version
    #: 7): the relations, the series' terms and the named generators' and
    #: tokens' exponent vectors; ids are the digits of the element's words
    #: along the terms (the joint code, :class:`gssm.pc.PcTruth`).
    pc: Optional[PcTruth] = None

    @property
    def _untabled(self):
        """The truth of a group without a table (``perm`` or ``pc``), or
        None: it gives ``order``, ``tokens``, ``label`` and ``labels_many``."""
        return self.perm if self.perm is not None else self.pc

    # -- basic facts -------------------------------------------------------

    @property
    def group(self) -> Optional[GroupTruth]:
        """The tracked group's tables, or None for an automaton model."""
        if self.automaton is not None or self.group_table is None:
            return None
        return GroupTruth(self.group_table, self.generators, self.token_elements)

    @property
    def tracks(self) -> str:
        """``"group"`` or ``"automaton"``."""
        return "automaton" if self.automaton is not None else "group"

    @property
    def name(self) -> str:
        """The tracked group's or automaton's name."""
        return self.manifest.name

    @property
    def order(self) -> int:
        """The number of output classes: |G|, the side of ``group.table`` (or
        ∏ m_i of a permutation group's normal form, ∏ |A_i| along its
        series), or the automaton's
        number of states (= the number of output labels)."""
        if self.automaton is not None:
            return self.automaton.num_states
        if self._untabled is not None:
            return self._untabled.order
        return int(np.shape(self.group_table)[0])

    @property
    def num_states(self) -> int:
        """An automaton's number of states."""
        return self._need_automaton("num_states").num_states

    @property
    def num_tokens(self) -> int:
        if self.automaton is not None:
            return int(np.shape(self.automaton.delta)[0])
        if self._untabled is not None:
            return int(np.shape(self._untabled.tokens)[0])
        return int(self.token_elements.shape[0])

    def _need_group(self, what: str) -> None:
        if self.automaton is not None:
            raise ValueError(
                f"{what} is for group models, but this model tracks the automaton {self.manifest.name}"
                " (use Model.truth or Model.running_states)"
            )

    def _need_automaton(self, what: str) -> AutomatonTruth:
        if self.automaton is None:
            raise ValueError(f"{what} is for automaton models, but this model tracks the group {self.manifest.name}")
        return self.automaton

    @property
    def target(self) -> str:
        return self.manifest.target

    @property
    def dtype(self) -> np.dtype:
        """The float dtype the file stores (the default executor dtype)."""
        return np.dtype(np.float64 if self.manifest.dtype == "float64" else np.float32)

    @property
    def token_labels(self) -> List[str]:
        return list(self.manifest.tokens)

    @property
    def output_labels(self) -> Sequence[str]:
        """Output id -> label: a list, or for a group without a table
        (format versions 5 to 7) a :class:`gssm.perm.PermLabels` that makes
        each label on demand (cycle notation, or a pc group's normal word
        such as ``f1*f3^2``; it has ``order`` entries and never lists them
        all)."""
        if self._untabled is not None:
            return PermLabels(self._untabled)
        return list(self.manifest.outputs)

    @property
    def generator_names(self) -> List[str]:
        self._need_group("Model.generator_names")
        return list(self.manifest.group.generators)

    @property
    def bos(self) -> Optional[int]:
        """The start token's id, or None (the model runs from its stored
        initial state)."""
        return self.manifest.bos

    @property
    def is_diagonal(self) -> bool:
        """Whether the target has diagonal layers (every version 2 target)."""
        from .format import target_is_diagonal

        return target_is_diagonal(self.manifest.target)

    @property
    def outputs_joint_code(self) -> bool:
        """Whether the output id is the diagonal stack's joint code
        code_0 + C_0·(code_1 + C_1·(…)) itself, with no readout table: a
        permutation group numbered along a series (format version 6) or a
        group numbered by a pc presentation (format version 7), whose ids
        are exactly these codes (a trivial group's, with no layers, is 0)."""
        return self.is_diagonal and self.readout is None and (isinstance(self.perm, SeriesTruth) or self.pc is not None)

    @property
    def series_orders(self) -> List[int]:
        """Orders of G = G_0 ⊳ G_1 ⊳ ⋯ ⊳ G_k = 1 as the layers track it:
        |G_i| is the product of the code counts of layers i, i+1, …."""
        # An automaton's layers are a cascade of resets and registers, not a
        # subnormal series.
        self._need_group("Model.series_orders")
        out = [1]
        for l in reversed(self.layers):
            out.append(out[-1] * l.num_codes)
        return out[::-1]

    def __repr__(self) -> str:
        m = self.manifest
        if self.rnn is not None:
            shape = f"hidden={self.rnn.hidden_size}"
        elif self.pd is not None and self.action is not None:
            shape = f"degree={self.action.degree}"
        elif self.delta is not None and self.action is not None:
            shape = f"degree={self.action.degree} state={self.delta.dim} reflections={self.delta.num_reflections}"
        else:
            shape = f"layers={len(self.layers)} widths={[l.width for l in self.layers]}"
        bos = "" if m.bos is None else f" bos={m.bos}"
        size = f"automaton, {self.order} states" if self.automaton is not None else f"order {self.order}"
        return (
            f"<gssm.Model {m.name} ({size}) target={m.target} "
            f"dtype={m.dtype} {shape} tokens={self.num_tokens}{bos}>"
        )

    # -- tokens and labels -------------------------------------------------

    def check_tokens(self, tokens: TokenInput) -> np.ndarray:
        """Tokens as an int64 array, every id checked to be in range."""
        a = np.asarray(tokens)
        if a.size == 0:
            return a.astype(np.int64).reshape(a.shape)
        if a.dtype.kind not in "iu":
            if a.dtype.kind == "f" and np.all(np.isfinite(a)) and np.all(a == np.round(a)):
                a = a.astype(np.int64)
            else:
                raise TokenError(f"token ids must be integers, got dtype {a.dtype}")
        a = a.astype(np.int64)
        bad = np.flatnonzero(((a < 0) | (a >= self.num_tokens)).reshape(-1))
        if bad.size:
            i = int(bad[0])
            pos = np.unravel_index(i, a.shape)
            raise TokenError(
                f"token id {int(a.reshape(-1)[i])} at index {tuple(int(p) for p in pos)} is out of "
                f"range: the model has {self.num_tokens} tokens (ids 0..{self.num_tokens - 1})"
            )
        return a

    def check_sequences(self, tokens: TokenInput) -> np.ndarray:
        """Tokens as an int64 array [B, T] (a [T] input becomes [1, T]),
        every id in range and, in a model with a start token, every non-empty
        sequence beginning with it."""
        a = self.check_tokens(tokens)
        x = a.reshape(1, -1) if a.ndim == 1 else a
        if x.ndim != 2:
            raise TokenError(f"tokens must have shape [T] or [B, T], got {a.shape}")
        bos = self.bos
        if bos is not None and x.shape[1] > 0:
            bad = np.flatnonzero(x[:, 0] != bos)
            if bad.size:
                b = int(bad[0])
                t = int(x[b, 0])
                raise TokenError(
                    f"sequence {b} starts with token {t} ('{self.manifest.tokens[t]}'), but this model has a start "
                    f"token: every sequence must begin with '{self.manifest.tokens[bos]}' (id {bos})"
                )
        return x

    def encode(self, labels: Union[str, Sequence[str], Sequence[Sequence[str]]]) -> np.ndarray:
        """Token labels (a space-separated string, a list, or a list of lists) to ids."""
        index = {lab: i for i, lab in enumerate(self.manifest.tokens)}

        def one(seq: Union[str, Sequence[str]]) -> List[int]:
            words = seq.split() if isinstance(seq, str) else list(seq)
            out = []
            for pos, w in enumerate(words):
                if w not in index:
                    raise TokenError(
                        f"unknown token '{w}' at position {pos}: not a token label of this model"
                    )
                out.append(index[w])
            return out

        if isinstance(labels, str) or (len(labels) > 0 and isinstance(labels[0], str)):
            return np.asarray(one(labels), dtype=np.int64)  # type: ignore[arg-type]
        return np.asarray([one(s) for s in labels], dtype=np.int64)  # type: ignore[arg-type]

    def token_label(self, ids: TokenInput) -> Union[str, List]:
        """Token ids to their labels (same nesting)."""
        a = self.check_tokens(ids)
        labs = np.asarray(self.manifest.tokens, dtype=object)
        return labs[a].tolist()

    def decode(self, outputs: TokenInput) -> Union[str, List]:
        """Output ids (element or state ids) to their labels (same nesting);
        :data:`gssm.UNDECODABLE` becomes ``?``."""
        a = np.asarray(outputs)
        if a.dtype.kind not in "iu":
            raise TokenError(f"output ids must be integers, got dtype {a.dtype}")
        a = a.astype(np.int64)
        und = a == UNDECODABLE
        if a.size and (a.min() < 0 or a[~und].max(initial=0) >= self.order):
            raise TokenError(f"output ids must lie in 0..{self.order} (or be UNDECODABLE)")
        if self._untabled is not None:
            # Labels made on demand, once per distinct id.
            ids, inv = np.unique(a, return_inverse=True)
            ok = ids != UNDECODABLE
            labs = np.full(ids.shape, "?", dtype=object)
            if ok.any():
                labs[ok] = self._untabled.labels_many(ids[ok])
            return labs[inv.reshape(a.shape)].tolist()
        labs = np.asarray(list(self.manifest.outputs) + ["?"], dtype=object)
        return labs[np.where(und, self.order, a)].tolist()

    # -- ground truth ------------------------------------------------------

    def truth(self, tokens: TokenInput) -> np.ndarray:
        """What the outputs must be, from the file's own description of what
        it tracks (never from the layers): :meth:`running_products` for a
        group, :meth:`running_states` for an automaton.

        Accepts [T] or [B, T]; returns the same shape, int64.
        """
        if self.automaton is not None:
            return self.running_states(tokens)
        return self.running_products(tokens)

    def running_states(self, tokens: TokenInput) -> np.ndarray:
        """Ground truth from ``automaton.delta``: y_t = the state reached
        from ``automaton.start`` by x_1…x_t (state ids).

        Accepts [T] or [B, T]; returns the same shape, int64.
        """
        aut = self._need_automaton("Model.running_states")
        a = self.check_tokens(tokens)
        one = a.ndim == 1
        a2 = a.reshape(1, -1) if one else a
        if a2.ndim != 2:
            raise TokenError(f"tokens must have shape [T] or [B, T], got {a.shape}")
        delta = np.asarray(aut.delta, np.int64)
        out = np.empty(a2.shape, np.int64)
        q = np.full(a2.shape[0], int(aut.start), np.int64)
        for t in range(a2.shape[1]):
            q = delta[a2[:, t], q]
            out[:, t] = q
        return out[0] if one else out

    def accepts(self, tokens: TokenInput) -> np.ndarray:
        """Whether an automaton accepts each prefix: ``accept`` of
        :meth:`running_states` (bool, same shape)."""
        aut = self._need_automaton("Model.accepts")
        return np.asarray(aut.accept, np.int64)[self.running_states(tokens)] == 1

    def running_products(self, tokens: TokenInput) -> np.ndarray:
        """Ground truth from ``group.table``: y_t = x_1·x_2⋯x_t (element ids);
        with a start token, the product of the elements read since the last
        start token (the start token's own output is the identity, 0). For a
        permutation group without a table, the tokens' permutations composed
        (p·q applies p first) and numbered by the normal form or the series;
        for a pc group, the tokens' exponent vectors collected and ranked
        (:meth:`gssm.pc.PcTruth.next`).

        Accepts [T] or [B, T]; returns the same shape, int64.
        """
        self._need_group("Model.running_products")
        a = self.check_tokens(tokens)
        one = a.ndim == 1
        a2 = a.reshape(1, -1) if one else a
        if a2.ndim != 2:
            raise TokenError(f"tokens must have shape [T] or [B, T], got {a.shape}")
        if self.perm is not None:
            out = self._perm_products(a2)
            return out[0] if one else out
        if self.pc is not None:
            out = self._pc_products(a2)
            return out[0] if one else out
        el = self.token_elements[a2]
        out = np.empty_like(el)
        g = np.zeros(a2.shape[0], dtype=np.int64)
        bos = self.bos
        for t in range(a2.shape[1]):
            g = self.group_table[g, el[:, t]]
            if bos is not None:
                g = np.where(a2[:, t] == bos, 0, g)
            out[:, t] = g
        return out[0] if one else out

    def _perm_products(self, x: np.ndarray) -> np.ndarray:
        """Running products [B, T] of a permutation group without a table:
        the arrangement composed token by token, ranked by the truth."""
        p = self.perm
        assert p is not None
        B, T = x.shape
        perms = np.asarray(p.tokens, np.int64)
        ident = np.arange(p.degree, dtype=np.int64)
        g = np.broadcast_to(ident, (B, p.degree)).copy()
        out = np.empty((B, T), np.int64)
        bos = self.bos
        for t in range(T):
            # g·p: apply g, then the token's permutation p.
            g = np.take_along_axis(perms[x[:, t]], g, axis=1)
            if bos is not None:
                g[x[:, t] == bos] = ident
            out[:, t] = p.rank_many(g)
        return out

    def _pc_products(self, x: np.ndarray) -> np.ndarray:
        """Running products [B, T] of a pc group: the tokens' exponent
        vectors collected, each product ranked
        (:meth:`gssm.pc.PcTruth.running_ids`, steps of
        :meth:`gssm.pc.PcTruth.next`)."""
        p = self.pc
        assert p is not None
        return p.running_ids(x, self.bos)

    def _element_id(self, g: int) -> int:
        g = int(g)
        if not 0 <= g < self.order:
            raise TokenError(f"element id {g} is outside 0..{self.order}")
        return g

    def multiply(self, g: int, h: int) -> int:
        """g·h from the Cayley table (for a permutation group without a
        table: the elements' permutations composed, g first; for a pc
        group: their exponent vectors collected)."""
        self._need_group("Model.multiply")
        if self.perm is not None:
            pg, ph = self.perm.unrank_many(np.asarray([self._element_id(g), self._element_id(h)]))
            return int(self.perm.rank_many(ph[pg][None, :])[0])
        if self.pc is not None:
            return int(self.pc.rank(self.pc.mul(self.pc.unrank(self._element_id(g)), self.pc.unrank(self._element_id(h)))))
        return int(self.group_table[g, h])

    def evaluate(self, word: str) -> int:
        """The element id a label word names (``e``, ``a``, ``a^-2*b``), by
        the group table, left to right, as the loader checks labels (for a
        permutation group without a table, by multiplying permutations and
        ranking the product; for a pc group, by collection)."""
        from .format import InconsistentError, PcWords, PermWords, Words

        self._need_group("Model.evaluate")
        try:
            if self.pc is not None:
                return int(self.pc.rank(PcWords(self.pc, self.manifest.group.generators).eval(word)))
            if self.perm is not None:
                g = PermWords(self.perm.generators, self.manifest.group.generators).eval(word)
                return int(self.perm.rank_many(np.asarray(g)[None, :])[0])
            return Words(self.group_table, self.generators, self.manifest.group.generators).eval(word)
        except InconsistentError as e:
            raise TokenError(f"'{word}' is not a word in the generators: {e}") from None

    # -- execution ---------------------------------------------------------

    def run(self, tokens: TokenInput, dtype: Optional[Union[str, np.dtype, type]] = None) -> np.ndarray:
        """Decoded outputs with the NumPy executor (see :func:`gssm.numpy_exec.run`)."""
        from .numpy_exec import run

        return run(self, tokens, dtype)

    def save(self, path: str) -> None:
        """Write the model as a weight file."""
        from .format import save

        save(self, path)
