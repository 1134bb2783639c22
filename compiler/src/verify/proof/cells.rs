//! Proofs for the one-layer cells. Each first rebuilds the cell from the
//! file's integer data with the construction's own functions and compares
//! every stored float bit for bit, then runs the exact semantics over the
//! reachable states: for every reachable state S (reached by a shortest
//! sequence from the start) and token x, the state after x must decode to
//! product(S)·x (the identity after a start token).

use super::{search, ProofReport, CROSS_CHECK_ORDER};
use crate::construct::{delta, pd, rnn};
use gssm_runtime::ir::{DeltaCell, GroupTruth, Numbering, PdCell, PermTruth, PointAction, RnnCell};
use gssm_runtime::valid::ValidModel;
use std::collections::HashMap;

/// The first entry where a stored tensor differs in any bit from the
/// construction's.
fn same_floats(name: &str, got: &[f64], want: &[f64]) -> Result<(), String> {
    if got.len() != want.len() {
        return Err(format!(
            "tensor `{name}` has {} entries, but the construction has {}",
            got.len(),
            want.len()
        ));
    }
    match got
        .iter()
        .zip(want)
        .position(|(a, b)| a.to_bits() != b.to_bits())
    {
        Some(i) => Err(format!(
            "tensor `{name}` entry {i} is {:e}, but the construction stores {:e}",
            got[i], want[i]
        )),
        None => Ok(()),
    }
}

fn same_ints(name: &str, got: &[u32], want: &[u32]) -> Result<(), String> {
    match got.iter().zip(want).position(|(a, b)| a != b) {
        Some(i) => Err(format!(
            "tensor `{name}` entry {i} is {}, but the construction stores {}",
            got[i], want[i]
        )),
        None if got.len() != want.len() => Err(format!(
            "tensor `{name}` has {} entries, but the construction has {}",
            got.len(),
            want.len()
        )),
        None => Ok(()),
    }
}

fn report(
    model: &ValidModel,
    r: Result<(usize, usize), (usize, usize, String)>,
    horizon: Option<String>,
) -> ProofReport {
    let dtype = model.dtype().manifest_name();
    match r {
        Ok((states, transitions)) => ProofReport {
            ok: true,
            dtype,
            states,
            transitions,
            failure: None,
            horizon,
            local: None,
        },
        Err((states, transitions, msg)) => ProofReport {
            ok: false,
            dtype,
            states,
            transitions,
            failure: Some(msg),
            horizon: None,
            local: None,
        },
    }
}

/// Exact states of an action-based cell: the coordinate of each point.
/// Decoding an exact state is looking its arrangement up among the rows.
struct Arrangements<'a> {
    rows: HashMap<&'a [u32], u32>,
    n: usize,
}

impl<'a> Arrangements<'a> {
    /// The action's rows; the validator admits an action without them only
    /// for a permutation truth, whose proof does not list arrangements.
    fn new(a: &'a PointAction) -> Self {
        let n = a.degree();
        Arrangements {
            rows: a
                .images
                .as_deref()
                .unwrap_or_default()
                .chunks_exact(n)
                .enumerate()
                .map(|(g, r)| (r, g as u32))
                .collect(),
            n,
        }
    }
    /// The arrangement after moving the content of coordinate i to
    /// `perm[i]`, and the element it decodes to.
    fn step(&self, s: &[u32], perm: &[u32]) -> (Vec<u32>, Option<u32>) {
        let next: Vec<u32> = s.iter().map(|&i| perm[i as usize]).collect();
        let g = self.rows.get(next.as_slice()).copied();
        (next, g)
    }
    fn identity(&self) -> Vec<u32> {
        (0..self.n as u32).collect()
    }
}

/// Which dtypes hold the integers 0..=n exactly (their significands).
fn exact_integers(n: usize) -> String {
    let mut ok = vec!["float64", "float32"];
    if n <= 2048 {
        ok.push("float16");
    }
    if n <= 256 {
        ok.push("bfloat16");
    }
    ok.join(", ")
}

/// The file's PD-SSM cell against the construction's, tensor by tensor.
fn same_pd(c: &PdCell, want: &PdCell) -> Result<(), String> {
    same_floats("action.points", &c.action.points, &want.action.points)
        .and_then(|()| same_ints("pd.index", &c.index, &want.index))
        .and_then(|()| same_floats("pd.diag", &c.diag, &want.diag))
        .and_then(|()| same_floats("pd.input", &c.input, &want.input))
        .and_then(|()| same_floats("pd.h0", &c.h0, &want.h0))
}

pub fn pd(model: &ValidModel, c: &PdCell) -> ProofReport {
    if let Some(p) = model.perm() {
        return pd_local(model, c, p);
    }
    let bos = model.manifest.bos.is_some();
    let n = c.action.degree();
    let images = c.action.images.as_deref().unwrap_or_default();
    let perms = pd::element_rows(images, n, &group(model).token_elements, bos);
    let r = same_pd(c, &pd::cell(Some(images), n, &perms, bos)).map_err(|e| (0, 0, e));
    let arr = Arrangements::new(&c.action);
    let r = r.and_then(|()| {
        search(model, arr.identity(), |s, x| {
            if model.manifest.bos == Some(x as u32) {
                // D = 0 and b = the points: point j at coordinate j.
                (arr.identity(), Some(0))
            } else {
                arr.step(s, &c.index[x * n..(x + 1) * n])
            }
        })
    });
    report(
        model,
        r,
        Some(format!(
            "infinite: every float the model holds or computes is 0, 1 or a point value 1..={n}, and each step multiplies by 0 or 1 and adds 0 or a point, exactly in {}",
            exact_integers(n)
        )),
    )
}

/// The proof for a permutation group without a table, local rather than a
/// search over |G| states: the cell rebuilt from the tokens' permutations
/// equals the file's bit for bit, so each group token's step moves the value
/// at coordinate j to coordinate j·x, multiplying by 1 and adding 0 (exact),
/// and a start token writes point j at coordinate j. By induction, after
/// x_1⋯x_t the state holds point j at coordinate j·(x_1⋯x_t): the points'
/// arrangement is the running product itself, which the decoder ranks with
/// the truth's own normal form (checked on load against a stabiliser chain
/// of the generators). Small groups are also searched state by state.
fn pd_local(model: &ValidModel, c: &PdCell, p: &PermTruth) -> ProofReport {
    let bos = model.manifest.bos.is_some();
    let n = c.action.degree();
    let group_tokens = p.tokens.len() - usize::from(bos);
    let perms: Vec<&[u32]> = p.tokens[..group_tokens].iter().map(Vec::as_slice).collect();
    let r = same_pd(c, &pd::cell(None, n, &perms, bos))
        .map(|()| (0, 0))
        .map_err(|e| (0, 0, e));
    let r = r.and_then(|none| {
        if model.order() > CROSS_CHECK_ORDER {
            return Ok(none);
        }
        let identity: Vec<u32> = (0..n as u32).collect();
        search(model, identity.clone(), |s, x| {
            if model.manifest.bos == Some(x as u32) {
                (identity.clone(), Some(0))
            } else {
                let next: Vec<u32> = s.iter().map(|&i| c.index[x * n + i as usize]).collect();
                let id = p.rank(&next);
                (next, id)
            }
        })
    });
    let mut rep = report(
        model,
        r,
        Some(format!(
            "infinite: every float the model holds or computes is 0, 1 or a point value 1..={n}, and each step multiplies by 0 or 1 and adds 0 or a point, exactly in {}",
            exact_integers(n)
        )),
    );
    if rep.ok {
        rep.local = Some(format!(
            "local: each of the {group_tokens} group tokens moves coordinate j to j·x, its permutation, so after x_1⋯x_t the points are arranged by the running product; the readout ranks that arrangement with the file's numbering ({}), which loading proved numbers exactly the group the generators generate (order {})",
            match &p.numbering {
                Numbering::Chain(l) => format!("a base and transversals, {} levels", l.reps.len()),
                Numbering::Series(t) => format!("a series of {} terms", t.len()),
            },
            model.order()
        ));
    }
    rep
}

pub fn delta(model: &ValidModel, c: &DeltaCell) -> ProofReport {
    let bos = model.manifest.bos.is_some();
    let n = c.action.degree();
    let v = model.num_tokens();
    let images = c.action.images.as_deref().unwrap_or_default();
    let want = delta::cell(images, n, &group(model).token_elements, bos, model.dtype());
    let r = same_floats("action.points", &c.action.points, &want.action.points)
        .and_then(|()| same_floats("delta.basis", &c.basis, &want.basis))
        .and_then(|()| same_floats("delta.offset", &c.offset, &want.offset))
        .and_then(|()| same_floats("delta.k", &c.k, &want.k))
        .and_then(|()| same_floats("delta.beta", &c.beta, &want.beta))
        .and_then(|()| same_floats("delta.v", &c.v, &want.v))
        .and_then(|()| same_floats("delta.h0", &c.h0, &want.h0))
        .map_err(|e| (0, 0, e));
    // The exact representation: each group token's reflections, (p q) along
    // (e_p − e_q)/√2 with β = 2, compose to its element's permutation.
    let group_tokens = v - usize::from(bos);
    let r = r.and_then(|()| {
        for x in 0..group_tokens {
            let g = group(model).token_elements[x] as usize;
            let perm = &images[g * n..(g + 1) * n];
            let mut at: Vec<usize> = (0..n).collect();
            for (p, q) in delta::transpositions(perm) {
                at.iter_mut().for_each(|a| {
                    if *a == p {
                        *a = q
                    } else if *a == q {
                        *a = p
                    }
                });
            }
            if at.iter().zip(perm).any(|(&a, &b)| a != b as usize) {
                return Err((
                    0,
                    0,
                    format!(
                        "token {}'s reflections do not compose to its permutation",
                        model.manifest.tokens[x]
                    ),
                ));
            }
        }
        Ok(())
    });
    let arr = Arrangements::new(&c.action);
    let r = r.and_then(|()| {
        search(model, arr.identity(), |s, x| {
            if model.manifest.bos == Some(x as u32) {
                (arr.identity(), Some(0))
            } else {
                let g = group(model).token_elements[x] as usize;
                arr.step(s, &images[g * n..(g + 1) * n])
            }
        })
    });
    let bound = delta_bound(model, c);
    report(model, r, Some(bound))
}

/// A horizon that holds for every sequence, from a forward error bound in
/// the stored dtype's arithmetic (unit roundoff u). Each reflection step
/// h ← h + (β·k)·(v − k·h) with β = 2 differs from the exact reflection of
/// the computed state by at most ε·‖h‖, ε = (2d + 10)·u: the dot product
/// (γ_d, whatever the summation order; a fused multiply-add only lowers it),
/// the rounded key (‖k̃k̃ᵀ − kkᵀ‖ ≤ 3u, doubled by β), and the three
/// elementwise operations. Padding factors (β = 0) add exactly 0. Exact
/// reflections are orthogonal, so after T tokens of at most m' non-padding
/// factors the error is at most ((1 + ε)^(m'T) − 1)·‖h0‖; the points are 1
/// apart and the basis is orthonormal, so every coordinate decodes to its
/// point while that error plus the readout's own rounding, (d + 2)·u·‖h0‖,
/// stays below 1/2.
fn delta_bound(model: &ValidModel, c: &DeltaCell) -> String {
    let u = match model.dtype() {
        gssm_runtime::ir::FloatDtype::F32 => f64::from(f32::EPSILON) / 2.0,
        gssm_runtime::ir::FloatDtype::F64 => f64::EPSILON / 2.0,
    };
    let d = c.dim();
    let v = model.num_tokens();
    let m = c.reflections(v);
    let group_tokens = v - usize::from(model.manifest.bos.is_some());
    let active = (0..group_tokens)
        .map(|t| {
            c.beta[t * m..(t + 1) * m]
                .iter()
                .filter(|&&b| b != 0.0)
                .count()
        })
        .max()
        .unwrap_or(0)
        .max(1);
    // The state the model starts from (or the start token writes).
    let want = delta::cell(
        c.action.images.as_deref().unwrap_or_default(),
        c.action.degree(),
        &group(model).token_elements,
        false,
        model.dtype(),
    );
    let norm = want
        .h0
        .iter()
        .map(|x| x * x)
        .sum::<f64>()
        .sqrt()
        .max(1e-300);
    let eps = (2.0 * d as f64 + 10.0) * u;
    let room = 0.5 - (d as f64 + 2.0) * u * norm;
    let tokens = if room <= 0.0 {
        0.0
    } else {
        ((1.0 + room / norm).ln() / (1.0 + eps).ln() / active as f64).floor()
    };
    format!(
        "at least {tokens:.0} tokens for every sequence in {} arithmetic (a forward error bound: {active} reflection(s) per token, state dimension {d}, |h0| = {norm:.3}); random runs usually go much further, see the measured horizons",
        model.dtype().manifest_name()
    )
}

pub fn rnn(model: &ValidModel, c: &RnnCell) -> ProofReport {
    let bos = model.manifest.bos.is_some();
    let n = model.order();
    let want = rnn::cell(&group(model).table, n, &group(model).token_elements, bos);
    let r = same_floats("rnn.weight_ih", &c.weight_ih, &want.weight_ih)
        .and_then(|()| same_floats("rnn.weight_hh", &c.weight_hh, &want.weight_hh))
        .and_then(|()| same_floats("rnn.bias_ih", &c.bias_ih, &want.bias_ih))
        .and_then(|()| same_floats("rnn.bias_hh", &c.bias_hh, &want.bias_hh))
        .and_then(|()| {
            same_floats(
                "rnn.readout.weight",
                &c.readout_weight,
                &want.readout_weight,
            )
        })
        .and_then(|()| same_floats("rnn.readout.bias", &c.readout_bias, &want.readout_bias))
        .map_err(|e| (0, 0, e));
    let (h, v) = (c.hidden(), model.num_tokens());
    // The state as its non-zero units (value bits); the weights are small
    // integers, so these sums are exact in f64.
    let mut one_hot = true;
    let r = r.and_then(|()| {
        search(model, Vec::<(usize, u64)>::new(), |s, x| {
            let mut next = Vec::new();
            for i in 0..h {
                let mut pre = c.weight_ih[i * v + x] + c.bias_ih[i];
                let mut rec = 0.0;
                for &(j, bits) in s {
                    rec += c.weight_hh[i * h + j] * f64::from_bits(bits);
                }
                pre += rec + c.bias_hh[i];
                if pre > 0.0 {
                    next.push((i, pre.to_bits()));
                }
            }
            one_hot &= next.len() <= 1 && next.iter().all(|&(_, b)| f64::from_bits(b) == 1.0);
            let mut best = (f64::NEG_INFINITY, None);
            for g in 0..n {
                let mut logit = c.readout_bias[g];
                for &(j, bits) in &next {
                    logit += c.readout_weight[g * h + j] * f64::from_bits(bits);
                }
                if logit > best.0 {
                    best = (logit, Some(g as u32));
                }
            }
            (next, best.1)
        })
    });
    report(
        model,
        r,
        one_hot.then_some(
            "infinite: every weight is -1, 0, 1 or 1/2 and every reachable state has at most one unit at 1, the others 0, so every sum is a small integer (or half one), exact in every dtype"
                .into(),
        ),
    )
}

/// The tracked group: the validator admits cells only for group models.
fn group(model: &ValidModel) -> &GroupTruth {
    model
        .group()
        .expect("the validator admits one-layer cells only for groups")
}
