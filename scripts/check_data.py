#!/usr/bin/env python3
"""Check `gssm data` from Python: the files load with pandas (and with
HuggingFace `datasets` when it is installed) with the documented columns,
every target is the running product of its inputs, computed here from
permutations and residues written down by hand, and the inputs are the
draws of the documented generator (SplitMix64, Lemire's unbiased bound).

Usage: python3 scripts/check_data.py [GSSM_BINARY]   (default target/debug/gssm)
Needs pandas. Exits non-zero on the first failure.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SEED_FILE = ROOT / "stdlib" / "seed.gssm"
MASK = (1 << 64) - 1


class SplitMix64:
    """The generator of `gssm data`, as the README documents it."""

    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n):
        threshold = ((1 << 64) - n) % n  # 2^64 mod n
        while True:
            m = self.next() * n
            if m & MASK >= threshold:
                return m >> 64


# Groups written down by hand: permutations of 0..n-1 composed left to
# right (p*q applies p first, GAP's convention), or residues mod n.
def perm_group(gens):
    n = len(next(iter(gens.values())))
    identity = tuple(range(n))

    def mul(p, q):
        return tuple(q[i] for i in p)

    def inv(p):
        q = [0] * len(p)
        for i, j in enumerate(p):
            q[j] = i
        return tuple(q)

    return identity, mul, inv, {k: tuple(v) for k, v in gens.items()}


def cyclic_group(n):
    return 0, (lambda a, b: (a + b) % n), (lambda a: (-a) % n), {"a": 1}


GROUPS = {
    # Symmetric(3) = perm(3) { c = (1,2,3), t = (1,2) }
    "S3": perm_group({"c": [1, 2, 0], "t": [1, 0, 2]}),
    # Alternating(5) = perm(5) { t = (1,2,3), c = (1,2,3,4,5) }
    "A5": perm_group({"t": [1, 2, 0, 3, 4], "c": [1, 2, 3, 4, 0]}),
    # Cyclic(60) = < a | a^60 >
    "C60": cyclic_group(60),
}


def evaluate(group, label):
    """The element a label (`e`, or `g` and `g^k` joined by `*`) names."""
    identity, mul, inv, gens = group
    x = identity
    if label == "e":
        return x
    for factor in label.split("*"):
        name, _, k = factor.partition("^")
        k = int(k) if k else 1
        g = gens[name] if k > 0 else inv(gens[name])
        for _ in range(abs(k)):
            x = mul(x, g)
    return x


def gssm_data(binary, out, vocab, args):
    subprocess.run(
        [binary, "data", str(SEED_FILE), "-o", str(out), "--vocab", str(vocab), *args],
        check=True,
    )
    return json.loads(vocab.read_text())


def expected(group, vocab, seed, length, count):
    """Inputs from the documented generator, targets by multiplying."""
    identity, mul, _, _ = group
    tokens = [evaluate(group, t) for t in vocab["tokens"]]
    elements = {evaluate(group, o): i for i, o in enumerate(vocab["outputs"])}
    assert len(elements) == len(vocab["outputs"]), "outputs name distinct elements"
    rng = SplitMix64(seed)
    for _ in range(count):
        xs = [rng.below(len(tokens)) for _ in range(length)]
        y, ys = identity, []
        for x in xs:
            y = mul(y, tokens[x])
            ys.append(elements[y])
        yield xs, ys


def check(binary, tmp):
    length, count, seed = 13, 200, 7
    for name, group in GROUPS.items():
        for alphabet in ["elements", "generators", "generators+inverses"]:
            tag = f"{name}.{alphabet}"
            common = ["-g", name, "--len", str(length), "--count", str(count)]
            common += ["--seed", str(seed), "--alphabet", alphabet]

            # word-problem: pandas reads the documented columns.
            vocab = gssm_data(binary, tmp / f"{tag}.csv", tmp / f"{tag}.json", common)
            df = pd.read_csv(tmp / f"{tag}.csv", dtype={"input": str, "target": str})
            assert list(df.columns) == ["seed", "input", "target"], df.columns
            assert len(df) == count
            assert (df["seed"] == seed).all()
            want = list(expected(group, vocab, seed, length, count))
            for row, (xs, ys) in zip(df.itertuples(), want):
                assert [int(w) for w in row.input.split(" ")] == xs, (tag, row)
                assert [int(w) for w in row.target.split(" ")] == ys, (tag, row)

            # word-problem-bos: the BOS id leads both columns.
            vb = gssm_data(
                binary,
                tmp / f"{tag}.bos.csv",
                tmp / f"{tag}.bos.json",
                common + ["--format", "word-problem-bos"],
            )
            bos = vb["special_tokens"]["[BOS]"]
            assert bos == max(len(vb["tokens"]), len(vb["outputs"])) + 1
            db = pd.read_csv(tmp / f"{tag}.bos.csv", dtype={"input": str, "target": str})
            for row, (xs, ys) in zip(db.itertuples(), want):
                assert [int(w) for w in row.input.split(" ")] == [bos] + xs
                assert [int(w) for w in row.target.split(" ")] == [bos] + ys

            # jsonl: pandas' JSON-lines reader, and `datasets` if present.
            gssm_data(
                binary,
                tmp / f"{tag}.jsonl",
                tmp / f"{tag}.jsonl.json",
                common + ["--format", "jsonl"],
            )
            dj = pd.read_json(tmp / f"{tag}.jsonl", lines=True)
            assert list(dj.columns) == ["input", "target"]
            for row, (xs, ys) in zip(dj.itertuples(), want):
                assert list(row.input) == xs and list(row.target) == ys
            try:
                import datasets
            except ImportError:
                pass
            else:
                ds = datasets.load_dataset(
                    "json",
                    data_files=str(tmp / f"{tag}.jsonl"),
                    split="train",
                    cache_dir=str(tmp / "hf"),
                )
                assert ds.column_names == ["input", "target"]
                assert [list(r) for r in ds["target"]] == [ys for _, ys in want]
                # The upstream loaders' call: csv, then drop `seed`.
                dc = datasets.load_dataset(
                    "csv",
                    data_files=str(tmp / f"{tag}.csv"),
                    split="all",
                    cache_dir=str(tmp / "hf"),
                ).remove_columns(["seed"])
                assert dc.column_names == ["input", "target"]
                assert dc["target"] == [" ".join(map(str, ys)) for _, ys in want]
            print(f"ok {tag}")


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "target" / "debug" / "gssm")
    with tempfile.TemporaryDirectory() as d:
        check(binary, Path(d))
    print("gssm data: all files load and agree with the groups")


if __name__ == "__main__":
    main()
