"""Format version 4: automaton models. Files compiled by `gssm compile` load,
write back byte for byte, and the NumPy executor, the PyTorch module and
`gssm run` output the automaton's own run, computed here from the
transition tables written below (never from the file). Models built here
by hand exercise registers, resets and initial states other than 1
without the compiler; corrupt files are refused by Python and Rust alike."""

from __future__ import annotations

import dataclasses
import itertools
import subprocess
from pathlib import Path
from typing import Dict, List, Sequence

import numpy as np
import pytest
from conftest import cli_rejects, cli_run, gssm_bin, need_native, need_torch
from test_loader import add, drop, mutate, read_raw, set_entry, set_field, write_raw

import gssm
from gssm.format import AutomatonInfo, AutomatonTruth, Layer, Manifest


@dataclasses.dataclass(frozen=True)
class Case:
    """An automaton as source text and, written out separately, its table."""

    name: str
    source: str
    states: List[str]
    start: str
    accept: List[str]
    #: symbol -> {state: next state}, symbols in source order.
    delta: Dict[str, Dict[str, str]]

    @property
    def symbols(self) -> List[str]:
        return list(self.delta)


FLIP_FLOP = Case(
    "FlipFlop",
    """automaton FlipFlop {
    states q0, q1;
    start q0;
    accept q1;
    symbol w0: * -> q0;
    symbol w1: * -> q1;
    symbol i: id;
}
""",
    ["q0", "q1"],
    "q0",
    ["q1"],
    {
        "w0": {"q0": "q0", "q1": "q0"},
        "w1": {"q0": "q1", "q1": "q1"},
        "i": {"q0": "q0", "q1": "q1"},
    },
)

# The minimal DFA of (ab)*: s accepting, t after an a, z the dead state.
AB_STAR = Case(
    "ABStar",
    """automaton ABStar {
    states s, t, z; start s; accept s;
    symbol a: s -> t, * -> z;
    symbol b: t -> s, * -> z;
}
""",
    ["s", "t", "z"],
    "s",
    ["s"],
    {
        "a": {"s": "t", "t": "z", "z": "z"},
        "b": {"s": "z", "t": "s", "z": "z"},
    },
)

COUNTER3 = Case(
    "Counter3",
    """automaton Counter3 { states q0, q1, q2; start q0; accept q0;
    symbol inc: (q0, q1, q2); symbol reset: * -> q0; }
""",
    ["q0", "q1", "q2"],
    "q0",
    ["q0"],
    {
        "inc": {"q0": "q1", "q1": "q2", "q2": "q0"},
        "reset": {"q0": "q0", "q1": "q0", "q2": "q0"},
    },
)

PARITY = Case(
    "Parity",
    "automaton Parity { states e, o; start e; accept e; symbol a: (e, o); symbol b: id }\n",
    ["e", "o"],
    "e",
    ["e"],
    {"a": {"e": "o", "o": "e"}, "b": {"e": "e", "o": "o"}},
)

CASES = {c.name: c for c in (FLIP_FLOP, AB_STAR, COUNTER3, PARITY)}

# (automaton, target, dtype): the brief's pairs, plus other diagonal targets
# and float64.
COMPILED = [
    ("FlipFlop", "mamba", "float32"),
    ("ABStar", "mamba", "float32"),
    ("Counter3", "aussm", "float32"),
    ("Parity", "neg-mamba", "float32"),
    ("FlipFlop", "gla", "float32"),
    ("ABStar", "aussm", "float32"),
    ("Counter3", "aussm", "float64"),
]
IDS = [f"{a}-{t}-{d}" for a, t, d in COMPILED]


def source_file(case: Case, directory: Path) -> Path:
    p = directory / f"{case.name}.gssm"
    if not p.exists():
        p.write_text(case.source, encoding="utf-8")
    return p


def compile_automaton(case: Case, target: str, dtype: str, directory: Path) -> Path:
    """`gssm compile FILE -g NAME --target T [--dtype f64] -o OUT`."""
    out = directory / f"{case.name}.{target}.{dtype}.safetensors"
    cmd = [str(gssm_bin()), "compile", str(source_file(case, directory)), "-g", case.name, "--target", target]
    cmd += ["-o", str(out)]
    if dtype == "float64":
        cmd += ["--dtype", "f64"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr}")
    return out


@pytest.fixture(scope="module")
def automaton_file(tmp_path_factory):
    """automaton_file(name, target, dtype="float32") -> path, compiled once."""
    d = tmp_path_factory.mktemp("automata")
    cache: Dict[tuple, Path] = {}

    def get(name: str, target: str, dtype: str = "float32") -> Path:
        key = (name, target, dtype)
        if key not in cache:
            cache[key] = compile_automaton(CASES[name], target, dtype, d)
        return cache[key]

    return get


def run_of(case: Case, token_labels: Sequence[str], output_labels: Sequence[str], x: np.ndarray) -> np.ndarray:
    """The automaton's run on token ids x [B, T], from the table above, as
    ids of the model's outputs (matched by label)."""
    out_id = {s: i for i, s in enumerate(output_labels)}
    y = np.empty(x.shape, np.int64)
    for b in range(x.shape[0]):
        q = case.start
        for t in range(x.shape[1]):
            q = case.delta[token_labels[x[b, t]]][q]
            y[b, t] = out_id[q]
    return y


def all_words(num_tokens: int, length: int) -> np.ndarray:
    """Every word of exactly `length` tokens: their prefixes are all the
    shorter words, so one run covers every word up to `length`."""
    return np.asarray(list(itertools.product(range(num_tokens), repeat=length)), np.int64).reshape(-1, length)


def random_words(num_tokens: int, seed: int, size=(200, 300)) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, num_tokens, size=size)


# ---------------------------------------------------------------- compiled


@pytest.mark.parametrize("name,target,dtype", COMPILED, ids=IDS)
def test_compiled_automaton_loads_and_rewrites(automaton_file, name, target, dtype):
    case = CASES[name]
    path = automaton_file(name, target, dtype)
    m = gssm.load(path)
    man = m.manifest
    assert (man.format_version, man.target, man.dtype) == (4, target, dtype)
    assert man.group is None and man.automaton == AutomatonInfo(name) and man.name == name
    assert man.bos is None and m.bos is None
    assert m.group is None and m.group_table is None and m.tracks == "automaton"
    assert m.is_diagonal and m.readout is not None
    assert m.token_labels == case.symbols and m.output_labels == case.states
    assert m.order == m.num_states == len(case.states) and m.num_tokens == len(case.symbols)
    # The file carries the source's table.
    aut = m.automaton
    for v, sym in enumerate(case.symbols):
        for q, st in enumerate(case.states):
            assert case.states[aut.next(q, v)] == case.delta[sym][st]
    assert case.states[aut.start] == case.start
    assert [case.states[q] for q in range(m.order) if aut.accepts(q)] == case.accept
    assert gssm.dumps(m) == path.read_bytes()
    assert name in repr(m) and "states" in repr(m)
    for l in m.layers:
        if target in ("mamba", "gla"):
            # No rotations: a phase keeps (code 0) or resets (n ≤ c < 2n).
            tc, n = l.transition_code, l.moduli[None, :]
            assert ((tc == 0) | (tc >= n) | l.registers[None, :]).all()


def test_compiled_automata_use_resets_and_registers(automaton_file):
    """The compiled files exercise what version 4 adds: resets, registers
    and rotations next to resets."""
    kinds = set()
    for name, target, dtype in COMPILED:
        m = gssm.load(automaton_file(name, target, dtype))
        for l in m.layers:
            ph = ~l.registers[None, :]
            tc = l.transition_code
            if (ph & (tc >= l.moduli[None, :])).any():
                kinds.add("reset")
            if (ph & (tc > 0) & (tc < l.moduli[None, :])).any():
                kinds.add("rotation")
            if l.registers.any():
                kinds.add("register")
                # Registers start from a value of their own, not 1.
                assert (l.h0_re[l.registers] != 1).all()
    assert {"reset", "rotation", "register"} <= kinds, kinds


@pytest.mark.parametrize("name,target,dtype", COMPILED, ids=IDS)
def test_executors_follow_the_automaton(automaton_file, tmp_path, name, target, dtype):
    case = CASES[name]
    path = automaton_file(name, target, dtype)
    m = gssm.load(path)
    torch = need_torch()
    mod = gssm.GssmModule(m)
    for x in (random_words(m.num_tokens, seed=len(name) + len(target)), all_words(m.num_tokens, 8)):
        want = run_of(case, m.token_labels, m.output_labels, x)
        np.testing.assert_array_equal(m.truth(x), want)
        np.testing.assert_array_equal(m.running_states(x), want)
        np.testing.assert_array_equal(m.run(x), want)
        other = "float64" if dtype == "float32" else "float32"
        np.testing.assert_array_equal(m.run(x, other), want)
        np.testing.assert_array_equal(mod(torch.as_tensor(x)).numpy(), want)
    x = random_words(m.num_tokens, seed=3, size=(50, 200))
    want = run_of(case, m.token_labels, m.output_labels, x)
    np.testing.assert_array_equal(cli_run(path, x, tmp_path, backend="reference"), want)
    np.testing.assert_array_equal(gssm.GssmModule(m, dtype=torch.float64)(torch.as_tensor(x)).numpy(), want)
    acc = np.isin(np.asarray(m.output_labels, object)[want], case.accept)
    np.testing.assert_array_equal(m.accepts(x), acc)
    # One sequence as [T]; the empty batch.
    np.testing.assert_array_equal(m.run(x[0]), want[0])
    assert m.run(np.zeros((2, 0), np.int64)).shape == (2, 0)


@pytest.mark.parametrize("name,target", [("Counter3", "aussm"), ("FlipFlop", "mamba")])
def test_torch_trajectory_and_export(automaton_file, name, target):
    torch = need_torch()
    path = automaton_file(name, target)
    m = gssm.load(path)
    mod = gssm.GssmModule(m)
    x = torch.as_tensor(random_words(m.num_tokens, seed=5, size=(4, 30)))
    out, states = mod.trajectory(x)
    assert len(states) == len(m.layers) and all(s.shape[:2] == (4, 30) for s in states)
    ref = gssm.states(m, x.numpy())
    for s, r in zip(states, ref):
        np.testing.assert_array_equal(s.detach().numpy(), r)
    np.testing.assert_array_equal(out.numpy(), m.truth(x.numpy()))
    # Untrained, the module writes the file's own values back.
    assert gssm.dumps(mod.export()) == path.read_bytes()


def test_group_only_api_refuses_automata(automaton_file, tmp_path):
    m = gssm.load(automaton_file("Counter3", "aussm"))
    x = np.zeros((1, 3), np.int64)
    for call in (
        lambda: m.running_products(x),
        lambda: m.multiply(0, 1),
        lambda: m.evaluate("q0"),
        lambda: m.series_orders,
        lambda: m.generator_names,
        lambda: m.layers[0].invariant_factors,
    ):
        with pytest.raises(ValueError, match="automaton|registers or resets"):
            call()
    from gssm import export

    with pytest.raises(ValueError, match="automaton Counter3"):
        export.torch_rnn_tensors(m)
    with pytest.raises(ValueError, match="automaton Counter3"):
        export.write_torch_rnn(m, tmp_path / "rnn")
    with pytest.raises(ValueError, match="automaton Counter3"):
        export.fla_gated_deltaproduct(m)
    # And the other way round: a group model has no automaton.
    import synth

    s3 = synth.s3()
    with pytest.raises(ValueError, match="for automaton models, but this model tracks the group S3"):
        s3.running_states(x)
    with pytest.raises(ValueError, match="automaton models"):
        s3.num_states


# ---------------------------------------------------------------- by hand


def _manifest(name: str, target: str, tokens: List[str], outputs: List[str], version: int = 4) -> Manifest:
    return Manifest(
        format=gssm.FORMAT_NAME,
        format_version=version,
        compiler="gssm test",
        group=None,
        convention=gssm.CONVENTION,
        target=target,
        dtype="float32",
        tokens=tokens,
        outputs=outputs,
        automaton=AutomatonInfo(name),
    )


def _layer(moduli, coords, codes, a, b, h0, target: str) -> Layer:
    """A layer from exact values (0, ±1, 1/4, 4: the same in every dtype)."""
    f = lambda x: np.asarray(x, np.float32)  # noqa: E731
    shape = np.shape(codes)
    a, b = np.asarray(a, complex).reshape(shape), np.asarray(b, complex).reshape(shape)
    h0 = np.asarray(h0, complex).reshape(len(moduli))
    return Layer(
        moduli=np.asarray(moduli, np.int64),
        transition_code=np.asarray(codes, np.int64),
        a_re=f(a.real),
        a_im=f(a.imag),
        b_re=f(b.real),
        b_im=f(b.imag),
        h0_re=f(np.real(h0)),
        h0_im=f(np.imag(h0)),
        cocycle=None,
        phase=np.zeros(np.shape(codes), np.float32) if target == "aussm" else None,
        coords=None if coords is None else np.asarray(coords, np.int64),
    )


def hand_models() -> Dict[str, gssm.Model]:
    """FlipFlop as one register (mamba) and as one resetting phase (gla);
    Parity from the odd state (neg-mamba, h0 = −1)."""
    ff = FLIP_FLOP
    ff_delta = np.asarray([[0, 0], [1, 1], [0, 1]], np.int64)  # w0, w1, i
    reg = _layer([4], [1], [[1], [2], [0]], [0.25, 0.25, 1], [0, 4, 0], [0], "mamba")
    # Digit 2·cur + prev; the state is cur.
    register = gssm.Model(
        manifest=_manifest("FlipFlop", "mamba", ff.symbols, ff.states),
        layers=[reg],
        readout=np.asarray([0, 0, 1, 1], np.int64),
        automaton=AutomatonTruth(ff_delta, 0, np.asarray([0, 1], np.int64)),
    )
    ph = _layer([2], None, [[2], [3], [0]], [0, 0, 1], [1, -1, 0], [1], "gla")
    reset = gssm.Model(
        manifest=_manifest("FlipFlop", "gla", ff.symbols, ff.states),
        layers=[ph],
        readout=np.asarray([0, 1], np.int64),
        automaton=AutomatonTruth(ff_delta, 0, np.asarray([0, 1], np.int64)),
    )
    par = _layer([2], [0], [[1], [0]], [-1, 1], [0, 0], [-1], "neg-mamba")
    parity = gssm.Model(
        manifest=_manifest("Parity", "neg-mamba", PARITY.symbols, PARITY.states),
        layers=[par],
        readout=np.asarray([0, 1], np.int64),
        automaton=AutomatonTruth(np.asarray([[1, 0], [0, 1]], np.int64), 1, np.asarray([1, 0], np.int64)),
    )
    return {"register": register, "reset": reset, "parity-from-o": parity}


@pytest.mark.parametrize("kind", ["register", "reset", "parity-from-o"])
def test_hand_built_automaton_models(tmp_path, kind):
    m = hand_models()[kind]
    case = PARITY if kind.startswith("parity") else FLIP_FLOP
    if kind.startswith("parity"):
        case = dataclasses.replace(case, start="o")
    p = tmp_path / f"{kind}.safetensors"
    m.save(str(p))
    again = gssm.load(p)
    assert gssm.dumps(again) == p.read_bytes()
    assert (again.layers[0].coords is None) == (m.layers[0].coords is None)
    x = np.concatenate([all_words(again.num_tokens, 8), random_words(again.num_tokens, 1, (8, 8))])
    want = run_of(case, again.token_labels, again.output_labels, x)
    np.testing.assert_array_equal(again.truth(x), want)
    np.testing.assert_array_equal(again.run(x), want)
    np.testing.assert_array_equal(cli_run(p, x, tmp_path, backend="reference"), want)
    torch = need_torch()
    np.testing.assert_array_equal(gssm.GssmModule(again)(torch.as_tensor(x)).numpy(), want)


def test_register_thresholds():
    from gssm.numpy_exec import register_digits

    re = np.asarray([0.0, 0.5, 0.74, 0.75, 1.0, 2.49, 2.5, 4.0, 4.74, 4.75, 5.0, 5.5, np.nan])
    assert register_digits(re).tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 0]
    assert register_digits(re.astype(np.float32)).tolist() == register_digits(re).tolist()


# ---------------------------------------------------------------- corrupt


def first_register(t) -> tuple:
    """(layer, component) of the first register of a file's tensors."""
    for name in sorted(t):
        if name.endswith(".coords"):
            js = np.flatnonzero(t[name] == 1)
            if js.size:
                return int(name.split(".")[1]), int(js[0])
    raise AssertionError("no register in the file")


def register_with_modulus_2(t, m):
    """The one register of a one-layer file given modulus 2 (the readout
    cut to 2 codes, so that only the modulus is wrong)."""
    assert t["layer.0.coords"].tolist() == [1] and "layer.1.moduli" not in t
    t["layer.0.moduli"] = np.asarray([2], np.int32)
    t["readout"] = t["readout"][:2].copy()


def phase_made_register(t, m):
    """Layer 0's phase components (modulus 3 in Counter3) marked as
    registers: the sizes stay consistent, only the modulus is wrong."""
    t["layer.0.coords"] = np.ones(t["layer.0.moduli"].shape, np.int32)


def coords_id_2(t, m):
    mod = t["layer.0.moduli"]
    coords = t.get("layer.0.coords", np.zeros(mod.shape, np.int32)).copy()
    coords[0] = 2
    t["layer.0.coords"] = coords


def reset_phase(t, m):
    """The flip-flop's register as a modulus-2 phase: w0, w1 reset to digits
    0 and 1, i keeps (valid on mamba and gla: nothing rotates)."""
    assert t["layer.0.coords"].tolist() == [1] and t["layer.0.transition.code"].shape == (3, 1)
    t["layer.0.coords"] = np.asarray([0], np.int32)
    t["layer.0.moduli"] = np.asarray([2], np.int32)
    t["layer.0.transition.code"] = np.asarray([[2], [3], [0]], np.int32)
    t["readout"] = t["readout"][:2].copy()


def rotation_on_mamba(t, m):
    """As reset_phase, but i rotates by code 1, which mamba and gla cannot."""
    reset_phase(t, m)
    t["layer.0.transition.code"] = np.asarray([[2], [3], [1]], np.int32)


def register_code_3(t, m):
    i, j = first_register(t)
    tc = t[f"layer.{i}.transition.code"].copy()
    tc[0, j] = 3
    t[f"layer.{i}.transition.code"] = tc


def phase_code_2n(t, m):
    mod = t["layer.0.moduli"]
    tc = t["layer.0.transition.code"].copy()
    tc[0, 0] = 2 * mod[0]
    t["layer.0.transition.code"] = tc


def both_group_and_automaton(t, m):
    m["group"] = {"name": "G", "generators": ["a"]}


def group_instead(t, m):
    # The manifest says group; the tensors are an automaton's.
    m["group"] = {"name": m.pop("automaton")["name"], "generators": []}


def bos_on_automaton(t, m):
    m["bos"] = len(m["tokens"]) - 1


def retarget_s4d(t, m):
    m["target"] = "s4d"
    for name in [n for n in t if n.endswith(".transition.phase")]:
        del t[name]


E = gssm
# (automaton, target, what, mutation, exception, message)
CORRUPT = [
    ("FlipFlop", "mamba", "register modulus 2", register_with_modulus_2, E.InconsistentError, "a register component has modulus 4"),
    ("Counter3", "aussm", "register modulus 3", phase_made_register, E.InconsistentError, "a register component has modulus 4"),
    ("FlipFlop", "mamba", "coords id 2", coords_id_2, E.RangeError, "layer.0.coords"),
    ("Counter3", "aussm", "coords id 2", coords_id_2, E.RangeError, "layer.0.coords"),
    ("ABStar", "mamba", "delta out of range", set_entry("automaton.delta", (0, 0), 3), E.RangeError, "automaton.delta"),
    ("ABStar", "mamba", "delta negative", set_entry("automaton.delta", (1, 2), -1), E.RangeError, "automaton.delta"),
    ("ABStar", "mamba", "start out of range", set_entry("automaton.start", (0,), 3), E.RangeError, "automaton.start"),
    ("ABStar", "mamba", "accept not 0/1", set_entry("automaton.accept", (1,), 2), E.RangeError, "automaton.accept"),
    ("ABStar", "mamba", "delta wrong shape", lambda t, m: t.update({"automaton.delta": t["automaton.delta"][:1].copy()}), E.ShapeError, "automaton.delta"),
    ("FlipFlop", "mamba", "automaton in version 3", set_field("format_version", 3), E.ManifestError, "needs format version 4"),
    ("Counter3", "aussm", "automaton in version 2", set_field("format_version", 2), E.ManifestError, "needs format version 4"),
    ("FlipFlop", "mamba", "group and automaton", both_group_and_automaton, E.ManifestError, "exactly one of `group` and `automaton`"),
    ("FlipFlop", "mamba", "neither", lambda t, m: m.pop("automaton"), E.ManifestError, "exactly one of `group` and `automaton`"),
    ("FlipFlop", "mamba", "group manifest, automaton tensors", group_instead, E.MissingTensorError, "group.table"),
    ("FlipFlop", "mamba", "unknown automaton field", lambda t, m: m["automaton"].update(states=2), E.ManifestError, "unknown field `states`"),
    ("FlipFlop", "mamba", "group tensor left over", add("group.table", np.zeros((2, 2), np.int32)), E.UnexpectedTensorError, "group.table"),
    ("FlipFlop", "mamba", "missing accept", drop("automaton.accept"), E.MissingTensorError, "automaton.accept"),
    ("FlipFlop", "mamba", "rotation on mamba", rotation_on_mamba, E.InconsistentError, "only keeps and resets"),
    ("FlipFlop", "gla", "rotation on gla", rotation_on_mamba, E.InconsistentError, "only keeps and resets"),
    ("FlipFlop", "mamba", "register code 3", register_code_3, E.RangeError, "transition.code"),
    ("Counter3", "aussm", "phase code 2n", phase_code_2n, E.RangeError, "transition.code"),
    ("FlipFlop", "mamba", "start token", bos_on_automaton, E.InconsistentError, "no start token"),
    ("FlipFlop", "mamba", "state names repeated", lambda t, m: m["outputs"].__setitem__(1, "q0"), E.InconsistentError, "repeats the label"),
    ("FlipFlop", "mamba", "state name with a space", lambda t, m: m["outputs"].__setitem__(1, "q 1"), E.InconsistentError, "spaces"),
    ("FlipFlop", "mamba", "empty symbol name", lambda t, m: m["tokens"].__setitem__(2, ""), E.InconsistentError, "empty"),
    ("Counter3", "aussm", "layers on s4d", retarget_s4d, E.InconsistentError, "has no layers"),
]


@pytest.mark.parametrize("name,target,what,f,exc,needle", CORRUPT, ids=[f"{c[0]}-{c[1]}:{c[2]}" for c in CORRUPT])
def test_corrupt_automaton_file_rejected(automaton_file, tmp_path, name, target, what, f, exc, needle):
    bad = mutate(automaton_file(name, target), tmp_path, f)
    with pytest.raises(exc) as info:
        gssm.load(bad)
    assert isinstance(info.value, gssm.FormatError)
    assert needle in str(info.value), str(info.value)
    assert str(bad) in str(info.value)
    # The Rust loader rejects the same file.
    assert "not a valid gssm model" in cli_rejects(bad)


def test_untouched_automaton_file_loads(automaton_file, tmp_path):
    t, m = read_raw(automaton_file("FlipFlop", "mamba"))
    p = write_raw(tmp_path / "same.safetensors", t, m)
    a = gssm.load(p)
    x = random_words(a.num_tokens, 9, (10, 40))
    np.testing.assert_array_equal(a.run(x), a.truth(x))
    np.testing.assert_array_equal(cli_run(p, x, tmp_path, backend="reference"), a.truth(x))


def _cyclic4_with(tmp_path: Path, version: int, register: bool) -> Path:
    """C4 (aussm, one component of modulus 4) as a version 2 or 3 file with
    its component made a register (codes clipped to a register's 0..2) or
    with a reset code (4: reset to digit 0). Written raw: Python's writer
    validates and would refuse it."""
    import synth

    good = tmp_path / "c4.safetensors"
    synth.cyclic(4).save(str(good))
    t, man = read_raw(good)
    tc = t["layer.0.transition.code"].copy()
    if register:
        t["layer.0.coords"] = np.asarray([1], np.int32)
        tc = np.minimum(tc, 2)
    else:
        tc[1, 0] = 4
    t["layer.0.transition.code"] = tc
    man["format_version"] = version
    return write_raw(tmp_path / f"c4-v{version}.safetensors", t, man)


@pytest.mark.parametrize("version", [2, 3])
@pytest.mark.parametrize("register", [False, True], ids=["reset", "register"])
def test_older_versions_have_neither_registers_nor_resets(tmp_path, version, register):
    bad = _cyclic4_with(tmp_path, version, register)
    with pytest.raises(gssm.InconsistentError, match=f"format version {version} has neither registers nor resets"):
        gssm.load(bad)
    assert "not a valid gssm model" in cli_rejects(bad)


def test_python_refuses_to_write_an_automaton_as_version_3(tmp_path):
    m = hand_models()["register"]
    m.manifest = dataclasses.replace(m.manifest, format_version=3)
    with pytest.raises(gssm.InconsistentError, match="no automata"):
        gssm.dumps(m)
    m = hand_models()["reset"]
    m.layers[0].transition_code = np.asarray([[2], [3], [1]], np.int64)
    with pytest.raises(gssm.InconsistentError, match="only keeps and resets"):
        gssm.dumps(m)
    m = hand_models()["register"]
    m.group_table = np.zeros((2, 2), np.int64)
    with pytest.raises(gssm.InconsistentError, match="what the tensors track"):
        gssm.dumps(m)


def test_version_4_group_files_still_read_and_old_versions_too(compiled, tmp_path):
    import synth

    m = gssm.load(compiled("S3"))
    assert m.manifest.format_version == 4 and m.manifest.automaton is None and m.tracks == "group"
    assert m.automaton is None and m.group is not None and m.group.table is m.group_table
    x = random_words(m.num_tokens, 2, (20, 50))
    np.testing.assert_array_equal(m.truth(x), m.running_products(x))
    for version in (2, 3):
        s3 = synth.s3()
        s3.manifest = dataclasses.replace(s3.manifest, format_version=version)
        again = gssm.loads(gssm.dumps(s3))
        assert again.manifest.format_version == version
        np.testing.assert_array_equal(again.run(x), again.truth(x))


# ---------------------------------------------------------------- native


def test_native_compiles_automata_as_the_cli(automaton_file):
    need_native()
    for name, target in (("FlipFlop", "mamba"), ("Counter3", "aussm"), ("Parity", "neg-mamba")):
        case = CASES[name]
        data = gssm.compile_bytes(case.source, name, target)
        assert data == automaton_file(name, target).read_bytes()
        m = gssm.compile(case.source, None, target)  # the last definition
        assert m.manifest.automaton.name == name
        report = gssm.verify(m, horizon_len=1000)
        assert report.ok and report.group == name
    with pytest.raises(gssm.GssmError) as info:
        gssm.compile(FLIP_FLOP.source, "FlipFlop", "pd-ssm")
    assert "automata compile to stacks of diagonal layers" in str(info.value)


def test_native_group_functions_refuse_automata(automaton_file):
    need_native()
    with pytest.raises(gssm.GssmError, match="is an automaton"):
        gssm.check(COUNTER3.source, "Counter3")
    with pytest.raises(gssm.GssmError, match="is an automaton"):
        gssm.data(COUNTER3.source, None, 4, 2)
    with pytest.raises(ValueError, match="tracks an automaton"):
        gssm.verify(automaton_file("Counter3", "aussm"), source=COUNTER3.source, horizon_len=0)
    # A file with a group and an automaton: names pick either.
    src = "group G = < a | a^2 >\n" + COUNTER3.source
    assert gssm.check(src, "G").order == 2
    assert gssm.compile(src, "G", "aussm").manifest.group.name == "G"
    assert gssm.compile(src, "Counter3", "aussm").manifest.automaton.name == "Counter3"
