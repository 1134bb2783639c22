"""Format version 5: permutation groups past the element limit, compiled by
the CLI to pd-ssm files without a Cayley table (as `tests/big_models.rs`),
and aussm stacks with a readout to the normal form's ids, crafted here (the
compiler now writes those as version 6, `test_v6.py`, but version 5 aussm
files keep loading). Python loads them, runs them with NumPy and torch, and
its outputs are checked against running products multiplied here from the
sources' cycles and against `gssm run`; corrupt normal forms and tokens are
refused with the Rust loader's error classes.

Orders: |S10| = 10! = 3,628,800; the 2×2×2 cube group (three faces turned,
one corner fixed) has order 3^6·7! = 3,674,160 (GAP: `Size(Group(R, U, F))`);
AGL(1, 31) = C31 ⋊ C30 has order 31·30 = 930.
"""

from __future__ import annotations

import itertools
import json
import math
import subprocess
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import numpy as np
import pytest
from conftest import cli_rejects, cli_run, gssm_bin, need_torch, write_ids
from test_loader import read_raw, write_raw

import gssm
from gssm.perm import Chain

S10 = "group S10 = perm(10) { c = (1,2,3,4,5,6,7,8,9,10), t = (1,2) }\n"
CUBE_GENS = {
    "R": [[13, 19, 22, 16], [14, 21, 23, 18], [15, 20, 24, 17]],
    "U": [[7, 21, 22, 12], [8, 20, 23, 11], [9, 19, 24, 10]],
    "F": [[4, 17, 22, 11], [5, 16, 23, 10], [6, 18, 24, 12]],
}
CUBE = (
    "group Cube = perm(24) { "
    + ", ".join(f"{g} = " + "".join("(" + ",".join(map(str, c)) + ")" for c in cs) for g, cs in CUBE_GENS.items())
    + " }\n"
)
S5 = "group S5 = perm(5) { a = (1,2,3,4,5), b = (1,2) }\n"

Perm = Tuple[int, ...]


# -- permutations, independent of the package ---------------------------------


def from_cycles(n: int, cycles: Sequence[Sequence[int]]) -> Perm:
    """The permutation of 0..n given by 1-based cycles, as images."""
    p = list(range(n))
    for c in cycles:
        for k, x in enumerate(c):
            p[x - 1] = c[(k + 1) % len(c)] - 1
    return tuple(p)


def mul(p: Perm, q: Perm) -> Perm:
    """p·q: p first, then q."""
    return tuple(q[i] for i in p)


def inv(p: Perm) -> Perm:
    q = [0] * len(p)
    for i, x in enumerate(p):
        q[x] = i
    return tuple(q)


def products(tokens: np.ndarray, perms: Sequence[Perm], n: int, bos: int = -1) -> List[List[Perm]]:
    """Running products of each row, reset by the start token."""
    out = []
    for row in tokens.tolist():
        g, seq = tuple(range(n)), []
        for x in row:
            g = tuple(range(n)) if x == bos else mul(g, perms[x])
            seq.append(g)
        out.append(seq)
    return out


def s10_perms() -> List[Perm]:
    return [from_cycles(10, [list(range(1, 11))]), from_cycles(10, [[1, 2]])]


def cube_perms(inverses: bool) -> List[Perm]:
    out = []
    for cs in CUBE_GENS.values():
        p = from_cycles(24, cs)
        out += [p, inv(p)] if inverses else [p]
    return out


# -- files ---------------------------------------------------------------------


def compile_perm(
    src: str, out: Path, alphabet: str, bos: bool = False, extra: Sequence[str] = (), target: str = "pd-ssm"
) -> Path:
    s = out.with_suffix(".gssm")
    s.write_text(src, encoding="utf-8")
    cmd = [str(gssm_bin()), "compile", str(s), "--target", target, "--alphabet", alphabet, "-o", str(out), *extra]
    if bos:
        cmd.append("--bos")
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr}")
    return out


@pytest.fixture(scope="session")
def v5(tmp_path_factory):
    """v5(name) -> path: s10, cube (generators+inverses), cube-bos
    (generators, a start token), s5 (the chain path: --max-elements 10)."""
    d = tmp_path_factory.mktemp("models_v5")
    specs = {
        "s10": (S10, "generators", False, ()),
        "cube": (CUBE, "generators+inverses", False, ()),
        "cube-bos": (CUBE, "generators", True, ()),
        "s5": (S5, "generators+inverses", False, ("--max-elements", "10")),
    }
    cache: Dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in cache:
            src, alphabet, bos, extra = specs[name]
            cache[name] = compile_perm(src, d / f"{name}.safetensors", alphabet, bos, extra)
        return cache[name]

    return get


def cli_labels(path: Path, tokens: np.ndarray, workdir: Path) -> List[List[str]]:
    """`gssm run MODEL --input FILE --input-ids`: the output labels."""
    inp = workdir / "labels_in.txt"
    write_ids(inp, tokens)
    cmd = [str(gssm_bin()), "run", str(path), "--input", str(inp), "--input-ids"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"{' '.join(cmd)} failed:\n{r.stderr}"
    return [line.split() for line in r.stdout.splitlines() if line.strip()]


# -- loading -------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,order,degree,tokens",
    [
        ("s10", math.factorial(10), 10, ["c", "t"]),
        ("cube", 3_674_160, 24, ["R", "R^-1", "U", "U^-1", "F", "F^-1"]),
        ("cube-bos", 3_674_160, 24, ["R", "U", "F", "<bos>"]),
        ("s5", 120, 5, ["a", "a^-1", "b"]),
    ],
)
def test_loads_with_the_exact_order(v5, name, order, degree, tokens):
    m = gssm.load(v5(name))
    assert m.manifest.format_version == gssm.FORMAT_VERSION_PERM == 5
    assert m.order == order and m.perm.order == order
    assert m.perm.degree == degree and m.action.degree == degree and m.action.images is None
    assert m.group is None and m.group_table is None and m.manifest.outputs == []
    assert m.token_labels == tokens
    assert m.bos == (3 if name == "cube-bos" else None)
    # Nothing |G|-sized: the labels are made on demand.
    labels = m.output_labels
    assert len(labels) == order and labels[0] == "()"
    assert labels[order - 1] == m.perm.label(order - 1)
    with pytest.raises(IndexError):
        labels[order]
    assert f"order {order}" in repr(m) and f"degree={degree}" in repr(m)


def test_save_gives_the_same_bytes(v5, tmp_path):
    for name in ("s10", "cube", "cube-bos", "s5"):
        path = v5(name)
        m = gssm.load(path)
        out = tmp_path / f"{name}.again.safetensors"
        m.save(str(out))
        assert out.read_bytes() == path.read_bytes(), name
        assert gssm.dumps(gssm.loads(out.read_bytes())) == path.read_bytes()


def test_the_normal_form_numbers_every_element_once(v5):
    # S5 through the chain path: every one of the 120 permutations, listed
    # here, has its own id below 120, and unranking gives it back.
    m = gssm.load(v5("s5"))
    perms = list(itertools.permutations(range(5)))
    ids = m.perm.rank_many(np.asarray(perms))
    assert sorted(ids.tolist()) == list(range(120))
    assert m.perm.rank(tuple(range(5))) == 0
    for p, i in zip(perms, ids.tolist()):
        assert tuple(m.perm.unrank(i).tolist()) == p
    # Outside the group (another degree) nothing ranks.
    assert m.perm.rank((1, 0, 2, 3)) is None


def test_labels_are_cycle_notation(v5):
    m = gssm.load(v5("cube"))
    r = from_cycles(24, CUBE_GENS["R"])
    r2 = mul(r, r)
    assert r2 == from_cycles(24, [[13, 22], [19, 16], [14, 23], [21, 18], [15, 24], [20, 17]])
    i_r, i_r2 = m.perm.rank(r), m.perm.rank(r2)
    assert m.decode([i_r, i_r2, 0, gssm.UNDECODABLE]) == [
        "(13,19,22,16)(14,21,23,18)(15,20,24,17)",
        "(13,22)(14,23)(15,24)(16,19)(17,20)(18,21)",
        "()",
        "?",
    ]
    labels = m.output_labels
    assert labels.index("(13,22)(14,23)(15,24)(16,19)(17,20)(18,21)") == i_r2
    assert "(13,19,22,16)(14,21,23,18)(15,20,24,17)" in labels
    # Not an element (a single quarter-turn cycle), not canonical, not a label.
    assert "(13,19,22,16)" not in labels
    assert "(19,22,16,13)(14,21,23,18)(15,20,24,17)" not in labels
    assert "e" not in labels
    with pytest.raises(gssm.TokenError):
        m.decode([m.order])


def test_evaluate_and_multiply_multiply_permutations(v5):
    m = gssm.load(v5("s10"))
    c, t = s10_perms()
    ic, it = m.evaluate("c"), m.evaluate("t")
    assert (ic, it) == (m.perm.rank(c), m.perm.rank(t))
    assert m.evaluate("e") == 0 and m.evaluate("c^10") == 0 and m.evaluate("t^-1") == it
    assert m.evaluate("c*t") == m.perm.rank(mul(c, t)) == m.multiply(ic, it)
    assert m.evaluate("t*c") == m.perm.rank(mul(t, c)) != m.evaluate("c*t")
    assert m.evaluate("c^-3*t") == m.perm.rank(mul(inv(mul(mul(c, c), c)), t))
    with pytest.raises(gssm.TokenError, match="'x' is not a generator"):
        m.evaluate("x")
    with pytest.raises(gssm.TokenError):
        m.multiply(m.order, 0)


# -- execution -----------------------------------------------------------------


CASES = [("s10", s10_perms(), 10), ("cube", cube_perms(True), 24), ("s5", None, 5)]


@pytest.mark.parametrize("name,perms,n", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_outputs_are_running_products(v5, name, perms, n, dtype):
    m = gssm.load(v5(name))
    if perms is None:
        a, b = from_cycles(5, [[1, 2, 3, 4, 5]]), from_cycles(5, [[1, 2]])
        perms = [a, inv(a), b]
    x = np.random.default_rng(7).integers(0, m.num_tokens, size=(8, 300))
    y = m.run(x, dtype)
    want = products(x, perms, n)
    for b in range(x.shape[0]):
        got = [tuple(g) for g in m.perm.unrank_many(y[b]).tolist()]
        assert got == want[b], f"sequence {b}"
    np.testing.assert_array_equal(m.running_products(x), y)
    np.testing.assert_array_equal(m.truth(x), y)
    # One sequence as [T].
    np.testing.assert_array_equal(m.run(x[0], dtype), y[0])


def test_a_start_token_resets_the_product(v5):
    m = gssm.load(v5("cube-bos"))
    rng = np.random.default_rng(11)
    x = rng.integers(0, 3, size=(6, 200))
    x[:, 0] = m.bos
    x[rng.random(x.shape) < 0.05] = m.bos
    y = m.run(x)
    want = products(x, cube_perms(False) + [tuple(range(24))], 24, bos=m.bos)
    for b in range(x.shape[0]):
        assert [tuple(g) for g in m.perm.unrank_many(y[b]).tolist()] == want[b]
    np.testing.assert_array_equal(m.running_products(x), y)
    assert (y[x == m.bos] == 0).all()
    with pytest.raises(gssm.TokenError, match="start token"):
        m.run(x[:, 1:])


@pytest.mark.parametrize("name", ["s10", "cube", "cube-bos", "s5"])
def test_ids_and_labels_agree_with_gssm_run(v5, tmp_path, name):
    path = v5(name)
    m = gssm.load(path)
    x = np.random.default_rng(5).integers(0, m.num_tokens, size=(6, 40))
    if m.bos is not None:
        x[:, 0] = m.bos
    y = m.run(x)
    np.testing.assert_array_equal(cli_run(path, x, tmp_path), y)
    np.testing.assert_array_equal(cli_run(path, x, tmp_path, dtype="float64"), y)
    assert cli_labels(path, x, tmp_path) == m.decode(y)


def test_gssm_run_labels_for_the_cube(v5, tmp_path):
    m = gssm.load(v5("cube"))
    x = m.encode("R R R R U U^-1")
    assert m.decode(m.run(x)) == [
        "(13,19,22,16)(14,21,23,18)(15,20,24,17)",
        "(13,22)(14,23)(15,24)(16,19)(17,20)(18,21)",
        "(13,16,22,19)(14,18,23,21)(15,17,24,20)",
        "()",
        "(7,21,22,12)(8,20,23,11)(9,19,24,10)",
        "()",
    ]


def test_torch_module_runs_the_same(v5, tmp_path):
    torch = need_torch()
    for name in ("s10", "cube", "cube-bos"):
        path = v5(name)
        m = gssm.load(path)
        x = np.random.default_rng(3).integers(0, m.num_tokens, size=(5, 120))
        if m.bos is not None:
            x[:, 0] = m.bos
        y = m.run(x)
        for dt in (torch.float32, torch.float64):
            mod = gssm.GssmModule(m, dtype=dt)
            np.testing.assert_array_equal(mod(torch.as_tensor(x)).numpy(), y)
        out, states = mod.trajectory(torch.as_tensor(x[:2]))
        np.testing.assert_array_equal(out.numpy(), y[:2])
        assert states[0].shape == (2, 120, m.perm.degree)
        # A state that holds no arrangement of the points decodes to nothing.
        bad = torch.zeros((1, m.perm.degree), dtype=torch.float64)
        assert int(mod.decoder(bad)[0]) == gssm.UNDECODABLE
        # Untrained, the module exports the file's own bytes.
        out_path = tmp_path / f"{name}.torch.safetensors"
        gssm.save(gssm.GssmModule(m).export(), str(out_path))
        assert out_path.read_bytes() == path.read_bytes()


def test_numpy_decoder_refuses_non_arrangements(v5):
    from gssm.numpy_exec import RankDecoder

    m = gssm.load(v5("cube"))
    dec = RankDecoder(m.perm, m.action.points)
    pts = m.action.points.astype(np.float64)
    r = np.asarray(from_cycles(24, CUBE_GENS["R"]))
    swap = np.arange(24)
    swap[[0, 1]] = [1, 0]  # a transposition: no cube move
    x = np.zeros((4, 24))
    x[0] = pts  # the identity
    x[1, r] = pts  # coordinate j·R holds point j
    x[2, swap] = pts
    x[3] = pts[0]  # every coordinate nearest to one point
    assert dec.decode(x).tolist() == [0, m.perm.rank(r), gssm.UNDECODABLE, gssm.UNDECODABLE]


# -- the stabiliser chain --------------------------------------------------------


def test_schreier_sims_orders():
    c10 = np.asarray(s10_perms())
    assert Chain.generated(10, c10).order == math.factorial(10)
    cube = np.asarray(cube_perms(False))
    assert Chain.generated(24, cube).order == 3_674_160
    # AGL(1, 101): x -> x+1 and x -> 2x (2 is a primitive root mod 101).
    p = 101
    agl = np.asarray([[(x + 1) % p for x in range(p)], [(2 * x) % p for x in range(p)]])
    assert Chain.generated(p, agl).order == p * (p - 1)
    # A5 on 5 points; the trivial group.
    a5 = np.asarray([from_cycles(5, [[1, 2, 3, 4, 5]]), from_cycles(5, [[1, 2, 3]])])
    ch = Chain.generated(5, a5)
    assert ch.order == 60
    assert ch.contains_many(np.asarray([from_cycles(5, [[1, 2], [3, 4]]), from_cycles(5, [[1, 2]])])).tolist() == [True, False]
    assert Chain.generated(4, np.asarray([list(range(4))])).order == 1


@pytest.mark.parametrize("name", ["s10", "cube", "s5"])
def test_schreier_sims_is_the_rust_one(v5, name):
    # The same deterministic algorithm on the same generators: the chain the
    # loader rebuilds has the compiler's base and transversals, row for row.
    m = gssm.load(v5(name))
    ch = Chain.generated(m.perm.degree, list(m.perm.generators))
    assert ch.base == m.perm.base.tolist()
    assert len(ch.levels) == len(m.perm.levels)
    for level, reps in zip(ch.levels, m.perm.levels):
        np.testing.assert_array_equal(np.stack(level.reps), reps)


# -- corrupt files -------------------------------------------------------------


def _level_count(t) -> int:
    return int(t["perm.base"].shape[0])


def first_rep_not_identity(t, m):
    k = _level_count(t) - 1
    a = t[f"perm.level.{k}"].copy()
    a[0] = a[1]
    t[f"perm.level.{k}"] = a


def rep_moves_earlier_base_point(t, m):
    t["perm.level.1"] = np.concatenate([t["perm.level.1"], t["perm.level.0"][1:2]])


def rep_missing(t, m):
    t["perm.level.0"] = t["perm.level.0"][:-1].copy()


def level_of_one(t, m):
    k = _level_count(t)
    n = t["perm.tokens"].shape[1]
    free = next(x for x in range(n) if x not in t["perm.base"].tolist())
    t["perm.base"] = np.concatenate([t["perm.base"], np.asarray([free], np.int32)])
    t[f"perm.level.{k}"] = np.arange(n, dtype=np.int32)[None, :]


def repeated_base_image(t, m):
    t["perm.level.1"] = np.concatenate([t["perm.level.1"], t["perm.level.1"][1:2]])


def generators_of_a_smaller_group(t, m):
    a = t["perm.generators"].copy()
    a[0] = from_cycles(10, [[1, 2, 3]])
    t["perm.generators"] = a


def last_level_missing(t, m):
    # The levels describe 10!/2 elements; the generators generate more.
    k = _level_count(t) - 1
    t["perm.base"] = t["perm.base"][:-1].copy()
    del t[f"perm.level.{k}"]


def token_unlike_its_label(t, m):
    a = t["perm.tokens"].copy()
    a[1] = from_cycles(10, [[2, 3]])
    t["perm.tokens"] = a


def token_not_a_permutation(t, m):
    a = t["perm.tokens"].copy()
    a[0, 0] = 99
    t["perm.tokens"] = a


def repeated_base_point(t, m):
    b = t["perm.base"].copy()
    b[1] = b[0]
    t["perm.base"] = b


def base_point_out_of_range(t, m):
    b = t["perm.base"].copy()
    b[0] = 10
    t["perm.base"] = b


def set_field(key, value):
    def f(t, m):
        m[key] = value

    return f


def add_tensor(name, value):
    def f(t, m):
        t[name] = value

    return f


def drop_tensor(name):
    def f(t, m):
        del t[name]

    return f


S10_CASES = [
    ("first representative not the identity", first_rep_not_identity, gssm.InconsistentError, "row 0 is not the identity"),
    ("representative moves an earlier base point", rep_moves_earlier_base_point, gssm.InconsistentError, "moves base point"),
    ("representative missing", rep_missing, gssm.InconsistentError, "generate a group of order 3628800"),
    ("last level missing", last_level_missing, gssm.InconsistentError, "describe 1814400 elements, but `perm.generators` generate a group of order 3628800"),
    ("level of one representative", level_of_one, gssm.InconsistentError, "has 1 representatives (need 2..=10)"),
    ("repeated base image", repeated_base_image, gssm.InconsistentError, "where an earlier row does"),
    ("generators of a smaller group", generators_of_a_smaller_group, gssm.InconsistentError, "generate a group of order 6"),
    ("token unlike its label", token_unlike_its_label, gssm.InconsistentError, "manifest `tokens[1]` 't'"),
    ("token not a permutation", token_not_a_permutation, gssm.InconsistentError, "`perm.tokens` row 0 is not a permutation"),
    ("repeated base point", repeated_base_point, gssm.InconsistentError, "`perm.base` repeats point"),
    ("base point out of range", base_point_out_of_range, gssm.RangeError, "perm.base"),
    ("version 4", set_field("format_version", 4), gssm.InconsistentError, "format version 4 has no permutation groups without a table"),
    ("outputs listed", set_field("outputs", ["e"]), gssm.InconsistentError, "`outputs` must be empty"),
    ("deltaproduct target", set_field("target", "deltaproduct"), gssm.InconsistentError, "pd-ssm and aussm models only"),
    # aussm tracks such a group too, but with diagonal layers and a readout.
    ("aussm target", set_field("target", "aussm"), gssm.MissingTensorError, "readout"),
    ("rnn target", set_field("target", "rnn"), gssm.InconsistentError, "pd-ssm and aussm models only"),
    ("a Cayley table too", add_tensor("group.table", np.zeros((2, 2), np.int32)), gssm.ShapeError, "group.table"),
    ("action images", add_tensor("action.images", np.zeros((1, 10), np.int32)), gssm.UnexpectedTensorError, "action.images"),
    ("stray level", add_tensor("perm.level.99", np.zeros((2, 10), np.int32)), gssm.UnexpectedTensorError, "perm.level.99"),
    ("level missing", drop_tensor("perm.level.0"), gssm.MissingTensorError, "perm.level.0"),
    ("generators missing", drop_tensor("perm.generators"), gssm.MissingTensorError, "perm.generators"),
    ("fewer points than the degree", add_tensor("action.points", np.arange(1, 10, dtype=np.float32)), gssm.ShapeError, "pd."),
    ("I64 tokens", lambda t, m: t.update({"perm.tokens": t["perm.tokens"].astype(np.int64)}), gssm.DtypeError, "perm.tokens"),
    # Version 6 reads `perm.series.*` and is aussm only.
    ("version 6", set_field("format_version", 6), gssm.InconsistentError, "tracked by aussm models only, not pd-ssm"),
    ("future version", set_field("format_version", 8), gssm.VersionError, "version 8"),
]


def mutate(base: Path, tmp_path: Path, f) -> Path:
    t, m = read_raw(base)
    f(t, m)
    return write_raw(tmp_path / "bad.safetensors", t, m)


def refused(path: Path, exc, needle: str) -> None:
    with pytest.raises(exc) as info:
        gssm.load(path)
    assert type(info.value) is exc, f"{type(info.value).__name__}: {info.value}"
    assert needle in str(info.value), str(info.value)
    # The Rust loader refuses the same file.
    assert "not a valid gssm model" in cli_rejects(path)


def test_the_untouched_raw_file_loads(v5, tmp_path):
    p = mutate(v5("s10"), tmp_path, lambda t, m: None)
    assert gssm.load(p).order == math.factorial(10)


@pytest.mark.parametrize("what,f,exc,needle", S10_CASES, ids=[c[0] for c in S10_CASES])
def test_corrupt_s10_refused(v5, tmp_path, what, f, exc, needle):
    refused(mutate(v5("s10"), tmp_path, f), exc, needle)


def _cube_rep_not_in_group(t, m):
    # Last level, row 1 times a transposition of two points that are no base
    # point and not that row's image of its own: the structure checks pass,
    # and no cube move swaps two stickers.
    k = _level_count(t) - 1
    a = t[f"perm.level.{k}"].copy()
    base = t["perm.base"].tolist()
    b = base[-1]
    x, y = [p for p in range(24) if p not in base and p != a[1, b]][:2]
    sw = np.arange(24)
    sw[[x, y]] = [y, x]
    a[1] = sw[a[1]]
    t[f"perm.level.{k}"] = a


def _cube_token_not_in_group(t, m):
    a = t["perm.tokens"].copy()
    a[0] = from_cycles(24, [[1, 2]])
    t["perm.tokens"] = a


def _cube_bos_row_moves(t, m):
    a = t["perm.tokens"].copy()
    a[3] = a[0]
    t["perm.tokens"] = a


def _cube_generators_of_s24(t, m):
    # S24 has far more than 2^32 elements: the chain stops once it knows.
    a = t["perm.generators"].copy()
    a[0] = from_cycles(24, [list(range(1, 25))])
    a[1] = from_cycles(24, [[1, 2]])
    t["perm.generators"] = a


CUBE_CASES = [
    ("generators of a huge group", "cube", _cube_generators_of_s24, "generate a group of order at least"),
    ("representative not in the group", "cube", _cube_rep_not_in_group, "is not in the group `perm.generators` generate"),
    ("token not in the group", "cube", _cube_token_not_in_group, "`perm.tokens` row 0 is not in the group"),
    ("start token moves points", "cube-bos", _cube_bos_row_moves, "`perm.tokens` row 3 (the start token) must be the identity"),
]


@pytest.mark.parametrize("what,name,f,needle", CUBE_CASES, ids=[c[0] for c in CUBE_CASES])
def test_corrupt_cube_refused(v5, tmp_path, what, name, f, needle):
    refused(mutate(v5(name), tmp_path, f), gssm.InconsistentError, needle)


def test_version_4_files_stay_version_4(compiled, tmp_path):
    # A file with a Cayley table labelled version 5 is refused, as in Rust.
    refused(
        mutate(compiled("S3"), tmp_path, set_field("format_version", 5)),
        gssm.InconsistentError,
        "format version 5 files track a permutation group without a table",
    )


def test_limits(v5):
    path = v5("s10")
    with pytest.raises(gssm.LimitError, match="degree 10"):
        gssm.load(path, gssm.LoadLimits(max_cell=9))
    with pytest.raises(gssm.LimitError, match="point operations"):
        gssm.load(path, gssm.LoadLimits(max_chain_work=100))
    # The Cayley-table limit does not apply: nothing |G|-sized is stored.
    assert gssm.load(path, gssm.LoadLimits(max_order=2)).order == math.factorial(10)


def test_an_edited_model_is_validated_before_it_is_written(v5, tmp_path):
    m = gssm.load(v5("s10"))
    m.perm.levels[0] = m.perm.levels[0][:-1]
    with pytest.raises(gssm.InconsistentError, match="generate a group of order 3628800"):
        m.save(str(tmp_path / "x.safetensors"))
    assert not (tmp_path / "x.safetensors").exists()


# -- aussm files crafted here -----------------------------------------------------
#
# Version 5 aussm files are no longer written by the compiler (it writes
# version 6, `test_v6.py`), but they keep loading: the files below are made
# here, independently of the package, from a series G = G_0 ⊳ … ⊳ G_k = 1
# given by its sections (term i: moduli n_ij and sections s_ij, G_i the group
# the sections of terms i.. generate). π_i(y) is found by brute force (the c
# with y·σ_i(c)⁻¹ in G_{i+1}), the layers follow the construction (layer i
# tracks A_i, its tokens the elements of G_i; the cocycle hands layer i+1
# κ = σ(c)·x·σ(c')⁻¹), the normal form is a stabiliser chain enumerated
# here, and the floats are the Rust `values` module's (synth.stored_floats).
# The same builder writes version 6 files (the series itself, no readout).


def closure(gens: Sequence[Perm], n: int) -> List[Perm]:
    """The group the permutations generate, identity first, then sorted."""
    e = tuple(range(n))
    seen = {e}
    frontier = [e]
    while frontier:
        nxt = []
        for g in frontier:
            for s in gens:
                h = mul(g, s)
                if h not in seen:
                    seen.add(h)
                    nxt.append(h)
        frontier = nxt
    return [e] + sorted(seen - {e})


def power(p: Perm, e: int) -> Perm:
    out = tuple(range(len(p)))
    for _ in range(e):
        out = mul(out, p)
    return out


def sigma(sections: Sequence[Perm], c: Sequence[int]) -> Perm:
    """σ(c) = s_0^{c_0}·s_1^{c_1}·… (p·q applies p first)."""
    out = tuple(range(len(sections[0])))
    for s, x in zip(sections, c):
        out = mul(out, power(s, x))
    return out


def mixed_code(c: Sequence[int], moduli: Sequence[int]) -> int:
    """c_0 + n_0·(c_1 + n_1·(…))."""
    code = 0
    for x, n in zip(reversed(list(c)), reversed(list(moduli))):
        code = code * n + x
    return code


def mixed_digits(code: int, moduli: Sequence[int]) -> Tuple[int, ...]:
    out = []
    for n in moduli:
        out.append(code % n)
        code //= n
    return tuple(out)


def stabiliser_chain(group: Sequence[Perm], n: int) -> Tuple[List[int], List[List[Perm]]]:
    """A base and per level the coset representatives (identity first, then
    by the image of the base point, each the least permutation of its
    coset), enumerated from the elements."""
    base: List[int] = []
    levels: List[List[Perm]] = []
    h = list(group)
    while len(h) > 1:
        b = min(x for g in h for x in range(n) if g[x] != x)
        reps: Dict[int, Perm] = {}
        for g in sorted(h):
            reps.setdefault(g[b], g)
        reps[b] = tuple(range(n))
        base.append(b)
        levels.append([reps[b]] + [reps[x] for x in sorted(reps) if x != b])
        h = [g for g in h if g[b] == b]
    return base, levels


def normal_form_rank(base: Sequence[int], levels: Sequence[Sequence[Perm]], y: Perm) -> int:
    """The version 5 id: the sift's rows d_l, d_0 + m_0·(d_1 + …)."""
    out, stride = 0, 1
    for b, reps in zip(base, levels):
        d = next(i for i, u in enumerate(reps) if u[b] == y[b])
        y = mul(y, inv(reps[d]))
        out += d * stride
        stride *= len(reps)
    assert y == tuple(range(len(y)))
    return out


class Series:
    """A series given by its sections, with everything found by brute force:
    the groups G_i, π_i as a table, and y's spec numbering."""

    def __init__(self, n: int, terms: Sequence[Tuple[Sequence[int], Sequence[Perm]]]):
        self.n = n
        self.moduli = [list(m) for m, _ in terms]
        self.sections = [list(s) for _, s in terms]
        k = len(terms)
        self.groups = [closure([s for ss in self.sections[i:] for s in ss], n) for i in range(k)] + [[tuple(range(n))]]
        self.pi: List[Dict[Perm, Tuple[int, ...]]] = []
        for i in range(k):
            table: Dict[Perm, Tuple[int, ...]] = {}
            for c in itertools.product(*[range(m) for m in self.moduli[i]]):
                s = sigma(self.sections[i], c)
                for z in self.groups[i + 1]:
                    table[mul(z, s)] = c
            # G_{i+1}·σ(c) cover G_i once each, and π_i is a homomorphism.
            assert len(table) == len(self.groups[i]) == math.prod(self.moduli[i]) * len(self.groups[i + 1]), i
            assert set(table) == set(self.groups[i]), i
            gens = [s for ss in self.sections[i:] for s in ss]
            for x in self.groups[i]:
                for g in gens:
                    want = tuple((a + b) % m for a, b, m in zip(table[x], table[g], self.moduli[i]))
                    assert table[mul(x, g)] == want, i
            self.pi.append(table)

    @property
    def k(self) -> int:
        return len(self.moduli)

    @property
    def order(self) -> int:
        return len(self.groups[0])

    def rank(self, y: Perm) -> int:
        """The spec's id: c_i = π_i(y_i), y_{i+1} = y_i·σ_i(c_i)⁻¹."""
        out, stride = 0, 1
        for i in range(self.k):
            c = self.pi[i][y]
            out += mixed_code(c, self.moduli[i]) * stride
            stride *= math.prod(self.moduli[i])
            y = mul(y, inv(sigma(self.sections[i], c)))
        assert y == tuple(range(self.n))
        return out

    def unrank(self, id: int) -> Perm:
        cs = []
        for m in self.moduli:
            a = math.prod(m)
            cs.append(mixed_digits(id % a, m))
            id //= a
        y = tuple(range(self.n))
        for i in reversed(range(self.k)):
            y = mul(y, sigma(self.sections[i], cs[i]))
        return y


def craft_aussm(
    path: Path,
    name: str,
    gen_names: Sequence[str],
    gens: Sequence[Perm],
    tokens: Sequence[Tuple[str, Perm]],
    series: Series,
    bos: bool = False,
    version: int = 6,
    dtype: str = "float32",
) -> Path:
    """Write an aussm file for the series: version 6 (`perm.series.*`, the
    joint code is the id) or version 5 (`perm.base`, `perm.level.*` and a
    readout to the normal form's ids). The manifest is written as the
    writers write it, so saving the loaded model gives the same bytes."""
    import synth

    n = series.n
    assert set(closure(list(gens), n)) == set(series.groups[0])
    fdt = np.float32 if dtype == "float32" else np.float64
    i32 = lambda a: np.ascontiguousarray(np.asarray(a, np.int64).reshape(np.shape(a)), dtype="<i4")  # noqa: E731
    t: Dict[str, np.ndarray] = {
        "perm.generators": i32(np.asarray(gens, np.int64).reshape(len(gens), n)),
        "perm.tokens": i32([p for _, p in tokens] + ([tuple(range(n))] if bos else [])),
    }
    k = series.k
    layer_tokens = [[p for _, p in tokens]] + [series.groups[i] for i in range(1, k)]
    for i in range(k):
        moduli = series.moduli[i]
        w = len(moduli)
        toks = layer_tokens[i]
        code = np.asarray([series.pi[i][x] for x in toks], np.int64).reshape(len(toks), w)
        a_re, a_im, ph = synth.stored_floats(code, np.asarray(moduli), fdt)
        b_re, b_im = np.zeros((len(toks), w), fdt), np.zeros((len(toks), w), fdt)
        h0_re = np.ones(w, fdt)
        if bos:
            # The start token: a = 0 (code 0, phase 0), b = the initial state.
            code = np.concatenate([code, np.zeros((1, w), np.int64)])
            a_re, a_im, ph, b_im = (np.concatenate([x, np.zeros((1, w), fdt)]) for x in (a_re, a_im, ph, b_im))
            b_re = np.concatenate([b_re, np.ones((1, w), fdt)])
            h0_re = np.zeros(w, fdt)
        p = f"layer.{i}."
        t[p + "moduli"] = i32(moduli)
        t[p + "transition.code"] = i32(code)
        t[p + "transition.re"], t[p + "transition.im"], t[p + "transition.phase"] = a_re, a_im, ph
        t[p + "input.re"], t[p + "input.im"] = b_re, b_im
        t[p + "h0.re"], t[p + "h0.im"] = h0_re, np.zeros(w, fdt)
        if i + 1 < k:
            nxt = {x: j for j, x in enumerate(layer_tokens[i + 1])}
            codes = math.prod(moduli)
            coc = np.zeros((codes, len(toks) + bos), np.int64)
            for c_new in range(codes):
                cn = mixed_digits(c_new, moduli)
                for v, x in enumerate(toks):
                    c_old = tuple((a - b) % m for a, b, m in zip(cn, series.pi[i][x], moduli))
                    kappa = mul(mul(sigma(series.sections[i], c_old), x), inv(sigma(series.sections[i], cn)))
                    coc[c_new, v] = nxt[kappa]
                if bos:
                    coc[c_new, len(toks)] = len(layer_tokens[i + 1])
            t[p + "cocycle"] = i32(coc)
    if version == 6:
        for i in range(k):
            p = f"perm.series.{i}."
            base, levels = stabiliser_chain(series.groups[i], n)
            t[p + "moduli"] = i32(series.moduli[i])
            t[p + "sections"] = i32(series.sections[i])
            t[p + "base"] = i32(base)
            for l, reps in enumerate(levels):
                t[p + f"level.{l}"] = i32(reps)
                t[p + f"codes.{l}"] = i32([series.pi[i][u] for u in reps])
    else:
        base, levels = stabiliser_chain(series.groups[0], n)
        t["perm.base"] = i32(base)
        for l, reps in enumerate(levels):
            t[f"perm.level.{l}"] = i32(reps)
        # The joint code's element, numbered by the normal form.
        t["readout"] = i32([normal_form_rank(base, levels, series.unrank(j)) for j in range(series.order)])
    man: Dict[str, object] = {
        "format": gssm.FORMAT_NAME,
        "format_version": version,
        "compiler": "test",
        "group": {"name": name, "generators": list(gen_names)},
        "convention": gssm.CONVENTION,
        "target": "aussm",
        "dtype": dtype,
    }
    if bos:
        man["bos"] = len(tokens)
    man["tokens"] = [lab for lab, _ in tokens] + ([gssm.BOS_LABEL] if bos else [])
    man["outputs"] = []
    from safetensors.numpy import save

    text = json.dumps(man, separators=(",", ":"), ensure_ascii=False)
    path.write_bytes(save(t, metadata={"gssm": text}))
    return path


# AGL(1, p) on the points x + 1 of Z/p: the translation x -> x+1 and the
# multiplication x -> 3x (3 is a primitive root mod 31 and mod 13); the
# series AGL ⊳ translations ⊳ 1 has factors Z/(p-1) (section: the
# multiplication) and Z/p (the translation).


def agl1_cycles(p: int, g: int) -> List[List[List[int]]]:
    """AGL(1, p)'s two generators as 1-based cycles."""
    mult, x = [], 1
    for _ in range(p - 1):
        mult.append(x + 1)
        x = x * g % p
    assert x == 1
    return [[list(range(1, p + 1))], [mult]]


def wreath_cycles(p: int, k: int) -> List[List[List[int]]]:
    """C_p wr … wr C_p (k copies) on p^k points, as `wreath_generators`."""
    out = []
    for j in range(1, k + 1):
        h = p ** (j - 1)
        out.append([[i + m * h for m in range(p)] for i in range(1, h + 1)])
    return out


def perm_source(name: str, degree: int, gens: Sequence[Sequence[Sequence[int]]]) -> str:
    body = ", ".join("".join("(" + ",".join(map(str, c)) + ")" for c in g) for g in gens)
    return f"group {name} = perm({degree}) {{ {body} }}\n"


AGL_GENS = agl1_cycles(31, 3)


def agl_series(p: int, g: int) -> Series:
    t, mu = (from_cycles(p, cs) for cs in agl1_cycles(p, g))
    return Series(p, [([p - 1], [mu]), ([p], [t])])


def agl_perms() -> List[Perm]:
    """Token id -> permutation of the AGL file (generators+inverses)."""
    out = []
    for cs in AGL_GENS:
        p = from_cycles(31, cs)
        out += [p, inv(p)]
    return out


def agl_bos_perms() -> List[Perm]:
    """Token id -> permutation of the agl-bos file (generators, then the
    start token, the identity)."""
    return [from_cycles(31, cs) for cs in AGL_GENS] + [tuple(range(31))]


@pytest.fixture(scope="session")
def v5_aussm(tmp_path_factory):
    """v5_aussm(name) -> path: version 5 aussm files crafted here: agl
    (AGL(1, 31), generators+inverses) and agl-bos (generators, a start
    token)."""
    d = tmp_path_factory.mktemp("models_v5_aussm")
    cache: Dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in cache:
            gens = [from_cycles(31, cs) for cs in AGL_GENS]
            if name == "agl":
                toks = [("g1", gens[0]), ("g1^-1", inv(gens[0])), ("g2", gens[1]), ("g2^-1", inv(gens[1]))]
            else:
                toks = [("g1", gens[0]), ("g2", gens[1])]
            cache[name] = craft_aussm(
                d / f"{name}.safetensors", "AGL", ["g1", "g2"], gens, toks, agl_series(31, 3), bos=name == "agl-bos", version=5
            )
        return cache[name]

    return get


AUSSM = {
    # name: (order, degree, token labels, layer shapes (moduli, tokens), perms)
    "agl": (930, 31, ["g1", "g1^-1", "g2", "g2^-1"], [([30], 4), ([31], 31)], agl_perms),
    "agl-bos": (930, 31, ["g1", "g2", "<bos>"], [([30], 3), ([31], 32)], agl_bos_perms),
}


def aussm_sequences(m, size: Tuple[int, int], seed: int) -> np.ndarray:
    """Random token ids; with a start token every row begins with it and it
    recurs at random."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, m.num_tokens, size=size)
    if m.bos is not None:
        x[rng.random(size) < 0.05] = m.bos
        x[:, 0] = m.bos
    return x


def assert_running_products(m, x: np.ndarray, y: np.ndarray, perms: Sequence[Perm]) -> None:
    """Each output id unranks to the running product multiplied here."""
    want = products(x, perms, m.perm.degree, bos=-1 if m.bos is None else m.bos)
    for b in range(x.shape[0]):
        got = [tuple(g) for g in m.perm.unrank_many(y[b]).tolist()]
        assert got == want[b], f"sequence {b}"


@pytest.mark.parametrize("name", sorted(AUSSM))
def test_aussm_loads_with_the_exact_order(v5_aussm, name):
    order, degree, tokens, shapes, _ = AUSSM[name]
    m = gssm.load(v5_aussm(name))
    assert m.manifest.format_version == gssm.FORMAT_VERSION_PERM == 5
    assert isinstance(m.perm, gssm.PermTruth) and not m.outputs_joint_code
    assert m.target == "aussm" and m.is_diagonal
    assert m.order == m.perm.order == order
    assert m.perm.degree == degree
    assert m.group is None and m.group_table is None and m.token_elements is None
    assert m.action is None and m.pd is None and m.manifest.outputs == []
    assert m.token_labels == tokens
    assert m.bos == (2 if name == "agl-bos" else None)
    assert [(l.moduli.tolist(), l.num_tokens) for l in m.layers] == shapes
    # One readout entry per joint code: the layers' codes number G.
    assert m.readout.shape == (order,) and m.series_orders[0] == order
    assert sorted(m.readout.tolist()) == list(range(order))
    labels = m.output_labels
    assert len(labels) == order and labels[0] == "()"
    assert f"order {order}" in repr(m) and "target=aussm" in repr(m)
    # The Cayley-table limit does not bound the order: the readout's ids
    # run up to |G| - 1, past it.
    small = gssm.load(v5_aussm(name), gssm.LoadLimits(max_order=100))
    assert small.order == order and int(small.readout.max()) == order - 1


def test_aussm_readout_is_the_normal_form_of_the_joint_code(v5_aussm):
    # Joint code j is the element σ_1(c_1)·σ_0(c_0) of the series; the
    # readout gives its normal-form id, which unranks to it.
    m = gssm.load(v5_aussm("agl"))
    series = agl_series(31, 3)
    got = [tuple(g) for g in m.perm.unrank_many(m.readout).tolist()]
    assert got == [series.unrank(j) for j in range(930)]


@pytest.mark.parametrize("name", sorted(AUSSM))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_aussm_outputs_are_running_products(v5_aussm, name, dtype):
    m = gssm.load(v5_aussm(name))
    perms = AUSSM[name][4]()
    x = aussm_sequences(m, (6, 300), seed=13)
    y = m.run(x, dtype)
    assert_running_products(m, x, y, perms)
    np.testing.assert_array_equal(m.running_products(x), y)
    np.testing.assert_array_equal(m.truth(x), y)
    np.testing.assert_array_equal(m.run(x[0], dtype), y[0])
    if m.bos is not None:
        assert (y[x == m.bos] == 0).all()
        with pytest.raises(gssm.TokenError, match="start token"):
            m.run(x[:, 1:], dtype)


def test_aussm_evaluate_and_labels(v5_aussm):
    m = gssm.load(v5_aussm("agl"))
    t, mu = (from_cycles(31, cs) for cs in AGL_GENS)
    assert m.evaluate("g1") == m.perm.rank(t) and m.evaluate("g2^-1") == m.perm.rank(inv(mu))
    assert m.evaluate("g1*g2") == m.perm.rank(mul(t, mu)) == m.multiply(m.evaluate("g1"), m.evaluate("g2"))
    x = m.encode("g1 g1^-1 g2")
    assert m.decode(m.run(x)) == [
        "(" + ",".join(map(str, range(1, 32))) + ")",
        "()",
        "(" + ",".join(map(str, AGL_GENS[1][0])) + ")",
    ]


@pytest.mark.parametrize("name", sorted(AUSSM))
def test_aussm_ids_and_labels_agree_with_gssm_run(v5_aussm, tmp_path, name):
    # Version 5 aussm files keep loading in Rust too.
    agrees_with_gssm_run(v5_aussm(name), tmp_path)


def agrees_with_gssm_run(path: Path, tmp_path: Path) -> None:
    """An aussm file's ids and labels from Python equal `gssm run`'s (JIT in
    f32 and f64, and the reference executor) on random sequences."""
    m = gssm.load(path)
    x = aussm_sequences(m, (5, 40), seed=5)
    y = m.run(x)
    np.testing.assert_array_equal(cli_run(path, x, tmp_path), y)
    np.testing.assert_array_equal(cli_run(path, x, tmp_path, dtype="float64"), y)
    np.testing.assert_array_equal(cli_run(path, x, tmp_path, backend="reference"), y)
    assert cli_labels(path, x, tmp_path) == m.decode(y)


@pytest.mark.parametrize("name", sorted(AUSSM))
def test_aussm_save_gives_the_same_bytes(v5_aussm, tmp_path, name):
    path = v5_aussm(name)
    m = gssm.load(path)
    out = tmp_path / f"{name}.again.safetensors"
    m.save(str(out))
    assert out.read_bytes() == path.read_bytes()
    assert gssm.dumps(gssm.loads(out.read_bytes())) == path.read_bytes()


@pytest.mark.parametrize("name", sorted(AUSSM))
def test_aussm_torch_module_runs_the_same(v5_aussm, tmp_path, name):
    torch = need_torch()
    path = v5_aussm(name)
    m = gssm.load(path)
    perms = AUSSM[name][4]()
    x = aussm_sequences(m, (5, 200), seed=3)
    y = m.run(x)
    for dt in (torch.float32, torch.float64):
        mod = gssm.GssmModule(m, dtype=dt)
        got = mod(torch.as_tensor(x)).numpy()
        assert_running_products(m, x, got, perms)
        np.testing.assert_array_equal(got, y)
    names = [n for n, _ in mod.named_parameters()]
    assert "layers.0.theta" in names and mod.readout is not None
    out, states = mod.trajectory(torch.as_tensor(x[:2]))
    np.testing.assert_array_equal(out.numpy(), y[:2])
    assert [tuple(s.shape) for s in states] == [(2, 200, l.width) for l in m.layers]
    # Untrained, the module exports the file's own bytes.
    out_path = tmp_path / f"{name}.torch.safetensors"
    gssm.save(gssm.GssmModule(m).export(), str(out_path))
    assert out_path.read_bytes() == path.read_bytes()


def cli_verify_rejects(path: Path) -> str:
    """`gssm verify` on a file expected to be invalid; its stderr."""
    cmd = [str(gssm_bin()), "verify", str(path), "--length", "1", "--horizon-len", "0"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode != 0, f"gssm verify accepted {path}"
    return r.stderr


def _set_readout(value: int):
    def f(t, m):
        a = t["readout"].copy()
        a[7] = value
        t["readout"] = a

    return f


def _reset_code(t, m):
    # Code n of a phase of modulus n resets (version 4): not in a group's
    # layers.
    a = t["layer.1.transition.code"].copy()
    a[0, 0] = t["layer.1.moduli"][0]
    t["layer.1.transition.code"] = a


def _cocycle_out_of_range(t, m):
    a = t["layer.0.cocycle"].copy()
    a[0, 0] = t["layer.1.transition.code"].shape[0]
    t["layer.0.cocycle"] = a


def _bos_row_rotates(t, m):
    a = t["layer.0.transition.code"].copy()
    a[-1, 0] = 1
    t["layer.0.transition.code"] = a


def _tokens_swapped(t, m):
    # g1 and g1^-1 trade permutations: each label now names the other.
    t["perm.tokens"] = t["perm.tokens"][[1, 0, 2, 3]].copy()


def _bos_token_moves_points(t, m):
    a = t["perm.tokens"].copy()
    a[2] = a[1]
    t["perm.tokens"] = a


AUSSM_CASES = [
    ("readout entry = the order", "agl", _set_readout(930), gssm.RangeError, "tensor `readout` entry 7 is 930, outside 0..930"),
    ("readout entry far past the order", "agl", _set_readout(1 << 30), gssm.RangeError, "outside 0..930"),
    ("readout entry negative", "agl", _set_readout(-1), gssm.RangeError, "readout"),
    ("bos readout entry = the order", "agl-bos", _set_readout(930), gssm.RangeError, "outside 0..930"),
    ("reset in a group layer", "agl", _reset_code, gssm.InconsistentError, "layers only rotate"),
    ("cocycle entry", "agl", _cocycle_out_of_range, gssm.RangeError, "layer.0.cocycle"),
    ("readout missing", "agl", drop_tensor("readout"), gssm.MissingTensorError, "readout"),
    ("phase missing", "agl", drop_tensor("layer.1.transition.phase"), gssm.MissingTensorError, "layer.1.transition.phase"),
    ("neg-mamba target", "agl", set_field("target", "neg-mamba"), gssm.InconsistentError, "pd-ssm and aussm models only"),
    ("outputs listed", "agl", set_field("outputs", ["e"]), gssm.InconsistentError, "`outputs` must be empty"),
    ("version 4", "agl", set_field("format_version", 4), gssm.InconsistentError, "format version 4 has no permutation groups"),
    # Version 6 numbers along a series: a chain is no part of it.
    ("version 6", "agl", set_field("format_version", 6), gssm.UnexpectedTensorError, "perm.base"),
    ("action points", "agl", add_tensor("action.points", np.arange(31, dtype=np.float32)), gssm.UnexpectedTensorError, "action.points"),
    ("token unlike its label", "agl", _tokens_swapped, gssm.InconsistentError, "manifest `tokens[0]` 'g1'"),
    ("start token rotates", "agl-bos", _bos_row_rotates, gssm.InconsistentError, "start token"),
    ("start token moves points", "agl-bos", _bos_token_moves_points, gssm.InconsistentError, "`perm.tokens` row 2 (the start token) must be the identity"),
]


@pytest.mark.parametrize("what,name,f,exc,needle", AUSSM_CASES, ids=[c[0] for c in AUSSM_CASES])
def test_corrupt_aussm_refused(v5_aussm, tmp_path, what, name, f, exc, needle):
    bad = mutate(v5_aussm(name), tmp_path, f)
    refused(bad, exc, needle)  # Python, then `gssm run`
    assert "not a valid gssm model" in cli_verify_rejects(bad)


def test_aussm_readout_below_the_order_loads(v5_aussm, tmp_path):
    # The bound is |G| itself: the largest id is a valid (if wrong) entry,
    # which only `gssm verify`'s proof can catch.
    bad = mutate(v5_aussm("agl"), tmp_path, _set_readout(929))
    m = gssm.load(bad)
    assert int(m.readout[7]) == 929


def test_an_edited_aussm_model_is_validated_before_it_is_written(v5_aussm, tmp_path):
    m = gssm.load(v5_aussm("agl"))
    m.readout = m.readout.copy()
    m.readout[0] = m.order
    with pytest.raises(gssm.RangeError, match="readout"):
        m.save(str(tmp_path / "x.safetensors"))
    assert not (tmp_path / "x.safetensors").exists()


def test_a_version_4_group_layer_that_resets_is_refused(compiled, tmp_path):
    # The rule the aussm files above are held to is every group model's,
    # as in Rust: a reset code (n <= c < 2n) is an automaton's.
    def reset(t, m):
        a = t["layer.1.transition.code"].copy()
        a[0, 0] = t["layer.1.moduli"][0]
        t["layer.1.transition.code"] = a

    refused(mutate(compiled("S3"), tmp_path, reset), gssm.InconsistentError, "layers only rotate")
