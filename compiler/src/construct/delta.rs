//! DeltaProduct (fla's `GatedDeltaProduct` with `allow_neg_eigval`), one
//! layer: each token's transition is a product of at most m generalised
//! Householder factors I − β·k·kᵀ (‖k‖ = 1, β ∈ [0, 2]) realising the
//! token's permutation of a faithful action in an orthogonal
//! representation. A transposition (p q) is the reflection along
//! (e_p − e_q)/√2 with β = 2; a permutation with c cycles on n points is
//! n − c of them (selection order, below). The state lives on the sum-zero
//! subspace of each orbit (dimension d = n − #orbits, smaller than the
//! permutation representation's n), in a Helmert basis; points are read
//! back as x = basis·h + offset. Floats are not exact here: the proof checks
//! the exact representation and every stored bit; the horizon is measured.

use super::{cell_model, points, Tokens};
use crate::group::Group;
use gssm_runtime::ir::{DeltaCell, FloatDtype, Model, Net, PointAction};
use gssm_runtime::valid::TargetKind;

/// The orbits of the action, each sorted, in order of least point.
pub fn orbits(images: &[u32], degree: usize) -> Vec<Vec<usize>> {
    let n = degree;
    let mut root: Vec<usize> = (0..n).collect();
    fn find(root: &mut [usize], mut x: usize) -> usize {
        while root[x] != x {
            root[x] = root[root[x]];
            x = root[x];
        }
        x
    }
    for row in images.chunks_exact(n.max(1)) {
        for (j, &y) in row.iter().enumerate() {
            let (a, b) = (find(&mut root, j), find(&mut root, y as usize));
            if a != b {
                root[a.max(b)] = a.min(b);
            }
        }
    }
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut at = vec![usize::MAX; n];
    for j in 0..n {
        let r = find(&mut root, j);
        if at[r] == usize::MAX {
            at[r] = out.len();
            out.push(Vec::new());
        }
        out[at[r]].push(j);
    }
    out
}

/// Transpositions (p, q), applied in order, that move the content of
/// coordinate j to coordinate `perm[j]`: selection order, n − #cycles of
/// them.
pub fn transpositions(perm: &[u32]) -> Vec<(usize, usize)> {
    let n = perm.len();
    // cur[pos] = which original coordinate's content sits at pos.
    let mut cur: Vec<usize> = (0..n).collect();
    let mut want = vec![0usize; n];
    for (j, &p) in perm.iter().enumerate() {
        want[p as usize] = j;
    }
    let mut where_is: Vec<usize> = (0..n).collect();
    let mut out = Vec::new();
    for p in 0..n {
        if cur[p] != want[p] {
            let q = where_is[want[p]];
            out.push((p, q));
            cur.swap(p, q);
            where_is[cur[p]] = p;
            where_is[cur[q]] = q;
        }
    }
    out
}

/// The Helmert basis of each orbit's sum-zero subspace, as an n × d matrix
/// in f64 (row-major), and the offsets (each orbit's mean point value).
fn basis(orbits: &[Vec<usize>], pts: &[f64]) -> (Vec<f64>, Vec<f64>, usize) {
    let n = pts.len();
    let d: usize = orbits.iter().map(|o| o.len() - 1).sum();
    let mut u = vec![0.0; n * d];
    let mut offset = vec![0.0; n];
    let mut col = 0;
    for o in orbits {
        let mean = o.iter().map(|&j| pts[j]).sum::<f64>() / o.len() as f64;
        for &j in o {
            offset[j] = mean;
        }
        for t in 1..o.len() {
            let s = ((t * (t + 1)) as f64).sqrt();
            for &j in &o[..t] {
                u[j * d + col] = 1.0 / s;
            }
            u[o[t] * d + col] = -(t as f64) / s;
            col += 1;
        }
    }
    (u, offset, d)
}

/// Reflections per token: the most any group token needs (at least 1), and
/// with a start token at least d, which it uses to write the state
/// coordinate by coordinate.
pub fn reflections(images: &[u32], degree: usize, token_elements: &[u32], bos: bool) -> usize {
    let group_tokens = token_elements.len() - usize::from(bos);
    let most = token_elements[..group_tokens]
        .iter()
        .map(|&g| transpositions(&images[g as usize * degree..(g as usize + 1) * degree]).len())
        .max()
        .unwrap_or(0)
        .max(1);
    if bos {
        let d: usize = orbits(images, degree).iter().map(|o| o.len() - 1).sum();
        most.max(d)
    } else {
        most
    }
}

/// The cell for an action (`images[g * n + j]` = j·g) and the tokens'
/// elements, every float computed in f64 and rounded once to `dtype`.
pub fn cell(
    images: &[u32],
    degree: usize,
    token_elements: &[u32],
    bos: bool,
    dtype: FloatDtype,
) -> DeltaCell {
    let n = degree;
    let pts = points(n);
    let orbits = orbits(images, n);
    let (u, offset, d) = basis(&orbits, &pts);
    let m = reflections(images, n, token_elements, bos);
    let v = token_elements.len();
    let group_tokens = v - usize::from(bos);
    let rd = |x: f64| dtype.round(x);
    // h0 = basisᵀ (points − offset), in f64 then rounded.
    let h0: Vec<f64> = (0..d)
        .map(|c| {
            (0..n)
                .map(|j| u[j * d + c] * (pts[j] - offset[j]))
                .sum::<f64>()
        })
        .collect();
    let unit = |c: usize| (0..d).map(move |i| f64::from(u8::from(i == c)));
    let mut k = Vec::with_capacity(v * m * d);
    let mut beta = Vec::with_capacity(v * m);
    let mut vals = Vec::with_capacity(v * m);
    let s2 = std::f64::consts::SQRT_2;
    for &g in &token_elements[..group_tokens] {
        let ts = transpositions(&images[g as usize * n..(g as usize + 1) * n]);
        for &(p, q) in &ts {
            k.extend((0..d).map(|c| rd((u[p * d + c] - u[q * d + c]) / s2)));
            beta.push(2.0);
            vals.push(0.0);
        }
        for _ in ts.len()..m {
            k.extend(unit(0));
            beta.push(0.0);
            vals.push(0.0);
        }
    }
    if bos {
        for (r, &x) in h0.iter().enumerate() {
            k.extend(unit(r));
            beta.push(1.0);
            vals.push(rd(x));
        }
        for _ in d..m {
            k.extend(unit(d - 1));
            beta.push(0.0);
            vals.push(0.0);
        }
    }
    DeltaCell {
        action: PointAction {
            images: Some(images.to_vec()),
            points: pts,
        },
        basis: u.iter().map(|&x| rd(x)).collect(),
        offset: offset.iter().map(|&x| rd(x)).collect(),
        k,
        beta,
        v: vals,
        h0: if bos {
            vec![0.0; d]
        } else {
            h0.iter().map(|&x| rd(x)).collect()
        },
    }
}

pub fn construct(
    g: &Group,
    images: &[u32],
    degree: usize,
    toks: &Tokens,
    dtype: FloatDtype,
) -> Result<Model, String> {
    if orbits(images, degree).iter().all(|o| o.len() == 1) {
        return Err(format!(
            "{} acts trivially on every point, so the DeltaProduct state has dimension 0",
            g.name
        ));
    }
    let elements = toks.elements();
    let net = Net::Delta(cell(images, degree, &elements, toks.bos, dtype));
    Ok(cell_model(g, TargetKind::DeltaProduct, dtype, toks, net))
}
