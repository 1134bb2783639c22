//! The local proof of a diagonal stack whose truth is a group past the
//! element limit (compiled along a series of stabiliser chains, or of a pc
//! presentation's blocks): checked cell by cell of each layer's tables instead of state by
//! state, so its cost is the tables' size, not |G|·|Σ| joint states.
//!
//! The argument. Read sections σ_i: layer i's codes → G off the readout
//! (σ_i(c) is what the joint code with c at layer i and 0 elsewhere reads
//! out) and check every readout entry is σ_{k-1}(c_{k-1})·…·σ_0(c_0) (R).
//! Without a readout the truth numbers its elements along a series whose
//! terms are the layers (loading checked their sizes agree), so the joint
//! code names σ_{k-1}(c_{k-1})·…·σ_0(c_0) by the numbering's definition
//! and (R) holds without a check.
//! Layer 0's tokens mean the truth's elements (permutations, or exponent
//! vectors multiplied by collection). For every cell (c, v) of
//! layer i with c a reachable code and v a reachable token meaning z, the
//! step leads to code c' and emits token u of layer i+1; u means
//! σ_i(c)·z·σ_i(c')⁻¹, and every cell that emits u must give it the same
//! element (L_i); on the last layer σ(c)·z = σ(c') must hold outright. Then
//! P_i = σ_{k-1}·…·σ_i satisfies P_i(c)·z = P_i(c') for layer i's input z:
//! P_i(c)·z = P_{i+1}·σ_i(c)·z = P_{i+1}·z_u·σ_i(c') = P_{i+1}(c'_{>i})·σ_i(c')
//! by (L_i) and the claim one layer down. So every token multiplies the
//! read-out element by its permutation; with the initial state reading out
//! the identity, the readout is the running product of every sequence. A
//! start token must write code 0 in every layer and pass the start token
//! down, where the readout is the identity again. A stack of no layers
//! reads out one element whatever comes, so every token must be e.

use gssm_runtime::chain::{format_bytes, inverse, is_identity, Perm};
use gssm_runtime::ir::{
    cycle_notation, pc_word, Diagonal, Layer, Levels, Numbering, PcTruth, PermTruth,
};
use gssm_runtime::pc::Exps;
use gssm_runtime::values;
use std::collections::btree_map::{BTreeMap, Entry};

/// Most bytes of permutations the proof holds (sections and inverses): a
/// crafted file may have many codes on many points.
const MAX_HELD_BYTES: u128 = 1 << 32;

/// What the local proof checked.
pub(super) struct Checked {
    /// (reachable code, reachable token) cells, all layers.
    pub cells: usize,
    /// Readout entries checked; `None` without a readout.
    pub readout: Option<usize>,
}

/// Layer `l`'s code after token `v` from `code` (the exact semantics of
/// [`super::exact_step`] on one layer).
fn step(l: &Layer, code: usize, v: usize, bos: bool) -> usize {
    if bos && v + 1 == l.num_tokens {
        return 0;
    }
    let r = l.width();
    let (mut rest, mut next, mut stride) = (code, 0usize, 1usize);
    for j in 0..r {
        let n = l.moduli[j];
        let d = (rest % n as usize) as u32;
        rest /= n as usize;
        let d = values::coord_next(l.coords[j], d, l.transition_code[v * r + j], n);
        next += d as usize * stride;
        stride *= n as usize;
    }
    next
}

/// The codes of `l` reachable from `start` by `tokens` (each layer's start
/// token leads to code 0, which the caller includes when there is one).
fn reachable(l: &Layer, start: &[usize], tokens: &[usize], bos: bool) -> Vec<usize> {
    let mut seen = vec![false; l.num_codes()];
    let mut queue: Vec<usize> = Vec::new();
    for &c in start {
        if !seen[c] {
            seen[c] = true;
            queue.push(c);
        }
    }
    let mut head = 0;
    while head < queue.len() {
        let c = queue[head];
        head += 1;
        for &v in tokens {
            let next = step(l, c, v, bos);
            if !seen[next] {
                seen[next] = true;
                queue.push(next);
            }
        }
    }
    queue.sort_unstable();
    queue
}

/// A normal form of the truth's group by base images: every element met
/// here is a product of the group's elements, so its images of the base
/// points determine it, and sifting them costs O(levels²) instead of
/// O(levels·n). Its numbers are the chain's, not necessarily the truth's.
struct Base<'a> {
    l: &'a Levels,
    degree: usize,
    /// Per level, point → index of the representative mapping the level's
    /// base point there (`u32::MAX`: none).
    index: Vec<Vec<u32>>,
    /// Per level, the representatives' inverses.
    inv: Vec<Vec<Perm>>,
}

impl<'a> Base<'a> {
    fn new(l: &'a Levels, degree: usize) -> Self {
        let index = l
            .base
            .iter()
            .zip(&l.reps)
            .map(|(&b, reps)| {
                let mut ix = vec![u32::MAX; degree];
                for (d, u) in reps.iter().enumerate() {
                    ix[u[b as usize] as usize] = d as u32;
                }
                ix
            })
            .collect();
        let inv = l
            .reps
            .iter()
            .map(|reps| reps.iter().map(|u| inverse(u)).collect())
            .collect();
        Base {
            l,
            degree,
            index,
            inv,
        }
    }

    /// g's images of the base points.
    fn images(&self, g: &[u32]) -> Vec<u32> {
        self.l.base.iter().map(|&b| g[b as usize]).collect()
    }

    /// The element with number `id` in this normal form.
    fn unrank(&self, id: u32) -> Perm {
        self.l.unrank(self.degree, u64::from(id))
    }

    /// The id of the group element with base images `img`.
    fn rank(&self, img: &[u32]) -> Option<u32> {
        let mut h = img.to_vec();
        let (mut id, mut radix) = (0u64, 1u64);
        for l in 0..h.len() {
            let d = self.index[l][h[l] as usize];
            if d == u32::MAX {
                return None;
            }
            let u_inv = &self.inv[l][d as usize];
            for x in &mut h[l + 1..] {
                *x = u_inv[*x as usize];
            }
            id += u64::from(d) * radix;
            radix *= self.l.reps[l].len() as u64;
        }
        u32::try_from(id).ok()
    }
}

/// What the walk over the layers' cells multiplies: a truth's elements,
/// with a key that compares cocycle values.
trait Algebra {
    type Elem: Clone;
    type Key: Ord + Clone;
    /// Per layer: its sections made ready for the steps' products.
    type Layer;
    /// The element numbered `id` (below the order).
    fn unrank(&self, id: u32) -> Self::Elem;
    fn token(&self, v: usize) -> Self::Elem;
    fn is_identity(&self, z: &Self::Elem) -> bool;
    fn show(&self, z: &Self::Elem) -> String;
    fn layer(&self, sections: &[Self::Elem]) -> Self::Layer;
    /// σ(c)·z = σ(c').
    fn follows(&self, l: &Self::Layer, c: usize, z: &Self::Elem, next: usize) -> bool;
    /// κ = σ(c)·z·σ(c')⁻¹, as a key.
    fn kappa(&self, l: &Self::Layer, c: usize, z: &Self::Elem, next: usize) -> Self::Key;
    /// The element a key names.
    fn element(&self, k: Self::Key) -> Result<Self::Elem, String>;
}

/// Permutations, compared and ranked by their base images.
struct Perms<'a> {
    p: &'a PermTruth,
    base: Base<'a>,
}

/// σ(c) at the base points, and σ(c)⁻¹ whole: κ = σ(c)·z·σ(c')⁻¹ maps
/// base point b to σ(c')⁻¹(z(σ(c)(b))).
struct PermLayer {
    at_base: Vec<Vec<u32>>,
    inv: Vec<Perm>,
}

impl Algebra for Perms<'_> {
    type Elem = Perm;
    type Key = Vec<u32>;
    type Layer = PermLayer;
    fn unrank(&self, id: u32) -> Perm {
        self.p.unrank(id)
    }
    fn token(&self, v: usize) -> Perm {
        self.p.tokens[v].clone()
    }
    fn is_identity(&self, z: &Perm) -> bool {
        is_identity(z)
    }
    fn show(&self, z: &Perm) -> String {
        cycle_notation(z)
    }
    fn layer(&self, sections: &[Perm]) -> PermLayer {
        PermLayer {
            at_base: sections.iter().map(|s| self.base.images(s)).collect(),
            inv: sections.iter().map(|s| inverse(s)).collect(),
        }
    }
    fn follows(&self, l: &PermLayer, c: usize, z: &Perm, next: usize) -> bool {
        l.at_base[c]
            .iter()
            .zip(&l.at_base[next])
            .all(|(&x, &y)| z[x as usize] == y)
    }
    fn kappa(&self, l: &PermLayer, c: usize, z: &Perm, next: usize) -> Vec<u32> {
        l.at_base[c]
            .iter()
            .map(|&x| l.inv[next][z[x as usize] as usize])
            .collect()
    }
    fn element(&self, img: Vec<u32>) -> Result<Perm, String> {
        let id = self
            .base
            .rank(&img)
            .ok_or("internal: a cocycle element left the group")?;
        Ok(self.base.unrank(id))
    }
}

/// Exponent vectors of a validated pc presentation.
struct PcElems<'a>(&'a PcTruth);

impl PcElems<'_> {
    fn mul(&self, a: &Exps, b: &Exps) -> Exps {
        self.0
            .pc
            .mul(a, b)
            .expect("collection in a validated presentation")
    }
}

impl Algebra for PcElems<'_> {
    type Elem = Exps;
    type Key = Exps;
    /// The sections and their inverses.
    type Layer = (Vec<Exps>, Vec<Exps>);
    fn unrank(&self, id: u32) -> Exps {
        self.0.unrank(id)
    }
    fn token(&self, v: usize) -> Exps {
        self.0.tokens[v].clone()
    }
    fn is_identity(&self, z: &Exps) -> bool {
        z.iter().all(|&e| e == 0)
    }
    fn show(&self, z: &Exps) -> String {
        pc_word(z)
    }
    fn layer(&self, sections: &[Exps]) -> (Vec<Exps>, Vec<Exps>) {
        let inv = sections
            .iter()
            .map(|s| {
                self.0
                    .pc
                    .inverse(s)
                    .expect("collection in a validated presentation")
            })
            .collect();
        (sections.to_vec(), inv)
    }
    fn follows(&self, l: &Self::Layer, c: usize, z: &Exps, next: usize) -> bool {
        self.mul(&l.0[c], z) == l.0[next]
    }
    fn kappa(&self, l: &Self::Layer, c: usize, z: &Exps, next: usize) -> Exps {
        self.mul(&self.mul(&l.0[c], z), &l.1[next])
    }
    fn element(&self, k: Exps) -> Result<Exps, String> {
        Ok(k)
    }
}

/// Each layer's sections σ_i(c): what the joint code with c at layer i and
/// 0 elsewhere reads out.
fn sections<A: Algebra>(d: &Diagonal, a: &A, order: usize) -> Result<Vec<Vec<A::Elem>>, String> {
    let codes: Vec<usize> = d.layers.iter().map(Layer::num_codes).collect();
    let mut stride = 1usize;
    let mut out = Vec::with_capacity(codes.len());
    for (i, &n) in codes.iter().enumerate() {
        let s = (0..n)
            .map(|c| {
                let joint = c * stride;
                let id = d.output(joint);
                if id as usize >= order {
                    return Err(format!(
                        "code {c} of layer {i} (joint code {joint}) reads out {id}, past the group's {order} elements"
                    ));
                }
                Ok(a.unrank(id))
            })
            .collect::<Result<_, _>>()?;
        out.push(s);
        stride *= n;
    }
    Ok(out)
}

/// The local proof of a stack whose truth is a permutation group: (R) when
/// there is a readout, then the walk. `init` is each layer's initial code.
pub(super) fn check(
    d: &Diagonal,
    p: &PermTruth,
    order: usize,
    init: &[usize],
    bos: bool,
) -> Result<Checked, String> {
    // The group's chain: the truth's own, or its series' first term (none
    // for the trivial group).
    let trivial = Levels {
        base: Vec::new(),
        reps: Vec::new(),
    };
    let levels = match &p.numbering {
        Numbering::Chain(l) => l,
        Numbering::Series(terms) => terms.first().map_or(&trivial, |t| &t.chain),
    };
    let base = Base::new(levels, p.degree);
    // Every layer's sections are kept whole, twice while the readout is
    // checked (point-major there), then with one layer's inverses at a
    // time: bounded before they are built.
    let perm_bytes = 4 * p.degree as u128 + 24;
    let held = 2 * d.layers.iter().map(|l| l.num_codes() as u128).sum::<u128>() * perm_bytes;
    if held > MAX_HELD_BYTES {
        return Err(format!(
            "the local proof would hold the layers' sections as permutations, {}, more than its limit of {}: too many codes on {} points",
            format_bytes(held),
            format_bytes(MAX_HELD_BYTES),
            p.degree
        ));
    }
    let a = Perms { p, base };
    let sections = sections(d, &a, order)?;
    let readout = match &d.readout {
        Some(r) => Some(check_readout(r, &a.base, &sections)?),
        None => None,
    };
    let cells = walk(
        d,
        &a,
        &sections,
        p.tokens.len() - usize::from(bos),
        init,
        bos,
    )?;
    Ok(Checked { cells, readout })
}

/// The local proof of a stack whose truth is a pc presentation along its
/// series: the output is the joint code, which the presentation numbers as
/// the product of the layers' sections, so only the walk is left.
pub(super) fn check_pc(
    d: &Diagonal,
    p: &PcTruth,
    order: usize,
    init: &[usize],
    bos: bool,
) -> Result<Checked, String> {
    let a = PcElems(p);
    let sections = sections(d, &a, order)?;
    let cells = walk(
        d,
        &a,
        &sections,
        p.tokens.len() - usize::from(bos),
        init,
        bos,
    )?;
    Ok(Checked {
        cells,
        readout: None,
    })
}

/// (L_i) on every reachable cell of every layer; the number of cells.
fn walk<A: Algebra>(
    d: &Diagonal,
    a: &A,
    sections: &[Vec<A::Elem>],
    group_tokens: usize,
    init: &[usize],
    bos: bool,
) -> Result<usize, String> {
    let k = d.layers.len();
    if k == 0 {
        // No layer: the readout is constant, so every token must be e.
        if let Some(v) = (0..group_tokens).find(|&v| !a.is_identity(&a.token(v))) {
            return Err(format!(
                "the model has no layer, so it reads out the same element after every token, but token {v} is {}, not the identity",
                a.show(&a.token(v))
            ));
        }
    }
    // The reachable tokens of the current layer, each with its element.
    let mut tokens: Vec<(usize, A::Elem)> = (0..group_tokens).map(|v| (v, a.token(v))).collect();
    let mut cells = 0usize;
    for (i, l) in d.layers.iter().enumerate() {
        let v_count = l.num_tokens;
        let ids: Vec<usize> = tokens.iter().map(|t| t.0).collect();
        let mut start = vec![init[i]];
        if bos {
            // The start token writes code 0 (and, as loading checked,
            // passes the start token down).
            start.push(0);
        }
        let reach = reachable(l, &start, &ids, bos);
        let ready = a.layer(&sections[i]);
        let last = i + 1 == k;
        let next_tokens = if last { 0 } else { d.layers[i + 1].num_tokens };
        // Token of layer i+1 → its element's key, from the first cell that
        // emits it.
        let mut meaning: BTreeMap<usize, A::Key> = BTreeMap::new();
        for (v, z) in &tokens {
            for &c in &reach {
                cells += 1;
                let next = step(l, c, *v, bos);
                if last {
                    if !a.follows(&ready, c, z, next) {
                        return Err(format!(
                            "layer {i} (the last) goes from code {c} to code {next} on token {v}, but the element code {c} reads out times the token's is not the element code {next} reads out: the readout does not follow the token"
                        ));
                    }
                    continue;
                }
                let u = l.cocycle[next * v_count + v] as usize;
                if bos && u + 1 == next_tokens {
                    return Err(format!(
                        "tensor `layer.{i}.cocycle` entry {} (code {next}, token {v}) emits layer {}'s start token, which resets the layers below mid-sequence",
                        next * v_count + v,
                        i + 1
                    ));
                }
                let kappa = a.kappa(&ready, c, z, next);
                match meaning.entry(u) {
                    Entry::Vacant(e) => {
                        e.insert(kappa);
                    }
                    Entry::Occupied(e) if *e.get() == kappa => {}
                    Entry::Occupied(_) => {
                        return Err(format!(
                            "tensor `layer.{i}.cocycle` entry {} (code {next}, token {v}) emits token {u} of layer {}, which other cells emit for a different element: the layers below cannot track both",
                            next * v_count + v,
                            i + 1
                        ));
                    }
                }
            }
        }
        tokens = meaning
            .into_iter()
            .map(|(u, key)| Ok((u, a.element(key)?)))
            .collect::<Result<_, String>>()?;
    }
    Ok(cells)
}

/// (R): every readout entry is the product of its layers' sections, later
/// layers' first (applied first), computed at the base points only; layer
/// 0 varies fastest.
fn check_readout(readout: &[u32], base: &Base, sections: &[Vec<Perm>]) -> Result<usize, String> {
    let k = sections.len();
    let points = &base.l.base;
    // prefix[i] = (σ_{k-1}(c_{k-1})·…·σ_i(c_i)) at the base points.
    let mut digits = vec![0usize; k];
    let mut prefix: Vec<Vec<u32>> = vec![points.clone(); k + 1];
    // Sections point-major (point x of σ(c) at x·m + c), so that running
    // through layer 0's codes reads memory in order.
    let degree = base.degree;
    let by_point: Vec<Vec<u32>> = sections
        .iter()
        .map(|s| {
            let m = s.len();
            let mut t = vec![0u32; degree * m];
            for (c, sc) in s.iter().enumerate() {
                for (x, &y) in sc.iter().enumerate() {
                    t[x * m + c] = y;
                }
            }
            t
        })
        .collect();
    let update = |prefix: &mut Vec<Vec<u32>>, j: usize, c: usize| {
        let (lo, hi) = prefix.split_at_mut(j + 1);
        let (t, m) = (&by_point[j], sections[j].len());
        for (y, &x) in lo[j].iter_mut().zip(&hi[0]) {
            *y = t[x as usize * m + c];
        }
    };
    for i in (0..k).rev() {
        update(&mut prefix, i, 0);
    }
    for (joint, &got) in readout.iter().enumerate() {
        let want = base.rank(&prefix[0]).ok_or_else(|| {
            format!("internal: the sections at joint code {joint} multiply to a permutation outside the group")
        })?;
        if got != want {
            return Err(format!(
                "tensor `readout` entry {joint} reads out {} but its layers' codes {:?} name {}: the readout is not the product of its layers",
                cycle_notation(&base.unrank(got)),
                digits,
                cycle_notation(&base.unrank(want))
            ));
        }
        // The next joint code, carried like an odometer; then the changed
        // prefixes.
        let mut i = 0;
        while i < k {
            digits[i] += 1;
            if digits[i] < sections[i].len() {
                break;
            }
            digits[i] = 0;
            i += 1;
        }
        if i == k {
            break;
        }
        for j in (0..=i).rev() {
            update(&mut prefix, j, digits[j]);
        }
    }
    Ok(readout.len())
}
