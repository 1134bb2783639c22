//! What must hold for the fuzz targets' inputs.
//!
//! Weight files ([`load`]): decode and validation return Ok or Err; and for
//! every model they accept, everything that consumes a validated model
//! (executors, ground truth, token parsing, the verifier, the writer) runs
//! without panicking and gives well-formed results.
//!
//! Sources ([`elaborate`]): loading and elaboration end in a group or a
//! diagnostic that renders; small groups compile to models that pass their
//! proof and the source check, and load back unchanged.

use gssm_compiler::construct::Alphabet;
use gssm_compiler::diagnostics::{render_plain, Diagnostic};
use gssm_compiler::elaborate::{load_sources, Checked, Elaborated};
use gssm_compiler::group::Limits;
use gssm_compiler::pipeline::{compile, compile_checked, Coordinates, Options};
use gssm_compiler::report::check_any;
use gssm_compiler::target;
use gssm_compiler::verify::{exhaustive_cpu, proof, same_group};
use gssm_runtime::exec::{build, Backend, ExecError};
use gssm_runtime::format::{self, decode, encode, FloatDtype, LoadLimits};
use gssm_runtime::ir::{Net, UNDECODABLE};
use gssm_runtime::scalar::Dtype;
use gssm_runtime::tokens::Tokens;
use gssm_runtime::truth::running_products;
use gssm_runtime::valid::{validate, ValidModel};
use std::collections::HashMap;

/// Verification work (states × tokens) above which the verifier is skipped:
/// its cost is that of the model the file describes, not a loader property.
const VERIFY_BUDGET: usize = 1 << 14;

/// Most labels [`exercise`] parses back (parsing is linear in the labels).
const PARSE_LABELS: usize = 64;

pub fn load(bytes: &[u8]) {
    let limits = LoadLimits::default();
    let loaded = format::load(bytes, &limits);
    // `load` is `decode` then `validate`: the same model, or the same kind
    // of error. Not the same message: where several tensors are wrong, the
    // one named depends on hash order (see docs/fuzzing.md).
    let parts = decode(bytes).and_then(|m| validate(m, &limits));
    match (&loaded, &parts) {
        (Ok(a), Ok(b)) => assert!(a == b, "load and decode + validate give different models"),
        (Err(a), Err(b)) => assert_eq!(
            std::mem::discriminant(a),
            std::mem::discriminant(b),
            "load and decode + validate fail differently: {a} / {b}"
        ),
        _ => panic!(
            "load and decode + validate disagree: {:?} / {:?}",
            loaded.as_ref().err(),
            parts.as_ref().err()
        ),
    }
    if let Ok(model) = loaded {
        exercise(&model, bytes);
    }
}

/// Run everything that consumes a validated model; `salt` picks the tokens.
pub fn exercise(model: &ValidModel, salt: &[u8]) {
    let v = model.num_tokens();
    let n = model.order();
    let (batch, len) = (3, 6);
    let bos = model.manifest.bos;
    let ids: Vec<u32> = (0..batch * len)
        .map(|i| {
            let b = salt
                .get(salt.len().wrapping_sub(1 + i))
                .copied()
                .unwrap_or(i as u8);
            match bos {
                // A start-token model's sequences begin with it.
                Some(s) if i % len == 0 => s,
                _ => (b as usize % v) as u32,
            }
        })
        .collect();
    let toks = Tokens::new(model, batch, len, ids)
        .expect("ids below the token count, led by the start token, are valid");
    // A diagonal stack always decodes to an element; a cell's state may
    // decode to none where floats have drifted (and an RNN's logits may all
    // be NaN in a narrow dtype), which the executors report as UNDECODABLE.
    let diagonal = model.diagonal().is_some();
    let in_range = |y: u32| (y as usize) < n || (!diagonal && y == UNDECODABLE);
    let mut reference = Vec::new();
    for dt in Dtype::ALL {
        let out = build(model, Backend::Reference, dt)
            .expect("the reference executor always builds")
            .run(&toks)
            .expect("the reference executor runs");
        assert_eq!(out.len(), batch * len);
        assert!(
            out.iter().all(|&y| in_range(y)),
            "output class outside the group"
        );
        reference.push((dt, out));
    }
    // The JIT runs native code on the loaded tables: whatever the file
    // said, it must stay in bounds, and where no state can come near a
    // decision boundary it must decode exactly what the reference does.
    let comparable = on_lattice(model);
    for (dt, want) in reference
        .iter()
        .filter(|(dt, _)| matches!(dt, Dtype::F32 | Dtype::F64))
    {
        let jit = match build(model, Backend::Jit, *dt) {
            Ok(jit) => jit,
            // The JIT runs diagonal stacks only, and must say so.
            Err(ExecError::UnsupportedTarget { .. }) if !diagonal => continue,
            Err(e) if !diagonal => {
                panic!("the JIT refuses a one-layer cell with the wrong error: {e}")
            }
            Err(_) => continue,
        };
        assert!(
            diagonal,
            "the JIT built a model that is not a diagonal stack"
        );
        let out = jit.run(&toks).expect("the JIT runs a validated batch");
        assert_eq!(out.len(), batch * len);
        assert!(
            out.iter().all(|&y| (y as usize) < n),
            "JIT output class outside the group"
        );
        if comparable {
            assert_eq!(
                &out, want,
                "JIT {dt:?} differs from the reference on a model without near-boundary states"
            );
        }
    }
    let truth = running_products(model, &toks);
    assert!(truth.iter().all(|&y| (y as usize) < n));

    // Labels, ids and junk as the CLI reads them. Validated labels are
    // unique words, never numbers, so each reads back as its own id.
    // A start-token model's sequence begins with the start token (its
    // label, `<bos>`, is the last one).
    let labels = &model.manifest.tokens;
    let shown = labels.len().min(PARSE_LABELS);
    let lead: Vec<u32> = bos.into_iter().collect();
    let mut text = lead
        .iter()
        .map(|&b| labels[b as usize].as_str())
        .chain(labels[..shown].iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ");
    text.push_str(&format!(" {}", v - 1));
    let parsed = Tokens::parse(model, &text).expect("a model's own labels and ids parse");
    let want: Vec<u32> = lead
        .iter()
        .copied()
        .chain(0..shown as u32)
        .chain([v as u32 - 1])
        .collect();
    assert_eq!(
        parsed.ids(),
        want,
        "labels parse to their own ids: {text:?}"
    );
    text.push_str(&format!(" {v} \u{0}"));
    assert!(
        Tokens::parse(model, &text).is_err(),
        "id {v} is out of range"
    );

    // What `gssm verify` runs on a loaded file.
    if verify_work(model) <= VERIFY_BUDGET {
        let _ = proof(model);
        let _ = exhaustive_cpu::<f32>(model, if v <= 8 { 2 } else { 1 });
    }

    // Whatever the loader accepts, the writer writes back to the same model,
    // and validating it again changes nothing.
    let bytes = encode(model).expect("an accepted model encodes");
    let again = format::load(&bytes, &LoadLimits::default()).expect("a re-encoded model loads");
    assert!(again == *model, "load(encode(model)) differs from model");
    let revalidated = validate(again.into_model(), &LoadLimits::default())
        .expect("a validated model validates again");
    assert!(revalidated == *model, "validate changed a valid model");
}

/// Whether every transition and initial state sits on its modulus' lattice
/// of phases (a = exp(2πi·k/n) for some k, h0 of magnitude near 1 on such a
/// phase, b = 0), with every n ≤ 64. Then a short run keeps each state
/// within rounding of a lattice point, at least π/64 from any decision
/// boundary, so float executors must agree exactly.
///
/// With a start token (every sequence begins with it) the model starts
/// from h0 = 0 and the start token's row instead has a = 0 and b on the
/// lattice: it writes a lattice state whatever came before. Models that are
/// not diagonal stacks are never compared (the JIT refuses them).
fn on_lattice(model: &ValidModel) -> bool {
    let Some(d) = model.diagonal() else {
        return false;
    };
    let bos = model.manifest.bos.is_some();
    let near = |re: f64, im: f64, n: u32, mag: (f64, f64)| {
        let r = re.hypot(im);
        let t = im.atan2(re) * n as f64 / std::f64::consts::TAU;
        (mag.0..=mag.1).contains(&r) && (t - t.round()).abs() < 1e-5
    };
    d.layers.iter().all(|l| {
        let w = l.width();
        let start = |k: usize| bos && k / w == l.num_tokens - 1;
        l.moduli.iter().all(|&n| n <= 64)
            && (0..l.a_re.len()).all(|k| {
                let n = l.moduli[k % w];
                if start(k) {
                    l.a_re[k] == 0.0
                        && l.a_im[k] == 0.0
                        && near(l.b_re[k], l.b_im[k], n, (0.5, 2.0))
                } else {
                    near(l.a_re[k], l.a_im[k], n, (1.0 - 1e-6, 1.0 + 1e-6))
                        && l.b_re[k] == 0.0
                        && l.b_im[k] == 0.0
                }
            })
            && (0..w).all(|j| {
                if bos {
                    l.h0_re[j] == 0.0 && l.h0_im[j] == 0.0
                } else {
                    near(l.h0_re[j], l.h0_im[j], l.moduli[j], (0.5, 2.0))
                }
            })
    })
}

/// Rough cost of the proof and a length-2 exhaustive check on `model`:
/// states (or, for a cell, group elements) × tokens × the work of one step.
fn verify_work(model: &ValidModel) -> usize {
    let v = model.num_tokens();
    let (states, step) = match &model.net {
        // Without a readout the joint code is the output: |G| states.
        Net::Diagonal(d) => (
            d.readout.as_ref().map_or(model.order(), Vec::len),
            d.layers.len().max(1),
        ),
        Net::Pd(c) => (model.order(), c.action.degree()),
        Net::Delta(c) => (
            model.order(),
            (c.k.len() / v.max(1)).saturating_add(c.basis.len()),
        ),
        Net::Rnn(c) => (
            model.order(),
            c.weight_hh
                .len()
                .saturating_add(c.readout_weight.len())
                .saturating_add(c.hidden()),
        ),
    };
    states.saturating_mul(v).saturating_mul(step.max(1))
}

/// Limits for elaboration under fuzzing: the same mechanisms as the
/// defaults, scaled down so one input takes milliseconds, not seconds.
pub const FUZZ_GROUP_LIMITS: Limits = Limits {
    max_elements: 512,
    max_cosets: 50_000,
    max_word_len: 10_000,
    max_memory: 256 << 20,
    // About a millisecond of chain building or collection each.
    max_chain_work: 1 << 22,
    max_pc_work: 1 << 16,
};

/// Largest rendering of one diagnostic: excerpts, messages and hints are
/// cut to bounded sizes whatever the source, so anything near this is a
/// renderer that echoes unbounded input.
const MAX_RENDERED_BYTES: usize = 256 << 10;

/// Render a diagnostic, as the CLI would print it, and check its size.
fn render(d: &Diagnostic) {
    let text = render_plain(d);
    assert!(
        text.len() <= MAX_RENDERED_BYTES,
        "a diagnostic rendered to {} bytes: {}",
        text.len(),
        d.message.chars().take(200).collect::<String>()
    );
}

/// Largest group compiled end to end after elaboration.
const COMPILE_ORDER: usize = 24;

/// Parse, load and elaborate `text` as `main.gssm` (imports from memory: a
/// small library, and the main file itself for import cycles), then every
/// definition with small arguments picked by `salt`, and a product of two
/// definitions as the CLI's GROUP argument.
pub fn elaborate(text: &str, salt: &[u8]) {
    let files = HashMap::from([
        (
            "lib.gssm".to_string(),
            "import \"families\"\ngroup L = Dihedral(6)\ngroup M(n) = < a | a^n >\n".to_string(),
        ),
        ("main.gssm".to_string(), text.to_string()),
    ]);
    let program = match load_sources("main.gssm", text, &files, &FUZZ_GROUP_LIMITS) {
        Ok(p) => p,
        Err(d) => {
            render(&d);
            return;
        }
    };
    let defs = program.definitions();
    let mut salt = salt.iter().rev().copied();
    // Elaboration that fails (e.g. a presentation of an infinite group,
    // which runs coset enumeration to its work limit) is not repeated below.
    let mut all_built = true;
    for def in defs.iter().take(6) {
        let args: Vec<i64> = match &def.params {
            None => vec![],
            Some(ps) => ps
                .iter()
                .map(|_| salt.next().map_or(4, |b| b as i64 % 10))
                .collect(),
        };
        let pick = salt.next().unwrap_or(0);
        // A plain definition as `gssm check` and `gssm compile` elaborate
        // it: listed, or past the element limit kept unlisted.
        all_built &= match &def.params {
            None => match program.eval_to_check(&def.name) {
                Ok(Checked::Listed(e)) => built(Ok(e), pick),
                r => beyond(r, pick),
            },
            Some(_) => built(program.group(Some(&def.name), &args), pick),
        };
    }
    // A product as the CLI's GROUP argument, over plain definitions.
    let plain: Vec<&str> = defs
        .iter()
        .filter(|d| d.params.is_none())
        .map(|d| d.name.as_str())
        .take(2)
        .collect();
    if all_built && !plain.is_empty() {
        built(program.eval(&plain.join(" x ")), salt.next().unwrap_or(0));
    }
    // The default group's own error paths: no group, or parameters needed.
    if defs.last().is_none_or(|d| d.params.is_some()) {
        built(program.group(None, &[]), salt.next().unwrap_or(0));
    }
}

/// Largest group past the element limit compiled end to end (the proof's
/// cross-check searches its states).
const COMPILE_BEYOND_ORDER: u32 = 4096;

/// A group past the element limit (a stabiliser chain or a pc
/// presentation): its structure report, and for a small one every model
/// that compiles passes its proof and loads back the same. Whether it was
/// built, as for [`built`].
fn beyond(r: Result<Checked, Diagnostic>, pick: u8) -> bool {
    let c = match r {
        Ok(Checked::Listed(e)) => return built(Ok(e), pick),
        Ok(c) => c,
        Err(d) => {
            render(&d);
            return false;
        }
    };
    for w in c.warnings() {
        render(w);
    }
    if let Err(d) = check_any(&c) {
        render(&d);
    }
    if c.order() > COMPILE_BEYOND_ORDER.into() {
        return true;
    }
    let opts = Options {
        alphabet: Alphabet::Generators {
            inverses: pick & 1 != 0,
        },
        dtype: if pick & 2 == 0 {
            FloatDtype::F32
        } else {
            FloatDtype::F64
        },
        bos: pick & 4 != 0,
        coordinates: Coordinates::Invariant,
    };
    for t in target::all() {
        match compile_checked(&c, t, &opts, &FUZZ_GROUP_LIMITS) {
            Ok((model, bytes)) => {
                let report = proof(&model);
                assert!(
                    report.ok,
                    "{} compiled for {} fails its proof: {report:?}",
                    c.name(),
                    t.name()
                );
                let loaded =
                    format::load(&bytes, &LoadLimits::default()).expect("a compiled model loads");
                assert!(loaded == model, "a compiled model loads back different");
            }
            Err(d) => render(&d),
        }
    }
    true
}

/// Check an elaboration's outcome; whether it built a group. `pick` chooses
/// the alphabet, dtype and start token compiled (all change the labels and
/// floats the loader checks).
fn built(r: Result<Elaborated, Diagnostic>, pick: u8) -> bool {
    let e = match r {
        Ok(e) => e,
        Err(d) => {
            render(&d);
            return false;
        }
    };
    for w in &e.warnings {
        render(w);
    }
    let g = &e.group;
    assert!(
        g.order() <= FUZZ_GROUP_LIMITS.max_elements,
        "{} has order {} past the element limit",
        g.name,
        g.order()
    );
    if g.order() > COMPILE_ORDER {
        return true;
    }
    let origin = e.origin();
    let alphabet = match pick % 3 {
        0 => Alphabet::Elements,
        1 => Alphabet::Generators { inverses: false },
        _ => Alphabet::Generators { inverses: true },
    };
    let dtype = if pick & 4 == 0 {
        FloatDtype::F32
    } else {
        FloatDtype::F64
    };
    let opts = Options {
        alphabet,
        dtype,
        bos: pick & 8 != 0,
        coordinates: if pick & 16 == 0 {
            Coordinates::Invariant
        } else {
            Coordinates::Primary
        },
    };
    for t in target::all() {
        match compile(g, &origin, t, &opts) {
            Ok((model, bytes)) => {
                let report = proof(&model);
                assert!(
                    report.ok,
                    "{} compiled for {} fails its proof: {report:?}",
                    g.name,
                    t.name()
                );
                if let Err(e) = same_group(&model, g) {
                    panic!(
                        "{} compiled for {} fails the source check: {e}",
                        g.name,
                        t.name()
                    );
                }
                let loaded =
                    format::load(&bytes, &LoadLimits::default()).expect("a compiled model loads");
                assert!(loaded == model, "a compiled model loads back different");
            }
            Err(d) => {
                render(&d);
            }
        }
    }
    true
}
