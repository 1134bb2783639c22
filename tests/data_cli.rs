//! `gssm data` end to end: the CSV parses with the documented columns, and
//! every target is the running product of its inputs, computed here by
//! multiplying permutations (S3, A5) and residues (C60) that the test
//! writes down itself, never from the code under test. Ids agree with the
//! weight file `gssm compile` writes for the same group and alphabet; the
//! same seed gives the same bytes; bad arguments are refused.

use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const GSSM: &str = env!("CARGO_BIN_EXE_gssm");

fn seed_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("stdlib/seed.gssm")
}

fn tmp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("data_cli");
    std::fs::create_dir_all(&dir).unwrap();
    // Separate runs of this binary may overlap: keep their files apart.
    dir.join(format!("{}.{name}", std::process::id()))
}

fn gssm(args: &[&str]) -> Output {
    Command::new(GSSM).args(args).output().expect("run gssm")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `gssm data` on a seed group; returns the dataset's bytes and the
/// `--vocab` JSON.
fn data(group: &str, extra: &[&str]) -> (Vec<u8>, Value) {
    let tag = format!("{group}{}", extra.join("").replace(['-', '+', '/'], "_"));
    let out = tmp(&format!("{tag}.data"));
    let vocab = tmp(&format!("{tag}.vocab.json"));
    let seed = seed_file();
    let mut args = vec![
        "data",
        seed.to_str().unwrap(),
        "-g",
        group,
        "-o",
        out.to_str().unwrap(),
        "--vocab",
        vocab.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = gssm(&args);
    assert!(o.status.success(), "gssm data {extra:?}: {}", stderr(&o));
    assert!(o.stdout.is_empty(), "with -o nothing goes to stdout");
    let v = serde_json::from_slice(&std::fs::read(&vocab).unwrap()).expect("vocab is JSON");
    (std::fs::read(&out).unwrap(), v)
}

/// A small RFC 4180 parser: records of fields, quoted fields may hold
/// commas, quotes ("") and newlines.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, '\r') => {}
            (false, c) => field.push(c),
        }
    }
    assert!(!quoted, "unterminated quoted field");
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records
}

fn ids(field: &str) -> Vec<usize> {
    field
        .split(' ')
        .map(|w| w.parse().unwrap_or_else(|_| panic!("'{w}' is not an id")))
        .collect()
}

/// A group written down by hand: permutations of 0..n composed left to
/// right (p*q applies p first, GAP's convention), or residues mod n.
enum Truth {
    Perm(HashMap<&'static str, Vec<usize>>),
    Cyclic(usize),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Elem {
    Perm(Vec<usize>),
    Res(usize),
}

impl Truth {
    /// S3 = perm(3) { c = (1,2,3), t = (1,2) } (Symmetric(3)).
    fn s3() -> Truth {
        Truth::Perm(HashMap::from([("c", vec![1, 2, 0]), ("t", vec![1, 0, 2])]))
    }
    /// A5 = perm(5) { t = (1,2,3), c = (1,2,3,4,5) } (Alternating(5)).
    fn a5() -> Truth {
        Truth::Perm(HashMap::from([
            ("t", vec![1, 2, 0, 3, 4]),
            ("c", vec![1, 2, 3, 4, 0]),
        ]))
    }
    fn identity(&self) -> Elem {
        match self {
            Truth::Perm(g) => Elem::Perm((0..g.values().next().unwrap().len()).collect()),
            Truth::Cyclic(_) => Elem::Res(0),
        }
    }
    fn mul(&self, x: &Elem, y: &Elem) -> Elem {
        match (self, x, y) {
            (Truth::Perm(_), Elem::Perm(p), Elem::Perm(q)) => {
                Elem::Perm(p.iter().map(|&i| q[i]).collect())
            }
            (Truth::Cyclic(n), Elem::Res(a), Elem::Res(b)) => Elem::Res((a + b) % n),
            _ => unreachable!(),
        }
    }
    fn generator(&self, name: &str) -> Elem {
        match self {
            Truth::Perm(g) => Elem::Perm(g[name].clone()),
            Truth::Cyclic(_) => {
                assert_eq!(name, "a");
                Elem::Res(1)
            }
        }
    }
    fn inverse(&self, x: &Elem) -> Elem {
        match x {
            Elem::Perm(p) => {
                let mut q = vec![0; p.len()];
                for (i, &j) in p.iter().enumerate() {
                    q[j] = i;
                }
                Elem::Perm(q)
            }
            Elem::Res(a) => match self {
                Truth::Cyclic(n) => Elem::Res((n - a) % n),
                _ => unreachable!(),
            },
        }
    }
    /// The element a label names: `e`, or `name` and `name^k` factors
    /// joined by `*`, read left to right.
    fn eval(&self, label: &str) -> Elem {
        if label == "e" {
            return self.identity();
        }
        label.split('*').fold(self.identity(), |acc, f| {
            let (name, k) = match f.split_once('^') {
                Some((n, k)) => (n, k.parse::<i64>().unwrap()),
                None => (f, 1),
            };
            let g = self.generator(name);
            let g = if k < 0 { self.inverse(&g) } else { g };
            (0..k.unsigned_abs()).fold(acc, |acc, _| self.mul(&acc, &g))
        })
    }
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("vocab has no array '{key}'"))
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// Check a word-problem CSV against the hand-made group: columns, row
/// count, seed field, lengths, and every target the running product of the
/// inputs. `bos` is the BOS id leading both columns, if any.
fn check_csv(truth: &Truth, order: usize, bytes: &[u8], vocab: &Value, len: usize, count: usize) {
    check_csv_with(truth, order, bytes, vocab, len, count, &|l| truth.eval(l));
}

/// [`check_csv`], with output labels read by `output`.
fn check_csv_with(
    truth: &Truth,
    order: usize,
    bytes: &[u8],
    vocab: &Value,
    len: usize,
    count: usize,
    output: &dyn Fn(&str) -> Elem,
) {
    let outputs = strings(vocab, "outputs");
    assert_eq!(outputs.len(), order);
    assert_eq!(vocab["outputs_count"], order);
    let elements: Vec<Elem> = outputs.iter().map(|l| output(l)).collect();
    let id_of: HashMap<&Elem, usize> = elements.iter().enumerate().map(|(i, x)| (x, i)).collect();
    assert_eq!(
        id_of.len(),
        order,
        "the output labels name distinct elements"
    );
    assert_eq!(elements[0], truth.identity(), "element 0 is the identity");
    let tokens: Vec<Elem> = strings(vocab, "tokens")
        .iter()
        .map(|l| truth.eval(l))
        .collect();
    let token_elements: Vec<usize> = vocab["token_elements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect();
    for (t, x) in tokens.iter().zip(&token_elements) {
        assert_eq!(id_of[t], *x, "token_elements agrees with the token labels");
    }
    let bos = vocab["special_tokens"]["[BOS]"]
        .as_u64()
        .map(|b| b as usize);
    let seed = vocab["seed"].as_u64().unwrap().to_string();
    let text = std::str::from_utf8(bytes).expect("UTF-8");
    let records = parse_csv(text);
    assert_eq!(
        records[0],
        ["seed", "input", "target"],
        "the documented header"
    );
    assert_eq!(records.len(), count + 1, "one row per sequence");
    for r in &records[1..] {
        assert_eq!(r.len(), 3);
        assert_eq!(r[0], seed);
        let (mut input, mut target) = (ids(&r[1]), ids(&r[2]));
        if let Some(b) = bos {
            assert_eq!(input.remove(0), b, "BOS leads the input");
            assert_eq!(target.remove(0), b, "BOS leads the target");
        }
        assert_eq!(input.len(), len);
        assert_eq!(target.len(), len);
        let mut y = truth.identity();
        for (x, t) in input.iter().zip(&target) {
            y = truth.mul(&y, &tokens[*x]);
            assert_eq!(*t, id_of[&y], "row {r:?}");
        }
    }
}

#[test]
fn targets_are_running_products() {
    for (group, truth, order) in [
        ("S3", Truth::s3(), 6),
        ("A5", Truth::a5(), 60),
        ("C60", Truth::Cyclic(60), 60),
    ] {
        for alphabet in ["elements", "generators", "generators+inverses"] {
            let (bytes, vocab) = data(
                group,
                &["--len", "17", "--count", "300", "--alphabet", alphabet],
            );
            assert_eq!(vocab["alphabet"], alphabet);
            assert_eq!(vocab["format"], "word-problem");
            check_csv(&truth, order, &bytes, &vocab, 17, 300);
        }
    }
}

#[test]
fn bos_and_jsonl_carry_the_same_sequences() {
    let args = ["--len", "9", "--count", "50", "--seed", "5"];
    let (csv, _) = data("A5", &args);
    let (bos, vocab) = data(
        "A5",
        &[&args[..], &["--format", "word-problem-bos"]].concat(),
    );
    // The ids are followed by the tokenizers' special tokens; BOS is second.
    assert_eq!(vocab["special_tokens"]["[PAD]"], 60);
    assert_eq!(vocab["special_tokens"]["[BOS]"], 61);
    check_csv(&Truth::a5(), 60, &bos, &vocab, 9, 50);
    let plain = parse_csv(std::str::from_utf8(&csv).unwrap());
    let with_bos = parse_csv(std::str::from_utf8(&bos).unwrap());
    for (p, b) in plain.iter().zip(&with_bos).skip(1) {
        assert_eq!(format!("61 {}", p[1]), b[1]);
        assert_eq!(format!("61 {}", p[2]), b[2]);
    }
    // With fewer tokens than elements, BOS follows the larger range.
    let (_, v) = data(
        "S3",
        &["--len", "3", "--count", "2", "--alphabet", "generators"],
    );
    assert!(v.get("special_tokens").is_none());
    let (_, v) = data(
        "S3",
        &[
            "--len",
            "3",
            "--count",
            "2",
            "--alphabet",
            "generators",
            "--format",
            "word-problem-bos",
        ],
    );
    assert_eq!(v["special_tokens"]["[BOS]"], 7);

    let (jsonl, vocab) = data("A5", &[&args[..], &["--format", "jsonl"]].concat());
    assert_eq!(vocab["format"], "jsonl");
    let text = std::str::from_utf8(&jsonl).unwrap();
    assert_eq!(text.lines().count(), 50);
    for (line, p) in text.lines().zip(plain.iter().skip(1)) {
        let row: Value = serde_json::from_str(line).expect("each line is JSON");
        let obj = row.as_object().unwrap();
        assert_eq!(obj.keys().collect::<Vec<_>>(), ["input", "target"]);
        let list = |k: &str| -> Vec<usize> {
            row[k]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap() as usize)
                .collect()
        };
        assert_eq!(list("input"), ids(&p[1]));
        assert_eq!(list("target"), ids(&p[2]));
    }
}

#[test]
fn same_seed_same_bytes() {
    let a = data("C60", &["--len", "20", "--count", "100", "--seed", "42"]).0;
    let b = data("C60", &["--len", "20", "--count", "100", "--seed", "42"]).0;
    assert_eq!(a, b);
    let c = data("C60", &["--len", "20", "--count", "100", "--seed", "43"]).0;
    assert_ne!(a, c);
    // stdout carries the same bytes as -o.
    let seed = seed_file();
    let o = gssm(&[
        "data",
        seed.to_str().unwrap(),
        "-g",
        "C60",
        "--len",
        "20",
        "--count",
        "100",
        "--seed",
        "42",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(o.stdout, a);
    // Every token turns up (6000 uniform draws of 60 tokens).
    let text = String::from_utf8(a).unwrap();
    let mut seen = [false; 60];
    for r in &parse_csv(&text)[1..] {
        for x in ids(&r[1]) {
            seen[x] = true;
        }
    }
    assert!(seen.iter().all(|&s| s));
}

/// The generator the README documents, written again here: SplitMix64, and
/// Lemire's unbiased draw in 0..n. The first rows of a dataset must be
/// these draws in order.
#[test]
fn inputs_follow_the_documented_generator() {
    let mut state: u64 = 2024;
    let mut next = move || {
        state = state.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        z ^ (z >> 31)
    };
    let mut below = |n: u64| loop {
        let m = next() as u128 * n as u128;
        if (m as u64) >= n.wrapping_neg() % n {
            break (m >> 64) as usize;
        }
    };
    let (bytes, _) = data("A5", &["--len", "7", "--count", "20", "--seed", "2024"]);
    let rows = parse_csv(std::str::from_utf8(&bytes).unwrap());
    for r in &rows[1..] {
        let want: Vec<usize> = (0..7).map(|_| below(60)).collect();
        assert_eq!(ids(&r[1]), want);
    }
}

/// The dataset's ids are the compiled model's: its token and output labels,
/// and the model run on the inputs decodes exactly the targets.
#[test]
fn ids_match_the_compiled_model() {
    let seed = seed_file();
    for (group, alphabet) in [
        ("S3", "elements"),
        ("S3", "generators"),
        ("S3", "generators+inverses"),
        ("C60", "generators"),
    ] {
        let model = tmp(&format!(
            "{group}.{}.safetensors",
            alphabet.replace('+', "_")
        ));
        let o = gssm(&[
            "compile",
            seed.to_str().unwrap(),
            "-g",
            group,
            "--alphabet",
            alphabet,
            "-o",
            model.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let m = gssm_runtime::format::load(&std::fs::read(&model).unwrap(), &Default::default())
            .unwrap();
        let (bytes, vocab) = data(
            group,
            &["--len", "12", "--count", "40", "--alphabet", alphabet],
        );
        assert_eq!(strings(&vocab, "tokens"), m.manifest.tokens);
        assert_eq!(strings(&vocab, "outputs"), m.manifest.outputs);
        assert_eq!(
            strings(&vocab, "generators"),
            m.manifest.group.as_ref().unwrap().generators
        );
        let te: Vec<u32> = vocab["token_elements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as u32)
            .collect();
        assert_eq!(te, m.group().unwrap().token_elements);
        let rows = parse_csv(std::str::from_utf8(&bytes).unwrap());
        let inputs = tmp(&format!("{group}.{}.inputs", alphabet.replace('+', "_")));
        let text: String = rows[1..].iter().map(|r| format!("{}\n", r[1])).collect();
        std::fs::write(&inputs, text).unwrap();
        let o = gssm(&[
            "run",
            model.to_str().unwrap(),
            "--input",
            inputs.to_str().unwrap(),
            "--input-ids",
            "--ids",
            "--backend",
            "reference",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let decoded = String::from_utf8(o.stdout).unwrap();
        let want: Vec<&str> = rows[1..].iter().map(|r| r[2].as_str()).collect();
        assert_eq!(
            decoded.lines().collect::<Vec<_>>(),
            want,
            "{group} {alphabet}"
        );
    }
}

#[test]
fn bad_arguments_are_refused() {
    let seed = seed_file();
    let s = seed.to_str().unwrap();
    let out = tmp("refused.csv");
    let o = out.to_str().unwrap();
    let base = ["data", s, "-g", "S3", "-o", o];
    for (extra, message) in [
        (
            &["--len", "0", "--count", "5"][..],
            "--len must be at least 1",
        ),
        (
            &["--len", "5", "--count", "0"],
            "--count must be at least 1",
        ),
        (
            &["--len", "100", "--count", "5", "--max-len", "99"],
            "more than --max-len 99",
        ),
        (
            &["--len", "1000", "--count", "1000", "--max-output", "1MiB"],
            "more than --max-output 1048576 bytes",
        ),
        // A size bound past u128 is refused, not overflowed.
        (
            &[
                "--len",
                "9223372036854775807",
                "--max-len",
                "18446744073709551615",
                "--count",
                "18446744073709551615",
            ],
            "more than --max-output",
        ),
        (&["--len", "5"], "--count"),
        (&["--count", "5"], "--len"),
        (&["--len", "-3", "--count", "5"], "-3"),
        (&["--len", "5", "--count", "5", "--format", "csv"], "csv"),
        (
            &["--len", "5", "--count", "5", "--alphabet", "letters"],
            "letters",
        ),
        (
            &["--len", "5", "--count", "5", "--max-output", "12QiB"],
            "unknown unit",
        ),
    ] {
        let _ = std::fs::remove_file(&out);
        let r = gssm(&[&base[..], extra].concat());
        assert!(!r.status.success(), "{extra:?} must fail");
        assert!(
            stderr(&r).contains(message),
            "{extra:?}: expected '{message}' in: {}",
            stderr(&r)
        );
        assert!(!out.exists(), "{extra:?}: no dataset is written");
    }
    // An unknown group is reported by the source's diagnostics.
    let r = gssm(&["data", s, "-g", "Nope", "--len", "2", "--count", "2"]);
    assert!(!r.status.success());
    assert!(stderr(&r).contains("Nope"), "{}", stderr(&r));
    // The trivial group has no generators to draw.
    let src = tmp("trivial.gssm");
    std::fs::write(&src, "group T = < | >\n").unwrap();
    let r = gssm(&[
        "data",
        src.to_str().unwrap(),
        "--len",
        "2",
        "--count",
        "2",
        "--alphabet",
        "generators",
    ]);
    assert!(!r.status.success());
    assert!(
        stderr(&r).contains("use --alphabet elements"),
        "{}",
        stderr(&r)
    );
    // An output that cannot be created.
    let r = gssm(&[
        "data",
        s,
        "-g",
        "S3",
        "--len",
        "2",
        "--count",
        "2",
        "-o",
        "/nonexistent/dir/x.csv",
    ]);
    assert!(!r.status.success());
    assert!(stderr(&r).contains("cannot write /nonexistent/dir/x.csv"));
}

/// A permutation of 0..n from 1-based cycle notation, `()` the identity.
fn from_cycles(label: &str, n: usize) -> Elem {
    let mut p: Vec<usize> = (0..n).collect();
    for cycle in label.split(')').filter(|c| !c.is_empty()) {
        let points: Vec<usize> = cycle
            .trim_start_matches('(')
            .split(',')
            .filter(|x| !x.is_empty())
            .map(|x| x.parse::<usize>().unwrap() - 1)
            .collect();
        for (i, &x) in points.iter().enumerate() {
            p[x] = points[(i + 1) % points.len()];
        }
    }
    Elem::Perm(p)
}

/// 1-based cycle notation of a map of 0..n.
fn cycle_text(p: &[usize]) -> String {
    let mut seen = vec![false; p.len()];
    let mut out = String::new();
    for start in 0..p.len() {
        if seen[start] || p[start] == start {
            continue;
        }
        let mut x = start;
        let mut cycle = Vec::new();
        while !seen[x] {
            seen[x] = true;
            cycle.push((x + 1).to_string());
            x = p[x];
        }
        out.push_str(&format!("({})", cycle.join(",")));
    }
    if out.is_empty() {
        out.push_str("()");
    }
    out
}

/// AGL(1, p) on the points of Z/p: a = t -> t + 1, b = t -> g·t for the
/// least primitive root g; its source and its hand-made truth.
fn affine(p: usize) -> (String, Truth) {
    let order = |g: usize| {
        let (mut x, mut k) = (g, 1);
        while x != 1 {
            x = x * g % p;
            k += 1;
        }
        k
    };
    let g = (2..p).find(|&g| order(g) == p - 1).unwrap();
    let a: Vec<usize> = (0..p).map(|t| (t + 1) % p).collect();
    let b: Vec<usize> = (0..p).map(|t| t * g % p).collect();
    let src = format!(
        "group A = perm({p}) {{ a = {}, b = {} }}\n",
        cycle_text(&a),
        cycle_text(&b)
    );
    (src, Truth::Perm(HashMap::from([("a", a), ("b", b)])))
}

/// `gssm compile` of `group` in `src` with `flags`, then `gssm data
/// --model` of the file: the model's path, the dataset and its vocabulary.
fn model_data(
    tag: &str,
    src: &str,
    group: &str,
    flags: &[&str],
    extra: &[&str],
) -> (PathBuf, Vec<u8>, Value) {
    let source = tmp(&format!("{tag}.gssm"));
    std::fs::write(&source, src).unwrap();
    let model = tmp(&format!("{tag}.safetensors"));
    let m = model.to_str().unwrap();
    let o = gssm(
        &[
            &["compile", source.to_str().unwrap(), "-g", group, "-o", m][..],
            flags,
        ]
        .concat(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = tmp(&format!("{tag}.data"));
    let vocab = tmp(&format!("{tag}.vocab.json"));
    let args = [
        "data",
        "--model",
        m,
        "-o",
        out.to_str().unwrap(),
        "--vocab",
        vocab.to_str().unwrap(),
    ];
    let o = gssm(&[&args[..], extra].concat());
    assert!(
        o.status.success(),
        "gssm data --model {extra:?}: {}",
        stderr(&o)
    );
    let v = serde_json::from_slice(&std::fs::read(&vocab).unwrap()).expect("vocab is JSON");
    (model, std::fs::read(&out).unwrap(), v)
}

/// The targets of a dataset as `gssm run --input-ids --ids` decodes its
/// inputs with the model's layers (after its start token `bos`, if it has
/// one), and as the dataset has them.
fn run_on_inputs(
    model: &Path,
    bos: Option<u32>,
    bytes: &[u8],
    tag: &str,
) -> (Vec<String>, Vec<String>) {
    let rows = parse_csv(std::str::from_utf8(bytes).unwrap());
    let inputs = tmp(&format!("{tag}.inputs"));
    let start = bos.map_or(String::new(), |b| format!("{b} "));
    let text: String = rows[1..]
        .iter()
        .map(|r| format!("{start}{}\n", r[1]))
        .collect();
    std::fs::write(&inputs, text).unwrap();
    let args = [
        "run",
        model.to_str().unwrap(),
        "--input",
        inputs.to_str().unwrap(),
        "--input-ids",
        "--ids",
    ];
    let o = gssm(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let decoded = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| match bos {
            // The start token's output, the identity, is not the dataset's.
            Some(_) => l.split_once(' ').expect("two ids at least").1.to_string(),
            None => l.to_string(),
        })
        .collect();
    (decoded, rows[1..].iter().map(|r| r[2].clone()).collect())
}

/// Past the element limit there is no table to label a dataset with: from
/// the weight file (`--model`) the targets are the running products the
/// test multiplies itself, numbered by the file's output labels (cycle
/// notation, read here), and the model's layers decode them.
#[test]
fn model_datasets_past_the_element_limit() {
    let s8 = Truth::Perm(HashMap::from([
        ("a", vec![1, 2, 3, 4, 5, 6, 7, 0]),
        ("b", vec![1, 0, 2, 3, 4, 5, 6, 7]),
    ]));
    let s8_src = "group S8 = perm(8) { a = (1,2,3,4,5,6,7,8), b = (1,2) }\n";
    let (agl101_src, agl101) = affine(101);
    for (tag, src, group, truth, degree, order, flags, version) in [
        (
            "s8",
            s8_src.to_string(),
            "S8",
            &s8,
            8,
            40320,
            &["--target", "pd-ssm", "--alphabet", "generators+inverses"][..],
            5,
        ),
        (
            "s8bos",
            s8_src.to_string(),
            "S8",
            &s8,
            8,
            40320,
            &["--target", "pd-ssm", "--alphabet", "generators", "--bos"][..],
            5,
        ),
        (
            "agl101",
            agl101_src,
            "A",
            &agl101,
            101,
            10100,
            &["--alphabet", "generators+inverses"][..],
            6,
        ),
    ] {
        let (model, bytes, vocab) = model_data(
            tag,
            &src,
            group,
            flags,
            &["--len", "13", "--count", "60", "--seed", "3"],
        );
        let m = gssm_runtime::format::load(&std::fs::read(&model).unwrap(), &Default::default())
            .unwrap();
        assert_eq!(m.manifest.format_version, version, "{tag}");
        assert!(vocab["alphabet"].is_null());
        assert_eq!(vocab["group"], group);
        // A start token is never drawn.
        let drawn = m.num_tokens() - usize::from(m.manifest.bos.is_some());
        assert_eq!(strings(&vocab, "tokens"), m.manifest.tokens[..drawn]);
        check_csv_with(truth, order, &bytes, &vocab, 13, 60, &|l| {
            from_cycles(l, degree)
        });
        let (decoded, targets) = run_on_inputs(&model, m.manifest.bos, &bytes, tag);
        assert_eq!(decoded, targets, "{tag}");
    }
    // Past 2^16 outputs the vocabulary leaves their labels out; the
    // targets are still the model's.
    let (src, _) = affine(401);
    let (model, bytes, vocab) = model_data(
        "agl401",
        &src,
        "A",
        &["--alphabet", "generators"],
        &["--len", "20", "--count", "30"],
    );
    assert_eq!(vocab["outputs_count"], 160400);
    assert!(vocab.get("outputs").is_none());
    let (decoded, targets) = run_on_inputs(&model, None, &bytes, "agl401");
    assert_eq!(decoded, targets);
}

/// A pc group past the element limit (format version 7): the dataset's
/// targets are what the model's layers decode, and its first step is the
/// token's element.
#[test]
fn model_datasets_of_a_pc_group() {
    let src = "group H = pc< x, y, z | x^20, y^20, z^20, [y, x] = z >\n";
    let (model, bytes, vocab) = model_data(
        "h20",
        src,
        "H",
        &["--alphabet", "generators+inverses"],
        &["--len", "25", "--count", "40"],
    );
    assert_eq!(vocab["outputs_count"], 8000);
    assert_eq!(strings(&vocab, "outputs").len(), 8000);
    let (decoded, targets) = run_on_inputs(&model, None, &bytes, "h20");
    assert_eq!(decoded, targets);
    let rows = parse_csv(std::str::from_utf8(&bytes).unwrap());
    let te = vocab["token_elements"].as_array().unwrap();
    for r in &rows[1..] {
        assert_eq!(te[ids(&r[1])[0]].as_u64().unwrap() as usize, ids(&r[2])[0]);
    }
}

/// An automaton's dataset: its symbols drawn, its states as targets, here
/// the parity of the 1s read so far.
#[test]
fn model_datasets_of_an_automaton() {
    let src = "automaton Parity {\n  states even, odd;\n  start even;\n  accept even;\n  symbol 0: id;\n  symbol 1: (even, odd);\n}\n";
    let (_, bytes, vocab) = model_data(
        "parity",
        src,
        "Parity",
        &["--target", "neg-mamba"],
        &["--len", "30", "--count", "50", "--format", "jsonl"],
    );
    assert_eq!(strings(&vocab, "tokens"), ["0", "1"]);
    assert_eq!(strings(&vocab, "outputs"), ["even", "odd"]);
    assert!(vocab.get("token_elements").is_none());
    assert!(vocab["generators"].as_array().unwrap().is_empty());
    let text = std::str::from_utf8(&bytes).unwrap();
    assert_eq!(text.lines().count(), 50);
    for line in text.lines() {
        let row: Value = serde_json::from_str(line).unwrap();
        let mut ones = 0;
        for (x, y) in row["input"]
            .as_array()
            .unwrap()
            .iter()
            .zip(row["target"].as_array().unwrap())
        {
            ones += x.as_u64().unwrap();
            assert_eq!(y.as_u64().unwrap(), ones % 2, "{line}");
        }
    }
}

#[test]
fn model_datasets_refuse_source_flags_and_bad_files() {
    let seed = seed_file();
    let s = seed.to_str().unwrap();
    let bad = tmp("not-a-model.safetensors");
    std::fs::write(&bad, b"not a weight file").unwrap();
    let b = bad.to_str().unwrap();
    for (args, message) in [
        (
            &[
                "data", "--model", b, "-g", "S3", "--len", "2", "--count", "2",
            ][..],
            "--group",
        ),
        (
            &[
                "data",
                "--model",
                b,
                "--alphabet",
                "generators",
                "--len",
                "2",
                "--count",
                "2",
            ],
            "--alphabet",
        ),
        (
            &["data", s, "--model", b, "--len", "2", "--count", "2"],
            "--model",
        ),
        (&["data", "--len", "2", "--count", "2"], "FILE"),
        (
            &["data", "--model", b, "--len", "2", "--count", "2"],
            "is not a valid gssm model",
        ),
        (
            &[
                "data",
                "--model",
                b,
                "--len",
                "2",
                "--count",
                "2",
                "--max-model-bytes",
                "4",
            ],
            "--max-model-bytes",
        ),
    ] {
        let r = gssm(args);
        assert!(!r.status.success(), "{args:?} must fail");
        assert!(
            stderr(&r).contains(message),
            "{args:?}: expected '{message}' in: {}",
            stderr(&r)
        );
    }
}
