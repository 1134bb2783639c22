//! Automata to diagonal layers, one layer per level of the holonomy cascade
//! (`automaton::holonomy`).
//!
//! A level's local maps are permutations of its local states (from the
//! level's group H, abelian here) or constants (resets). Its layer holds a
//! local state x as (orbit of x under H, an element h of H with o·h = x for
//! the orbit's base point o): the orbit index in two-bit registers, h in
//! phase components over H's invariant factors. A permutation rotates the
//! phases and keeps the registers; a constant writes both.
//!
//! The cascade's level i reads the symbol and the states of the levels
//! above it *before* the symbol, but a layer's decoder sees the layers'
//! states *after* it. A register keeps the bit it held before its last
//! write, so the orbit index before a reset is still readable; under a
//! permutation the old state is the new one moved back. That recovers
//! every upper level's old state, except the group part of a level that
//! both rotates and resets: below such a level (when others follow) a
//! delay layer writes the level's new state into registers every step, so
//! they hold the state one step before too.
//!
//! Layer i's tokens are the reachable tuples (symbol, old states of levels
//! 0..i); its cocycle appends its own old state; the readout decodes every
//! level's current state and asks the cascade which automaton state that
//! is.

use super::{manifest_fields, Tokens};
use crate::automaton::holonomy::{Cascade, LocalMap};
use crate::automaton::Automaton;
use crate::group::perm::{compose, group_from_permutations};
use crate::group::{Elem, Group, Limits};
use crate::pipeline::{Coordinates, Options};
use crate::structure::abelian::factor;
use crate::target::Target;
use gssm_runtime::ir::{
    AutomatonInfo, AutomatonTruth, Coord, Diagonal, FloatDtype, Layer, Manifest, Model, Net, Truth,
};
use gssm_runtime::valid::{LoadLimits, TargetKind};
use gssm_runtime::values;
use std::collections::{BTreeSet, HashMap};

/// How one level's local states sit in its layer.
struct LevelCode {
    /// Number of two-bit registers holding the orbit index.
    bits: usize,
    /// H's invariant factors: one phase component each.
    moduli: Vec<u32>,
    /// H's elements as permutations of the local states, by element id.
    perms: Vec<Vec<u32>>,
    /// Element id of each permutation.
    elem_of: HashMap<Vec<u32>, Elem>,
    /// Digits (over `moduli`) of each element id.
    digits: Vec<Vec<u32>>,
    /// Element id of each code over `moduli` (mixed radix, digit 0 least).
    elem_of_code: Vec<Elem>,
    /// Per local state: its orbit index and the element carrying the
    /// orbit's base point to it.
    place: Vec<(u32, Elem)>,
    /// Base point of each orbit.
    base: Vec<u32>,
}

impl LevelCode {
    fn coords(&self) -> Vec<Coord> {
        let mut c = vec![Coord::Register; self.bits];
        c.extend(self.moduli.iter().map(|_| Coord::Phase));
        c
    }
    fn all_moduli(&self) -> Vec<u32> {
        let mut m = vec![4; self.bits];
        m.extend_from_slice(&self.moduli);
        m
    }
    /// Transition codes of a local map, per component.
    fn codes(&self, m: &LocalMap) -> Vec<u32> {
        match m {
            LocalMap::Perm(p) => {
                let e = self.elem_of[p];
                let mut c = vec![0; self.bits];
                c.extend_from_slice(&self.digits[e as usize]);
                c
            }
            LocalMap::Const(x) => {
                let (orbit, e) = self.place[*x as usize];
                let mut c: Vec<u32> = (0..self.bits).map(|b| 1 + (orbit >> b & 1)).collect();
                c.extend(
                    self.digits[e as usize]
                        .iter()
                        .zip(&self.moduli)
                        .map(|(d, n)| n + d),
                );
                c
            }
        }
    }
    /// Initial digits for local state x (registers: cur = prev).
    fn initial_digits(&self, x: u32) -> Vec<u32> {
        let (orbit, e) = self.place[x as usize];
        let mut d: Vec<u32> = (0..self.bits).map(|b| 3 * (orbit >> b & 1)).collect();
        d.extend_from_slice(&self.digits[e as usize]);
        d
    }
    /// The local state a digit vector holds now, and the orbit index held
    /// before the last write (None: not a reachable code).
    fn read(&self, digits: &[u32]) -> Option<(u32, u32)> {
        let (regs, phases) = digits.split_at(self.bits);
        let cur: u32 = regs.iter().enumerate().map(|(b, &d)| (d >> 1) << b).sum();
        let prev: u32 = regs.iter().enumerate().map(|(b, &d)| (d & 1) << b).sum();
        let base = *self.base.get(cur as usize)?;
        let mut code = 0usize;
        for (d, &n) in phases.iter().zip(&self.moduli).rev() {
            code = code * n as usize + *d as usize;
        }
        let e = self.elem_of_code[code];
        Some((self.perms[e as usize][base as usize], prev))
    }
    /// The local state before the map `m` produced `now` (with `prev_orbit`
    /// the orbit index held before the last write).
    fn before(&self, m: &LocalMap, now: u32, prev_orbit: u32) -> Option<u32> {
        match m {
            LocalMap::Perm(p) => p.iter().position(|&y| y == now).map(|x| x as u32),
            // Only a level without a group keeps no more than the orbit
            // index (each orbit one state); `plan` refuses the others here.
            LocalMap::Const(_) => self.base.get(prev_orbit as usize).copied(),
        }
    }
}

/// Bits to write 0..n in binary (0 for n ≤ 1).
fn bits_for(n: usize) -> usize {
    (usize::BITS - n.saturating_sub(1).leading_zeros()) as usize
}

/// The coding of a level whose local maps are `maps` on `size` states.
fn level_code(
    size: usize,
    maps: &[LocalMap],
    coordinates: Coordinates,
    limits: &Limits,
) -> Result<LevelCode, String> {
    let gens: Vec<Vec<u32>> = maps
        .iter()
        .filter_map(|m| match m {
            LocalMap::Perm(p) if p.iter().enumerate().any(|(i, &y)| y as usize != i) => {
                Some(p.clone())
            }
            _ => None,
        })
        .collect();
    let identity: Vec<u32> = (0..size as u32).collect();
    let (group, perms) = if gens.is_empty() {
        (Group::trivial("1"), vec![identity.clone()])
    } else {
        let names = (0..gens.len()).map(|i| format!("g{i}")).collect();
        let g = group_from_permutations("H", names, &gens, limits).map_err(|e| e.to_string())?;
        // Each element's permutation, along the Cayley graph from e.
        let mut perms: Vec<Option<Vec<u32>>> = vec![None; g.order()];
        perms[0] = Some(identity.clone());
        let mut queue = vec![0 as Elem];
        while let Some(x) = queue.pop() {
            for (j, &s) in g.generators().iter().enumerate() {
                let y = g.mul(x, s);
                if perms[y as usize].is_none() {
                    perms[y as usize] =
                        Some(compose(perms[x as usize].as_ref().unwrap(), &gens[j]));
                    queue.push(y);
                }
            }
        }
        (g, perms.into_iter().map(Option::unwrap).collect())
    };
    if !group.is_abelian() {
        return Err(format!(
            "its holonomy group (order {}) is not abelian",
            group.order()
        ));
    }
    let all: Vec<Elem> = group.elements().collect();
    let f = factor(&group, &all, &[0])?;
    let f = match coordinates {
        Coordinates::Invariant => f,
        Coordinates::Primary => f.primary(),
    };
    let digits: Vec<Vec<u32>> = (0..group.order()).map(|e| f.digits(f.code_of[e])).collect();
    let elem_of: HashMap<Vec<u32>, Elem> = perms
        .iter()
        .enumerate()
        .map(|(e, p)| (p.clone(), e as Elem))
        .collect();
    // Orbits in order of their least point, each point reached by the
    // first element (in id order) that carries the base point to it.
    let mut place = vec![(u32::MAX, 0 as Elem); size];
    let mut base = Vec::new();
    for x in 0..size {
        if place[x].0 != u32::MAX {
            continue;
        }
        let orbit = base.len() as u32;
        base.push(x as u32);
        for (e, p) in perms.iter().enumerate() {
            let y = p[x] as usize;
            if place[y].0 == u32::MAX {
                place[y] = (orbit, e as Elem);
            }
        }
    }
    let bits = bits_for(base.len());
    // A level without state to hold still needs a component.
    let bits = if bits == 0 && f.moduli.is_empty() {
        1
    } else {
        bits
    };
    Ok(LevelCode {
        bits,
        moduli: f.moduli.clone(),
        perms,
        elem_of,
        digits,
        elem_of_code: f.transversal.clone(),
        place,
        base,
    })
}

/// A layer of the model: a cascade level, or a delay layer after a level
/// that rotates and resets, holding that level's state now and one step
/// before in `bits` registers.
#[derive(Clone, Copy, Debug)]
enum Step {
    Level(usize),
    Delay(usize, usize),
}

/// Why an automaton cannot be compiled for a target.
#[derive(Debug)]
pub struct Refusal(pub String);

/// Build the model of `a` from its cascade, floats in `dtype`.
pub fn construct(
    a: &Automaton,
    cascade: &Cascade,
    target: &dyn Target,
    opts: &Options,
    limits: &Limits,
    load: &LoadLimits,
) -> Result<Model, Refusal> {
    let kind = target.kind();
    let dtype = opts.dtype;
    let depth = cascade.levels().len();
    let v0 = a.symbols.len();
    let step = |c: &[u32], s: usize| -> Vec<u32> {
        (0..depth)
            .map(|i| match cascade.local(i, s, &c[..i]) {
                LocalMap::Perm(p) => p[c[i] as usize],
                LocalMap::Const(x) => x,
            })
            .collect()
    };
    // Reachable cascade states, breadth first from the start.
    let start = cascade.start();
    let mut seen: HashMap<Vec<u32>, ()> = HashMap::from([(start.clone(), ())]);
    let mut order = vec![start.clone()];
    let mut head = 0;
    while head < order.len() {
        for s in 0..v0 {
            let next = step(&order[head], s);
            if seen.insert(next.clone(), ()).is_none() {
                if order.len() >= load.max_table {
                    return Err(Refusal(format!(
                        "the cascade reaches more than {} states",
                        load.max_table
                    )));
                }
                order.push(next);
            }
        }
        head += 1;
    }
    // Each level's local maps, and its coding.
    let mut maps: Vec<Vec<LocalMap>> = vec![Vec::new(); depth];
    for c in &order {
        for s in 0..v0 {
            for (i, mi) in maps.iter_mut().enumerate() {
                let m = cascade.local(i, s, &c[..i]);
                if !mi.contains(&m) {
                    mi.push(m);
                }
            }
        }
    }
    let mut codes = Vec::with_capacity(depth);
    let mut steps = Vec::with_capacity(depth);
    for (i, level) in cascade.levels().iter().enumerate() {
        let code = level_code(level.size, &maps[i], opts.coordinates, limits).map_err(|why| {
            Refusal(format!(
                "level {i} of the cascade cannot be one layer: {why}"
            ))
        })?;
        if let Some(&n) = code
            .moduli
            .iter()
            .find(|&&n| !kind.rotates() || !kind.allows_modulus(n))
        {
            return Err(Refusal(format!(
                "level {i} of the cascade needs a cyclic factor C{n}, which {} cannot realise",
                target.name()
            )));
        }
        steps.push(Step::Level(i));
        // A level that rotates and resets keeps no old group element: a
        // delay layer hands its old state down instead.
        let resets = maps[i].iter().any(|m| matches!(m, LocalMap::Const(_)));
        if !code.moduli.is_empty() && resets && i + 1 < depth {
            steps.push(Step::Delay(i, bits_for(level.size).max(1)));
        }
        codes.push(code);
    }
    // Each step's tokens: the reachable tuples (symbol, old states of the
    // levels above; for a delay layer also its level's new state).
    let mut tuples: Vec<BTreeSet<Vec<u32>>> = vec![BTreeSet::new(); steps.len()];
    for c in &order {
        for s in 0..v0 {
            let new = step(c, s);
            for (k, st) in steps.iter().enumerate() {
                let mut t = vec![s as u32];
                match *st {
                    Step::Level(i) => t.extend_from_slice(&c[..i]),
                    Step::Delay(i, _) => {
                        t.extend_from_slice(&c[..i]);
                        t.push(new[i]);
                    }
                }
                tuples[k].insert(t);
            }
        }
    }
    let index: Vec<HashMap<&Vec<u32>, u32>> = tuples
        .iter()
        .map(|ts| ts.iter().enumerate().map(|(k, t)| (t, k as u32)).collect())
        .collect();
    let mut layers = Vec::with_capacity(steps.len());
    let mut joint = 1usize;
    for (k, st) in steps.iter().enumerate() {
        let toks: Vec<&Vec<u32>> = tuples[k].iter().collect();
        let (moduli, coords, init) = match *st {
            Step::Level(i) => (
                codes[i].all_moduli(),
                codes[i].coords(),
                codes[i].initial_digits(start[i]),
            ),
            Step::Delay(i, bits) => (
                vec![4; bits],
                vec![Coord::Register; bits],
                (0..bits).map(|b| 3 * (start[i] >> b & 1)).collect(),
            ),
        };
        let (v, r) = (toks.len(), moduli.len());
        let num_codes: usize = moduli.iter().map(|&n| n as usize).product();
        joint = joint
            .checked_mul(num_codes)
            .filter(|&j| j <= load.max_table)
            .ok_or_else(|| {
                Refusal(format!(
                    "the readout would exceed {} entries (layer {k} has {num_codes} state codes)",
                    load.max_table
                ))
            })?;
        if num_codes.saturating_mul(v) > load.max_table {
            return Err(Refusal(format!(
                "layer {k}'s decoder would have {num_codes} × {v} entries, more than {}",
                load.max_table
            )));
        }
        let mut transition_code = Vec::with_capacity(v * r);
        for t in &toks {
            match *st {
                Step::Level(i) => transition_code.extend(codes[i].codes(&cascade.local(
                    i,
                    t[0] as usize,
                    &t[1..],
                ))),
                // Every step writes the level's new state, so the register
                // keeps the one before as well.
                Step::Delay(_, bits) => {
                    let x = t[t.len() - 1];
                    transition_code.extend((0..bits).map(|b| 1 + (x >> b & 1)));
                }
            }
        }
        let (mut a_re, mut a_im, mut b_re, mut b_im) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut phase = Vec::new();
        for (q, &c) in transition_code.iter().enumerate() {
            let (coord, n) = (coords[q % r], moduli[q % r]);
            let ((ar, ai), (br, bi)) = values::coord_transition(coord, c, n, dtype);
            a_re.push(ar);
            a_im.push(ai);
            b_re.push(br);
            b_im.push(bi);
            phase.push(if coord == Coord::Phase && c < n {
                values::phase(c, n, dtype)
            } else {
                0.0
            });
        }
        let h0: Vec<(f64, f64)> = (0..r)
            .map(|j| values::coord_h0(coords[j], init[j], moduli[j], dtype))
            .collect();
        let mut cocycle = Vec::new();
        if let Some(next) = steps.get(k + 1) {
            cocycle.reserve(num_codes * v);
            let mut digits = vec![0u32; r];
            for c in 0..num_codes {
                let mut rest = c;
                for (d, &n) in digits.iter_mut().zip(&moduli) {
                    *d = (rest % n as usize) as u32;
                    rest /= n as usize;
                }
                for t in &toks {
                    let u: Option<Vec<u32>> = match (*st, *next) {
                        // The level's old state appended.
                        (Step::Level(i), Step::Level(_)) => codes[i]
                            .read(&digits)
                            .and_then(|(now, prev)| {
                                let m = cascade.local(i, t[0] as usize, &t[1..]);
                                codes[i].before(&m, now, prev)
                            })
                            .map(|old| [&t[..], &[old]].concat()),
                        // Its new state, for the delay layer to keep.
                        (Step::Level(i), Step::Delay(..)) => codes[i]
                            .read(&digits)
                            .map(|(now, _)| [&t[..], &[now]].concat()),
                        // The delay layer's previous value replaces the new
                        // state: the level's old state.
                        (Step::Delay(..), _) => {
                            let prev: u32 =
                                digits.iter().enumerate().map(|(b, &d)| (d & 1) << b).sum();
                            Some([&t[..t.len() - 1], &[prev]].concat())
                        }
                    };
                    let id = u.and_then(|u| index[k + 1].get(&u).copied());
                    cocycle.push(id.unwrap_or(0));
                }
            }
        }
        layers.push(Layer {
            moduli,
            coords,
            num_tokens: v,
            transition_code,
            a_re,
            a_im,
            phase: kind.has_phases().then_some(phase),
            b_re,
            b_im,
            h0_re: h0.iter().map(|h| h.0).collect(),
            h0_im: h0.iter().map(|h| h.1).collect(),
            cocycle,
        });
    }
    // Readout: every level's current local state (delay layers hold
    // nothing new), then the cascade's decoding.
    let mut readout = Vec::with_capacity(joint);
    let mut state = vec![0u32; depth];
    for j in 0..joint {
        let mut rest = j;
        let mut ok = true;
        for (l, st) in layers.iter().zip(&steps) {
            let nc = l.num_codes();
            let digits = l.digits_of(rest % nc);
            rest /= nc;
            if let Step::Level(i) = *st {
                match codes[i].read(&digits) {
                    Some((x, _)) => state[i] = x,
                    None => ok = false,
                }
            }
        }
        readout.push(if ok { cascade.decode(&state) } else { 0 });
    }
    let truth = automaton_truth(a);
    if depth == 0 {
        return Err(Refusal(
            "the automaton has one state; there is nothing to track".into(),
        ));
    }
    Ok(Model {
        manifest: automaton_manifest(a, kind, dtype),
        net: Net::Diagonal(Diagonal {
            layers,
            readout: Some(readout),
        }),
        truth,
    })
}

/// The ground truth of an automaton model: the automaton itself.
pub fn automaton_truth(a: &Automaton) -> Truth {
    let s = a.states.len();
    let mut delta = Vec::with_capacity(a.symbols.len() * s);
    for (_, map) in &a.symbols {
        delta.extend_from_slice(map);
    }
    Truth::Automaton(AutomatonTruth {
        delta,
        start: a.start,
        accept: a.accept.iter().map(|&b| u32::from(b)).collect(),
    })
}

pub fn automaton_manifest(a: &Automaton, kind: TargetKind, dtype: FloatDtype) -> Manifest {
    let mut m = manifest_fields(kind, dtype);
    m.automaton = Some(AutomatonInfo {
        name: a.name.clone(),
    });
    m.tokens = a.symbols.iter().map(|(n, _)| n.clone()).collect();
    m.outputs = a.states.clone();
    m
}

/// A permutation automaton compiled as its group: the group the symbols
/// generate, with one token per symbol, read out as the start state moved
/// by the tracked element.
pub fn as_group(a: &Automaton, limits: &Limits) -> Result<(Group, Tokens, Vec<u32>), Refusal> {
    let perms: Vec<Vec<u32>> = a.symbols.iter().map(|(_, m)| m.clone()).collect();
    let names: Vec<String> = (0..perms.len()).map(|i| format!("x{i}")).collect();
    let g = group_from_permutations(&a.name, names, &perms, limits)
        .map_err(|e| Refusal(e.to_string()))?;
    // Each element's image of the start state, along the Cayley graph.
    let mut image = vec![u32::MAX; g.order()];
    image[0] = a.start;
    let mut queue = vec![0 as Elem];
    while let Some(x) = queue.pop() {
        for (j, &s) in g.generators().iter().enumerate() {
            let y = g.mul(x, s);
            if image[y as usize] == u32::MAX {
                image[y as usize] = perms[j][image[x as usize] as usize];
                queue.push(y);
            }
        }
    }
    let toks = Tokens {
        group: g
            .generators()
            .iter()
            .zip(&a.symbols)
            .map(|(&e, (name, _))| (e, name.clone()))
            .collect(),
        bos: false,
    };
    Ok((g, toks, image))
}
