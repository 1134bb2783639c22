"""gssm.check, gssm.compile and gssm.verify (the native module) against the
CLI: the same bytes, the same reports, errors with their place in the
source."""

from __future__ import annotations

import dataclasses
import json
import pickle
import re
import subprocess

import pytest
from conftest import REPO, STDLIB, gssm_bin, need_native

import gssm

SEED = STDLIB / "seed.gssm"
CLI_DTYPE = {"float32": "f32", "float64": "f64"}


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(gssm_bin()), *args], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module", autouse=True)
def native():
    return need_native()


@pytest.mark.parametrize(
    "group,target,dtype,alphabet",
    [
        ("S3", "aussm", "float32", "elements"),
        ("A4", "aussm", "float64", "generators+inverses"),
        ("Q8", "neg-mamba", "float32", "generators"),
    ],
)
def test_compile_gives_the_cli_bytes(tmp_path, group, target, dtype, alphabet):
    out = tmp_path / "m.safetensors"
    flags = ["-g", group, "--target", target, "--dtype", CLI_DTYPE[dtype], "--alphabet", alphabet]
    r = cli("compile", str(SEED), *flags, "-o", str(out))
    assert r.returncode == 0, r.stderr
    data = gssm.compile_bytes(SEED, group, target, dtype, alphabet)
    assert data == out.read_bytes()
    m = gssm.compile(str(SEED), group, target=target, dtype=dtype, alphabet=alphabet)
    assert isinstance(m, gssm.Model)
    assert (m.manifest.group.name, m.target, m.manifest.dtype) == (group, target, dtype)
    assert m.num_tokens == gssm.loads(data).num_tokens


def test_compile_and_verify_s3(monkeypatch):
    monkeypatch.chdir(REPO)
    m = gssm.compile("stdlib/seed.gssm", "S3")
    r = gssm.verify(m)
    assert r.ok is True
    assert (r.group, r.order, r.target, r.layers) == ("S3", 6, "aussm", 2)
    assert r.proof.ok and r.proof.failure is None
    assert r.exhaustive.sequences == r.exhaustive_expected and r.exhaustive.mismatches == 0
    assert [h.dtype for h in r.horizons] == ["f64", "f32", "f16", "bf16"]
    assert r.source is None


def test_verify_report_equals_the_cli(tmp_path):
    out = tmp_path / "A4.safetensors"
    assert cli("compile", str(SEED), "-g", "A4", "-o", str(out)).returncode == 0
    args = ["--length", "3", "--horizon-len", "500", "--backend", "reference", "--source", str(SEED)]
    r = cli("verify", str(out), "--json", *args)
    assert r.returncode == 0, r.stderr
    want = json.loads(r.stdout)
    got = gssm.verify(out, length=3, horizon_len=500, backend="reference", source=SEED)
    assert dataclasses.asdict(got) == want
    assert got.source == f"checked against {SEED}"
    # From bytes and from the loaded model: the same report.
    assert gssm.verify(out.read_bytes(), 3, 500, backend="reference", source=SEED) == got
    assert gssm.verify(gssm.load(out), 3, 500, backend="reference", source=SEED).ok


def test_verify_failure_is_not_ok():
    m = gssm.compile(SEED, "S3")
    m.layers[0].a_re[0, 0] += 1e-3  # no longer the construction's value
    r = gssm.verify(m, length=2, horizon_len=0)
    assert r.ok is False
    assert not r.proof.ok and "transition.re" in r.proof.failure
    assert r.horizons == []


def test_verify_source_mismatch_raises():
    m = gssm.compile(SEED, "S3")
    with pytest.raises(gssm.GssmError) as e:
        gssm.verify(m, 2, 0, source='import "families"\ngroup S3 = Cyclic(6)')
    assert e.value.code == "verify" and "is not S3" in str(e.value)


@pytest.mark.parametrize("group", ["S3", "A5", "SL23", "C2xC4", None])
def test_check_equals_the_cli(group):
    r = cli("check", str(SEED), *([group] if group else []), "--json")
    assert r.returncode == 0, r.stderr
    s = gssm.check(SEED, group)
    assert isinstance(s, gssm.Structure)
    assert dataclasses.asdict(s) == json.loads(r.stdout)


def test_check_a_group_past_the_element_limit(tmp_path):
    """The Sylow 2-subgroup of S64 (C2 wr … wr C2, six copies), reported from
    its stabiliser chain: order 2^63 exactly (a JSON string, an int here),
    derived length 6 (GAP 4.12: DerivedLength 6), as the CLI reports it."""
    gens = []
    for j in range(1, 7):
        size = 1 << (j - 1)
        # Swap the first two blocks of size 2^(j-1).
        gens.append("".join(f"({1 + k},{1 + k + size})" for k in range(size)))
    src = tmp_path / "p64.gssm"
    names = ", ".join(f"g{j} = {g}" for j, g in enumerate(gens, 1))
    src.write_text(f"group P64 = perm(64) {{ {names} }}\n")
    s = gssm.check(src, "P64")
    assert s.order == 1 << 63
    assert s.derived_length == 6 and s.is_solvable and s.is_nilpotent
    r = cli("check", str(src), "P64", "--json")
    assert r.returncode == 0, r.stderr
    cli_json = json.loads(r.stdout)
    assert cli_json["order"] == str(1 << 63)
    assert int(cli_json["order"]) == s.order
    assert [int(n) for n in cli_json["derived_series_orders"]] == s.derived_series_orders


def test_check_pc_group_past_the_element_limit(tmp_path):
    """The Heisenberg group over Z/1000 as a pc presentation (order 10^9),
    reported from its presentation as the CLI reports it: H' = <z> = Z(H)
    (since [y^b, x^a] = z^(ab)), so the derived series has orders 10^9,
    1000, 1 and H/H' = C1000 x C1000; compiling it is refused with help, as
    its top factor (10^6 elements) is past the element limit its coordinates
    are computed within."""
    src = tmp_path / "heis.gssm"
    src.write_text("group H = pc< x, y, z | x^1000, y^1000, z^1000, [y, x] = z >\n")
    s = gssm.check(src, "H")
    assert s.order == 10**9
    assert s.derived_length == 2 and s.is_solvable and s.is_nilpotent
    assert s.derived_series_orders == [10**9, 1000, 1]
    r = cli("check", str(src), "H", "--json")
    assert r.returncode == 0, r.stderr
    assert [int(n) for n in json.loads(r.stdout)["derived_series_orders"]] == s.derived_series_orders
    r = cli("compile", str(src), "-g", "H", "--target", "aussm", "-o", str(tmp_path / "h.safetensors"))
    assert r.returncode == 1
    flat = " ".join(r.stderr.replace("│", " ").split())
    assert "the abelian factor G_0/G_1 of H has 1000000 elements, more than --max-elements (4096)" in flat
    assert "help: each abelian factor's coordinates are computed on its elements" in flat


BIG_SRC = """import "families"
group H = pc< x, y, z | x^20, y^20, z^20, [y, x] = z >
group P = perm(8) { a = (1,2,3,4,5,6,7,8), b = (1,2) }
group A = AGL1(101)
"""


@pytest.mark.parametrize(
    "group,target,alphabet,bos,version",
    [
        ("H", "aussm", "generators+inverses", False, 7),
        ("H", "aussm", "generators", True, 7),
        ("P", "pd-ssm", "generators", False, 5),
        ("A", "aussm", "generators+inverses", False, 6),
    ],
)
def test_compile_past_the_element_limit_gives_the_cli_bytes(tmp_path, group, target, alphabet, bos, version):
    """Past the element limit (H: 8000 elements, P = S8: 40320, A =
    AGL(1, 101): 10100) gssm.compile keeps the group as a presentation or a
    stabiliser chain, as `gssm compile` does, and writes the same file."""
    src = tmp_path / "big.gssm"
    src.write_text(BIG_SRC)
    out = tmp_path / "m.safetensors"
    flags = ["-g", group, "--target", target, "--alphabet", alphabet] + (["--bos"] if bos else [])
    r = cli("compile", str(src), *flags, "-o", str(out))
    assert r.returncode == 0, r.stderr
    data = gssm.compile_bytes(src, group, target, alphabet=alphabet, bos=bos)
    assert data == out.read_bytes()
    m = gssm.loads(data)
    assert m.manifest.format_version == version
    assert m.order == {"H": 8000, "P": 40320, "A": 10100}[group]
    # The source check takes the same kind of group: a presentation's
    # relations, a chain's generators. The proof is local, and the report
    # is the CLI's.
    got = gssm.verify(m, length=2, horizon_len=0, source=src)
    assert got.ok and got.proof.local is not None
    r = cli("verify", str(out), "--json", "--length", "2", "--horizon-len", "0", "--source", str(src))
    assert r.returncode == 0, r.stderr
    assert dataclasses.asdict(got) == json.loads(r.stdout)


def test_verify_source_checks_a_pc_group_past_the_element_limit(tmp_path):
    src = tmp_path / "big.gssm"
    src.write_text(BIG_SRC)
    m = gssm.compile(src, "H", alphabet="generators")
    with pytest.raises(gssm.GssmError) as e:
        gssm.verify(m, 2, 0, source="group H = pc< x, y, z | x^20, y^20, z^20 >")
    assert e.value.code == "verify"
    assert "y^x is f2*f3 in the file, but the source's conjugate relation makes it f2" in str(e.value)


def test_compile_refuses_a_factor_past_the_limit(tmp_path):
    with pytest.raises(gssm.GssmError) as e:
        gssm.compile("group H = pc< x, y, z | x^1000, y^1000, z^1000, [y, x] = z >", "H")
    flat = " ".join(str(e.value).replace("│", " ").split())
    assert "the abelian factor G_0/G_1 of H has 1000000 elements, more than --max-elements (4096)" in flat


def test_check_series_hint_and_expression(tmp_path):
    src = 'import "seed"\ngroup S3h = S3 with series [ <c> ]\n'
    f = tmp_path / "hint.gssm"
    f.write_text(src)
    r = cli("check", str(f), "--json")
    want = json.loads(r.stdout)
    s = gssm.check(f)
    assert dataclasses.asdict(s) == want
    assert s.series_hint is not None and s.series_hint.subgroup_orders == [3]
    # Source text: the same report, named <source>.
    t = gssm.check(src)
    assert t.defined_at.file == "<source>"
    assert dataclasses.replace(t, defined_at=s.defined_at) == s
    # A group expression, with the warning the CLI prints, attributed to
    # the caller.
    with pytest.warns(gssm.GssmWarning, match="Dihedral") as w:
        d = gssm.check(SEED, "Dihedral(8) x C2")
    assert d.order == 16 and d.warnings
    assert w[0].filename == __file__
    with pytest.warns(gssm.GssmWarning, match="Dihedral") as w:
        gssm.compile(SEED, "Dihedral(8)")
    assert w[0].filename == __file__


def test_source_text_with_stdlib_imports():
    s = gssm.check('import "families"\ngroup G = Symmetric(4) x Cyclic(2)')
    assert (s.name, s.order, s.is_solvable, s.derived_length) == ("G", 48, True, 3)
    assert s.target("aussm").layers == 3
    one_line = gssm.check("group C = < a | a^5 >")
    assert (one_line.order, one_line.is_abelian) == (5, True)


def test_source_error_raises_with_place(tmp_path):
    src = "group G = < a | a^3 >\ngroup H = G x Nope\n"
    with pytest.raises(gssm.GssmError) as e:
        gssm.check(src, "H")
    err = e.value
    assert (err.file, err.line, err.column) == ("<source>", 2, 15)
    text = str(err)
    assert "<source>:2:15" in text and "Nope" in err.message
    assert "2 │ group H = G x Nope" in text and "────" in text  # the underlined span
    assert "\x1b[" not in text  # no colours
    # The CLI reports the same error for the same text in a file.
    f = tmp_path / "h.gssm"
    f.write_text(src)
    r = cli("check", str(f), "H")
    assert r.returncode != 0
    assert r.stderr.startswith(err.code) and text.replace("<source>", str(f)) in r.stderr


def test_parse_error_code_matches_the_cli(tmp_path):
    f = tmp_path / "bad.gssm"
    f.write_text("group G = < a | a^3 \n")
    r = cli("check", str(f))
    assert r.returncode != 0
    with pytest.raises(gssm.GssmError) as e:
        gssm.check(f)
    assert pickle.loads(pickle.dumps(e.value)).rendered == e.value.rendered
    assert e.value.code in r.stderr
    assert str(e.value) + "\n" == r.stderr.rstrip("\n") + "\n"
    assert (e.value.file, e.value.line) == (str(f), 1)


def test_a5_is_not_solvable_for_aussm():
    with pytest.raises(gssm.GssmError) as e:
        gssm.compile(SEED, "A5", target="aussm")
    err = e.value
    assert err.code == "target::no-series"
    assert "A5 cannot be compiled for aussm" in err.message
    assert "A5 is perfect" in err.message and "A5 is not solvable" in err.help
    assert err.help.split()[-1] in str(err)
    assert err.file == str(SEED) and err.line is not None
    r = cli("compile", str(SEED), "-g", "A5", "--target", "aussm", "-o", "/dev/null")
    assert r.returncode != 0 and str(err) in r.stderr


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown target 'lstm'"):
        gssm.compile(SEED, "S3", target="lstm")
    with pytest.raises(ValueError, match="dtype"):
        gssm.compile(SEED, "S3", dtype="float16")
    with pytest.raises(ValueError, match="alphabet"):
        gssm.compile(SEED, "S3", alphabet="letters")
    with pytest.raises(gssm.GssmError) as e:
        gssm.check("no/such/file.gssm")
    assert e.value.code == "io"
    with pytest.raises(gssm.GssmError) as e:
        gssm.verify(b"not a model", 1, 0)
    assert e.value.code == "model::invalid"


def test_readme_example(monkeypatch, capsys):
    text = (REPO / "interop" / "python" / "README.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, flags=re.S) if "gssm.verify(" in b]
    assert blocks, "the README shows no gssm.verify example"
    monkeypatch.chdir(REPO)
    exec(compile(blocks[0], "README.md", "exec"), {"__name__": "readme"})
    assert "target::no-series stdlib/seed.gssm 11 1" in capsys.readouterr().out
