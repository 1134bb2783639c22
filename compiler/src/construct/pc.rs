//! AUSSM for a pc group past the element limit (format version 7): the
//! construction of [`super::diagonal`] along the derived series, with the
//! truth a new pc presentation whose generators are the factors' sections.
//!
//! Term i's block f_{i,0}, f_{i,1}, … are lifts of the unit vectors of its
//! factor A_i = G_i/G_{i+1} ≅ Z/n_0 × Z/n_1 × …, with relative orders n_j:
//! each ⟨f_{i,j}, …, G_{i+1}⟩ is normal in G_i (A_i is abelian), so the
//! blocks in order are a polycyclic sequence of G whose exponents in block
//! i are the coordinates of A_i. The presentation's relations come from
//! sifting the sections' powers and conjugates through the blocks. The
//! truth numbers x = σ_{k-1}(c_{k-1})⋯σ_0(c_0) by its codes (see
//! `ir::PcTruth`), σ_i(c) = w_i(c) block i's word with exponents c, so
//! layer i's code of an element z of G_i is its block-i exponents, and the
//! output id is the joint code. Layer i > 0 takes as tokens the cocycle
//! values layer i-1 emits, numbered as first emitted (at most
//! |A_{i-1}|·|V_{i-1}| of them, however big G_i is); nothing is |G|-sized,
//! and each table is checked against the loader's limit before it is
//! allocated.

use super::check_entries;
use super::diagonal::layer;
use super::{manifest_fields, Alphabet};
use crate::group::pc::{Exps, Pc, PcError};
use crate::pipeline::Options;
use crate::target::pc::PcPlan;
use crate::target::Target;
use gssm_runtime::ir::{
    Diagonal, GroupInfo, Model, Net, PcTruth, Truth, BOS_LABEL, FORMAT_VERSION_PC,
};
use std::collections::HashMap;

/// The source's group: its name, pc generators' names and presentation.
pub struct PcGroup<'a> {
    pub name: &'a str,
    pub pc: &'a Pc,
}

fn internal(e: impl Into<PcError>) -> String {
    match e.into() {
        e @ PcError::Work { .. } => {
            format!("building the stack's tables: {e}; raise --max-pc-work")
        }
        e => format!("internal: collection in the series' presentation: {e}"),
    }
}

/// The presentation along the plan's series, and the map from the refined
/// presentation's elements to its exponent vectors.
struct Series<'a> {
    plan: &'a PcPlan,
    /// Per term, the sections f_{i,j} as elements of the refined
    /// presentation.
    sections: Vec<Vec<Exps>>,
}

impl Series<'_> {
    /// y's exponents along the blocks: per term, the code of y's coset
    /// (digits in the factor's moduli), then y ← w_i(c)⁻¹·y, in G_{i+1}.
    fn exponents(&self, y: &Exps) -> Result<Exps, String> {
        let pc = &self.plan.pc;
        let mut y = y.clone();
        let mut out = Vec::new();
        for (i, (q, f)) in self
            .plan
            .quotients
            .iter()
            .zip(&self.plan.factors)
            .enumerate()
        {
            let x = q
                .number(pc, &y)
                .map_err(internal)?
                .ok_or_else(|| format!("internal: an element left G_{i}"))?;
            let digits = f.digits(f.code_of[x as usize]);
            let w = self.word(i, &digits)?;
            let mut z = pc.inverse(&w).map_err(internal)?;
            pc.mul_into(&mut z, &y).map_err(internal)?;
            y = z;
            out.extend(digits);
        }
        if y.iter().any(|&e| e != 0) {
            return Err("internal: an element is left after the last term".into());
        }
        Ok(out)
    }

    /// w_i(c) = ∏_j f_{i,j}^{c_j} in the refined presentation.
    fn word(&self, i: usize, digits: &[u32]) -> Result<Exps, String> {
        let pc = &self.plan.pc;
        let mut w = pc.identity();
        for (s, &d) in self.sections[i].iter().zip(digits) {
            if d > 0 {
                let p = pc.pow(s, d as u64).map_err(internal)?;
                pc.mul_into(&mut w, &p).map_err(internal)?;
            }
        }
        Ok(w)
    }

    /// The presentation on the sections, checked consistent.
    fn presentation(&self, max_work: u64) -> Result<Pc, String> {
        let pc = &self.plan.pc;
        let gens: Vec<&Exps> = self.sections.iter().flatten().collect();
        let orders: Vec<u32> = self
            .plan
            .factors
            .iter()
            .flat_map(|f| f.moduli.iter().copied())
            .collect();
        let n = gens.len();
        let mut p = Pc::with_orders(PcTruth::names(n), orders.clone(), max_work);
        // In normal form below level m: the relation lies in ⟨f_{m+1}, …⟩.
        let normal = |m: usize, x: Exps| -> Result<Exps, String> {
            if x[..=m].iter().any(|&e| e != 0) {
                return Err(format!(
                    "internal: a relation of f{} leaves the generators after it",
                    m + 1
                ));
            }
            Ok(x)
        };
        for m in (0..n).rev() {
            let power = pc.pow(gens[m], orders[m] as u64).map_err(internal)?;
            let power = normal(m, self.exponents(&power)?)?;
            let mut conj = vec![Vec::new(); n];
            for (l, c) in conj.iter_mut().enumerate().skip(m + 1) {
                let x = crate::group::pcgs::conj(pc, gens[l], gens[m]).map_err(internal)?;
                *c = normal(m, self.exponents(&x)?)?;
            }
            p.set_level(m, power, &conj).map_err(internal)?;
        }
        p.check_consistent().map_err(internal)?;
        Ok(p)
    }
}

pub fn construct(
    g: &PcGroup,
    plan: &PcPlan,
    target: &dyn Target,
    opts: &Options,
    max_table: usize,
    max_work: u64,
) -> Result<Model, String> {
    let (alphabet, bos, dtype) = (opts.alphabet, opts.bos, opts.dtype);
    let k = plan.factors.len();
    if bos && k == 0 {
        return Err(format!(
            "{} is trivial, so the model has no layer for a start token to write",
            g.name
        ));
    }
    let Alphabet::Generators { inverses } = alphabet else {
        return Err(format!(
            "{} has {} elements, too many to make each a token; use --alphabet generators or generators+inverses",
            g.name,
            g.pc.order()
        ));
    };
    let rpc = &plan.pc;
    let mut sections = Vec::with_capacity(k);
    for (q, f) in plan.quotients.iter().zip(&plan.factors) {
        let mut unit = 1usize;
        let mut s = Vec::with_capacity(f.moduli.len());
        for &n in &f.moduli {
            s.push(q.lift(rpc, f.transversal[unit]).map_err(internal)?);
            unit *= n as usize;
        }
        sections.push(s);
    }
    let series = Series { plan, sections };
    let p = series.presentation(max_work)?;
    let terms: Vec<usize> = plan.factors.iter().map(|f| f.moduli.len()).collect();
    let mut starts = vec![0usize];
    for &b in &terms {
        starts.push(starts.last().expect("non-empty") + b);
    }
    // The source's generators, refined, then along the series.
    let named: Vec<Exps> = (0..g.pc.len())
        .map(|i| {
            let mut x = rpc.identity();
            x[plan.starts[i]] = 1;
            series.exponents(&x)
        })
        .collect::<Result<_, _>>()?;
    let mut tokens: Vec<(Exps, String)> = Vec::new();
    for (x, name) in named.iter().zip(g.pc.names()) {
        tokens.push((x.clone(), name.clone()));
        let inv = p.inverse(x).map_err(internal)?;
        if inverses && inv != *x {
            tokens.push((inv, format!("{name}^-1")));
        }
    }
    if tokens.is_empty() {
        return Err(format!("{} has no generators to make tokens of", g.name));
    }
    let mut m = manifest_fields(target.kind(), dtype);
    m.format_version = FORMAT_VERSION_PC;
    m.group = Some(GroupInfo {
        name: g.name.to_string(),
        generators: g.pc.names().to_vec(),
    });
    m.tokens = tokens.iter().map(|t| t.1.clone()).collect();
    let mut token_exps: Vec<Exps> = tokens.into_iter().map(|t| t.0).collect();
    if bos {
        m.bos = Some(token_exps.len() as u32);
        m.tokens.push(BOS_LABEL.into());
        token_exps.push(p.identity());
    }
    let group_tokens = token_exps.len() - usize::from(bos);

    // σ_i(c) = w_i(c) for every code of factor i, and its inverse.
    let words = |i: usize| -> Result<(Vec<Exps>, Vec<Exps>), String> {
        let f = &plan.factors[i];
        let mut w = Vec::with_capacity(f.order());
        let mut w_inv = Vec::with_capacity(f.order());
        for c in 0..f.order() {
            let mut x = p.identity();
            x[starts[i]..starts[i + 1]].copy_from_slice(&f.digits(c as u32));
            w_inv.push(p.inverse(&x).map_err(internal)?);
            w.push(x);
        }
        Ok((w, w_inv))
    };
    let mut layers = Vec::with_capacity(k);
    // Layer i's tokens, as elements of G_i: the group tokens, then the
    // cocycle values layer i-1 emits, numbered as first emitted (at most
    // |A_{i-1}|·|V_{i-1}| of them, however big G_i is).
    let mut inputs: Vec<Exps> = token_exps[..group_tokens].to_vec();
    for (i, f) in plan.factors.iter().enumerate() {
        let count = inputs.len();
        let v = count + usize::from(bos);
        // Layer i's code of z ∈ G_i: its block-i exponents.
        let codes: Vec<u32> = inputs
            .iter()
            .map(|z| f.code(&z[starts[i]..starts[i + 1]]))
            .collect();
        let mut next: Vec<Exps> = Vec::new();
        let cocycle = if i + 1 < k {
            let cells = check_entries(
                || {
                    format!(
                        "layer {i}'s cocycle table ({} codes × {v} tokens)",
                        f.order()
                    )
                },
                f.order() as u128 * v as u128,
                max_table,
            )?;
            let (w, w_inv) = words(i)?;
            let mut index: HashMap<Exps, u32> = HashMap::new();
            let mut table = vec![0u32; cells];
            for (t, x) in inputs.iter().enumerate() {
                for c in 0..f.order() {
                    // κ = σ(before)·x·σ(c)⁻¹, in G_{i+1}.
                    let before = f.sub(c as u32, codes[t]) as usize;
                    let mut kappa = w[before].clone();
                    p.mul_into(&mut kappa, x).map_err(internal)?;
                    p.mul_into(&mut kappa, &w_inv[c]).map_err(internal)?;
                    if kappa[..starts[i + 1]].iter().any(|&e| e != 0) {
                        return Err(format!(
                            "internal: a cocycle value of layer {i} left G_{}",
                            i + 1
                        ));
                    }
                    let id = *index.entry(kappa).or_insert_with_key(|kappa| {
                        next.push(kappa.clone());
                        next.len() as u32 - 1
                    });
                    table[c * v + t] = id;
                }
            }
            if bos {
                // Start token → the next layer's start token (its last id).
                for c in 0..f.order() {
                    table[c * v + count] = next.len() as u32;
                }
            }
            table
        } else {
            Vec::new()
        };
        layers.push(layer(f, &codes, bos, target, dtype, cocycle));
        inputs = next;
    }
    p.set_work_limit(u64::MAX);
    Ok(Model {
        manifest: m,
        net: Net::Diagonal(Diagonal {
            layers,
            readout: None,
        }),
        truth: Truth::Pc(PcTruth::new(p, terms, named, token_exps)),
    })
}
