//! The holonomy decomposition (Eilenberg; Egri-Nagy and Nehaniv's SgpDec):
//! an automaton as a cascade of permutation-reset levels.
//!
//! Sets of states: the extended image set I holds Q, every image Q·m of a
//! monoid element m, and every singleton. P subducts R (P ⊑ R) when
//! P ⊆ R·m for some m (the identity included); the equivalence classes of
//! ⊑ among images are the strongly connected components of the graph
//! P → P·s. A singleton has height 0, any other set one more than the
//! highest set strictly below it. The tiles of a set are its maximal proper
//! subsets in I; a tile is strictly below its set, so heights fall along a
//! chain of tiles Q = P₀ ⊃ P₁ ⊃ … ⊃ {q}, a tile chain, which is what a
//! cascade state encodes.
//!
//! Each class has a representative R, and each member P a transport map
//! ρ_P (a monoid element) carrying P bijectively onto R; ρ_P carries the
//! tiles of P onto the tiles of R. Level i of the cascade stands for
//! height h = depth − i: its local states are the tiles of the
//! representatives of height h, one block per representative. A tile
//! chain sets the level of each of its non-singleton sets P to the tile
//! after P, carried into R by ρ_P; the levels a chain skips are "don't
//! care".
//!
//! On a symbol s the new chain is built top down from the old one (see
//! [`Cascade::maps`]): where a set P of the old chain is carried by s onto
//! the current new set P′ of the same height (so P ≡ P′), the level
//! permutes the tiles of R as ρ_P⁻¹·s·ρ_P′ does — an element of the
//! holonomy group of R; otherwise it resets to a tile of P′ containing the
//! image of the old chain. Each decision reads only the old sets above
//! the new set's height, so a level's map depends on the levels above it
//! alone: the cascade is a plain deterministic automaton in which every
//! local map is a permutation or a constant.

use super::Automaton;
use crate::group::{GroupError, Limits};
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HolonomyError {
    /// More than `limit` (`Limits::max_elements`) `what`.
    #[error("the holonomy decomposition needs more than {limit} {what} (raise the limit with --max-elements)")]
    TooLarge { what: &'static str, limit: usize },
    /// The transport maps would not fit `Limits::max_memory`.
    #[error("{0}")]
    Memory(GroupError),
}

/// One level of the cascade.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Level {
    /// Number of local states (the disjoint union of the tile sets of the
    /// representatives of this height).
    pub size: usize,
    /// The height of the sets whose tiles this level holds; the top level
    /// has the height of the whole state set, the last one height 1.
    pub height: usize,
}

/// How a level's local state changes on one symbol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LocalMap {
    /// The images of 0..size; the identity is `Perm(0..size)`.
    Perm(Vec<u32>),
    /// Every local state goes to this one (a reset).
    Const(u32),
}

impl LocalMap {
    pub fn apply(&self, u: u32) -> u32 {
        match self {
            LocalMap::Perm(p) => p[u as usize],
            LocalMap::Const(c) => *c,
        }
    }
}

/// The holonomy cascade of an automaton.
#[derive(Clone, Debug)]
pub struct Cascade {
    n: usize,
    /// u64 words per set.
    words: usize,
    maps: Vec<Vec<u32>>,
    /// The sets of I as bitsets, `words` apart: first the images in
    /// breadth-first order (Q is set 0), then the singletons that are no
    /// image.
    sets: Vec<u64>,
    size: Vec<u32>,
    index: HashMap<Box<[u64]>, u32>,
    /// `img[x * symbols + s]`: the set x·s.
    img: Vec<u32>,
    class: Vec<u32>,
    /// Per class: height, representative, its tiles (sets, sorted by their
    /// states), and where their block starts in the level.
    height: Vec<u32>,
    rep: Vec<u32>,
    tiles: Vec<Vec<u32>>,
    offset: Vec<u32>,
    /// Per set of height ≥ 1: ρ onto its representative, and ρ⁻¹ on the
    /// representative (`u32::MAX` elsewhere). Empty for singletons.
    rho: Vec<Vec<u32>>,
    rho_inv: Vec<Vec<u32>>,
    levels: Vec<Level>,
    /// Per level, its classes (those of its height), in block order.
    level_classes: Vec<Vec<u32>>,
    start: Vec<u32>,
}

impl Cascade {
    pub fn new(a: &Automaton, limits: &Limits) -> Result<Cascade, HolonomyError> {
        let n = a.states.len();
        let words = n.div_ceil(64);
        let maps: Vec<Vec<u32>> = a.symbols.iter().map(|(_, m)| m.clone()).collect();
        let k = maps.len();
        let too_large = |what| HolonomyError::TooLarge {
            what,
            limit: limits.max_elements,
        };

        // The images of Q, breadth first.
        let mut sets: Vec<u64> = vec![0; words];
        for q in 0..n {
            sets[q / 64] |= 1 << (q % 64);
        }
        let mut index: HashMap<Box<[u64]>, u32> = HashMap::from([(sets.clone().into(), 0)]);
        let mut img: Vec<u32> = Vec::new();
        let mut head = 0;
        while head * words < sets.len() {
            for m in &maps {
                let y = map_bits(&sets[head * words..(head + 1) * words], m, words);
                let next = index.len() as u32;
                let id = *index.entry(y.clone().into()).or_insert(next);
                if id == next {
                    if index.len() > limits.max_elements {
                        return Err(too_large("images of the state set"));
                    }
                    sets.extend_from_slice(&y);
                }
                img.push(id);
            }
            head += 1;
        }
        // The singletons that are no image complete I; their images are
        // singletons, all in I by now.
        for q in 0..n {
            let mut y = vec![0u64; words];
            y[q / 64] |= 1 << (q % 64);
            let next = index.len() as u32;
            if *index.entry(y.clone().into()).or_insert(next) == next {
                sets.extend_from_slice(&y);
            }
        }
        let count = index.len();
        let bits = |x: usize| &sets[x * words..(x + 1) * words];
        let size: Vec<u32> = (0..count)
            .map(|x| bits(x).iter().map(|w| w.count_ones()).sum())
            .collect();
        for x in head..count {
            let q = first_bit(bits(x));
            for m in &maps {
                let mut y = vec![0u64; words];
                let r = m[q] as usize;
                y[r / 64] |= 1 << (r % 64);
                img.push(index[&y[..]]);
            }
        }

        // Subduction classes among images: strongly connected components,
        // each emitted after every component it reaches.
        let (class, classes) = components(count, k, &img);
        let nc = classes.len();
        // Processing by size, then in emission order, meets every class
        // strictly below a class first: a tile is smaller, and an image of
        // equal size outside the class is reached from it.
        let mut order: Vec<usize> = (0..nc).collect();
        order.sort_by_key(|&c| size[classes[c][0] as usize]);
        let mut height = vec![0u32; nc];
        let mut rep = vec![0u32; nc];
        let mut tiles: Vec<Vec<u32>> = vec![Vec::new(); nc];
        let mut total_tiles = 0usize;
        for &c in &order {
            let r = *classes[c].iter().min().unwrap();
            rep[c] = r;
            if size[r as usize] == 1 {
                continue;
            }
            let rb = bits(r as usize);
            let mut cand: Vec<u32> = (0..count as u32)
                .filter(|&x| size[x as usize] < size[r as usize] && subset(bits(x as usize), rb))
                .collect();
            cand.sort_by_key(|&x| std::cmp::Reverse(size[x as usize]));
            // Largest first: a candidate inside no kept one is maximal.
            let mut kept: Vec<u32> = Vec::new();
            for x in cand {
                if !kept
                    .iter()
                    .any(|&t| subset(bits(x as usize), bits(t as usize)))
                {
                    kept.push(x);
                }
            }
            total_tiles += kept.len();
            if total_tiles > limits.max_elements {
                return Err(too_large("tiles"));
            }
            kept.sort_by_cached_key(|&t| states_of(bits(t as usize)));
            // Tiles of other members are equivalent to tiles of r, so the
            // tiles of r and the classes directly below stand for them all.
            let below_tiles = kept.iter().map(|&t| height[class[t as usize] as usize]);
            let (class, img) = (&class, &img);
            let below_images = classes[c]
                .iter()
                .flat_map(|&x| (0..k).map(move |s| class[img[x as usize * k + s] as usize]))
                .filter(|&d| d as usize != c)
                .map(|d| height[d as usize]);
            height[c] = 1 + below_tiles.chain(below_images).max().unwrap_or(0);
            tiles[c] = kept;
        }

        // Transport maps onto the representatives, by a search backwards
        // from each representative inside its class.
        let big: usize = (0..count).filter(|&x| size[x] > 1).count();
        limits
            .check_memory(8 * n as u128 * big as u128, || {
                "the holonomy transport maps".to_string()
            })
            .map_err(HolonomyError::Memory)?;
        let mut into: Vec<Vec<(u32, u32)>> = vec![Vec::new(); count];
        for x in 0..count {
            for s in 0..k {
                let y = img[x * k + s] as usize;
                if class[x] == class[y] && size[x] > 1 {
                    into[y].push((x as u32, s as u32));
                }
            }
        }
        let mut rho: Vec<Vec<u32>> = vec![Vec::new(); count];
        for &r in &rep {
            let r = r as usize;
            if size[r] == 1 {
                continue;
            }
            rho[r] = (0..n as u32).collect();
            let mut queue = vec![r];
            while let Some(y) = queue.pop() {
                for &(x, s) in &into[y] {
                    let x = x as usize;
                    if rho[x].is_empty() {
                        // x·s = y, so x is carried by s, then by ρ_y.
                        rho[x] = maps[s as usize]
                            .iter()
                            .map(|&q| rho[y][q as usize])
                            .collect();
                        queue.push(x);
                    }
                }
            }
        }
        let rho_inv: Vec<Vec<u32>> = (0..count)
            .map(|x| {
                if rho[x].is_empty() {
                    return Vec::new();
                }
                let mut inv = vec![u32::MAX; n];
                for q in states_of(bits(x)) {
                    inv[rho[x][q as usize] as usize] = q;
                }
                inv
            })
            .collect();

        // Levels: the top one has Q's height.
        let depth = height[class[0] as usize] as usize;
        let mut level_classes: Vec<Vec<u32>> = vec![Vec::new(); depth];
        let mut by_rep: Vec<u32> = (0..nc as u32).filter(|&c| height[c as usize] > 0).collect();
        by_rep.sort_by_key(|&c| rep[c as usize]);
        for c in by_rep {
            level_classes[depth - height[c as usize] as usize].push(c);
        }
        let mut offset = vec![0u32; nc];
        let mut levels = Vec::with_capacity(depth);
        for (i, cs) in level_classes.iter().enumerate() {
            let mut at = 0;
            for &c in cs {
                offset[c as usize] = at as u32;
                at += tiles[c as usize].len();
            }
            levels.push(Level {
                size: at,
                height: depth - i,
            });
        }
        let mut cascade = Cascade {
            n,
            words,
            maps,
            sets,
            size,
            index,
            img,
            class,
            height,
            rep,
            tiles,
            offset,
            rho,
            rho_inv,
            levels,
            level_classes,
            start: Vec::new(),
        };
        cascade.start = cascade.encode(a.start);
        Ok(cascade)
    }

    /// Top first; the depth is their number (0 for one state).
    pub fn levels(&self) -> &[Level] {
        &self.levels
    }

    pub fn depth(&self) -> usize {
        self.levels.len()
    }

    /// The map of `level` on `symbol`, given the old local states of the
    /// levels above it (`upper.len() == level`).
    pub fn local(&self, level: usize, symbol: usize, upper: &[u32]) -> LocalMap {
        assert_eq!(upper.len(), level, "one upper local state per level above");
        self.maps(symbol, upper).swap_remove(level)
    }

    /// The cascade state reached from `c` on `symbol`.
    pub fn step(&self, c: &[u32], symbol: usize) -> Vec<u32> {
        let d = self.depth();
        if d == 0 {
            return Vec::new();
        }
        self.maps(symbol, &c[..d - 1])
            .iter()
            .zip(c)
            .map(|(m, &u)| m.apply(u))
            .collect()
    }

    /// The cascade state that encodes the start state.
    pub fn start(&self) -> Vec<u32> {
        self.start.clone()
    }

    /// A cascade state decoding to `q`: the tile chain that takes the first
    /// tile (in their order) containing q at each step; skipped levels 0.
    pub fn encode(&self, q: u32) -> Vec<u32> {
        let mut c = vec![0u32; self.depth()];
        let mut cur = 0usize;
        while self.size[cur] > 1 {
            let cl = self.class[cur] as usize;
            let mut y = vec![0u64; self.words];
            let r = self.rho[cur][q as usize] as usize;
            y[r / 64] |= 1 << (r % 64);
            let t = self.first_tile_containing(cl, &y);
            c[self.level_of(cur)] = self.offset[cl] + t;
            cur = self.pull_tile(cur, t);
        }
        c
    }

    /// The state a cascade state stands for: its tile chain's singleton.
    /// A local state outside the block of the current set's representative
    /// (never reached from an encoded state) reads as that block's first
    /// tile.
    pub fn decode(&self, c: &[u32]) -> u32 {
        let mut cur = 0usize;
        while self.size[cur] > 1 {
            cur = self.pull_tile(cur, self.tile_at(cur, c[self.level_of(cur)]));
        }
        first_bit(self.bits(cur)) as u32
    }

    /// Generators of the group this level's permutations generate: per
    /// representative, its holonomy group (the permutations of its tiles
    /// induced by ρ_P⁻¹·s·ρ_{P·s} for the members P and symbols s keeping
    /// P in its class), acting on the level's blocks side by side.
    /// Identities and repeats are left out: trivial groups give none.
    pub fn level_group_generators(&self, level: usize) -> Vec<Vec<u32>> {
        let mut gens = Vec::new();
        let mut seen = HashSet::new();
        for &c in &self.level_classes[level] {
            let members = (0..self.size.len()).filter(|&x| self.class[x] == c);
            for p in members {
                for s in 0..self.maps.len() {
                    let ps = self.img_of(p, s);
                    if self.class[ps] == c {
                        let g = self.level_perm(level, p, s, ps);
                        if g.iter().enumerate().any(|(i, &j)| i as u32 != j)
                            && seen.insert(g.clone())
                        {
                            gens.push(g);
                        }
                    }
                }
            }
        }
        gens
    }

    /// The maps of levels `0..=upper.len()` (those below the depth) on
    /// `symbol`, given the old local states `upper` of the levels above
    /// the last of them.
    ///
    /// The new tile chain is built top down. Invariant: the current new
    /// set P′ contains P_i·s, and every old set before P_i is higher than
    /// P′. At P′ (height h) the old chain is scanned from P_i to the first
    /// P_j with P_j·s ⊊ P′ or height h; the sets passed over are carried
    /// onto P′ and are higher than it, so P_j is read from levels above
    /// P′'s. If P_j·s = P′ at height h, P_j ≡ P′ and s carries the tiles
    /// of P_j onto those of P′: the level permutes, and the chain goes on
    /// with P_{j+1}·s. Otherwise the level resets to the first tile of P′
    /// containing P_j·s, which the chain goes on with. A singleton ends
    /// the chain; it holds the image of the old chain's singleton.
    fn maps(&self, s: usize, upper: &[u32]) -> Vec<LocalMap> {
        let want = (upper.len() + 1).min(self.depth());
        let mut out = Vec::with_capacity(want);
        let mut old = vec![0usize];
        let mut i = 0;
        let mut cur = 0usize;
        loop {
            let h = self.height_of(cur);
            let level = self.depth() - h;
            // Levels the new chain skips: don't care.
            while out.len() < level.min(want) {
                out.push(LocalMap::Const(0));
            }
            if h == 0 || level >= want {
                return out;
            }
            let mut j = i;
            let (pj, pjs) = loop {
                let pj = self.old_set(&mut old, j, upper);
                let pjs = self.img_of(pj, s);
                if pjs != cur || self.height_of(pj) == h {
                    break (pj, pjs);
                }
                j += 1;
            };
            if pjs == cur {
                out.push(LocalMap::Perm(self.level_perm(level, pj, s, cur)));
                if out.len() == want {
                    return out;
                }
                cur = self.img_of(self.old_set(&mut old, j + 1, upper), s);
                i = j + 1;
            } else {
                let cl = self.class[cur] as usize;
                let y = map_bits(self.bits(pjs), &self.rho[cur], self.words);
                let t = self.first_tile_containing(cl, &y);
                out.push(LocalMap::Const(self.offset[cl] + t));
                cur = self.pull_tile(cur, t);
                i = j;
            }
        }
    }

    /// Set j of the old tile chain, decoding it from the upper levels as
    /// far as needed.
    fn old_set(&self, old: &mut Vec<usize>, j: usize, upper: &[u32]) -> usize {
        while old.len() <= j {
            let p = *old.last().unwrap();
            // Only levels above the one being decided are read (see maps).
            let t = self.tile_at(p, upper[self.level_of(p)]);
            old.push(self.pull_tile(p, t));
        }
        old[j]
    }

    /// The permutation of `level`'s local states that ρ_P⁻¹·s·ρ_{P′}
    /// induces on the tiles of the common representative (P·s = P′,
    /// P ≡ P′); the identity on the other blocks.
    fn level_perm(&self, level: usize, p: usize, s: usize, p2: usize) -> Vec<u32> {
        let cl = self.class[p2] as usize;
        let r = self.rep[cl] as usize;
        let mut f = vec![u32::MAX; self.n];
        for q in states_of(self.bits(r)) {
            let x = self.rho_inv[p][q as usize];
            f[q as usize] = self.rho[p2][self.maps[s][x as usize] as usize];
        }
        let mut perm: Vec<u32> = (0..self.levels[level].size as u32).collect();
        let off = self.offset[cl];
        for (t, &tile) in self.tiles[cl].iter().enumerate() {
            let y = map_bits(self.bits(tile as usize), &f, self.words);
            let image = self.index[&y[..]];
            let u = self.tiles[cl].iter().position(|&x| x == image).unwrap();
            perm[off as usize + t] = off + u as u32;
        }
        perm
    }

    /// The first tile of the class's representative containing the set
    /// `y` (a proper subset of the representative in I, which a tile
    /// contains).
    fn first_tile_containing(&self, cl: usize, y: &[u64]) -> u32 {
        let t = self.tiles[cl]
            .iter()
            .position(|&t| subset(y, self.bits(t as usize)));
        debug_assert!(t.is_some(), "a proper subset in I lies in a tile");
        t.unwrap_or(0) as u32
    }

    /// Tile `t` of the representative, carried back into the set `p`.
    fn pull_tile(&self, p: usize, t: u32) -> usize {
        let cl = self.class[p] as usize;
        let tile = self.tiles[cl][t as usize] as usize;
        let y = map_bits(self.bits(tile), &self.rho_inv[p], self.words);
        self.index[&y[..]] as usize
    }

    /// The tile of p's representative a local state names.
    fn tile_at(&self, p: usize, u: u32) -> u32 {
        let cl = self.class[p] as usize;
        let off = self.offset[cl];
        if u >= off && ((u - off) as usize) < self.tiles[cl].len() {
            u - off
        } else {
            0
        }
    }

    fn bits(&self, x: usize) -> &[u64] {
        &self.sets[x * self.words..(x + 1) * self.words]
    }

    fn img_of(&self, x: usize, s: usize) -> usize {
        self.img[x * self.maps.len() + s] as usize
    }

    fn height_of(&self, x: usize) -> usize {
        self.height[self.class[x] as usize] as usize
    }

    fn level_of(&self, x: usize) -> usize {
        self.depth() - self.height_of(x)
    }
}

/// The image of a set under a map of the states.
fn map_bits(x: &[u64], m: &[u32], words: usize) -> Vec<u64> {
    let mut y = vec![0u64; words];
    for q in states_of(x) {
        let r = m[q as usize] as usize;
        y[r / 64] |= 1 << (r % 64);
    }
    y
}

fn subset(x: &[u64], y: &[u64]) -> bool {
    x.iter().zip(y).all(|(a, b)| a & !b == 0)
}

fn states_of(x: &[u64]) -> Vec<u32> {
    let mut out = Vec::new();
    for (w, &word) in x.iter().enumerate() {
        let mut word = word;
        while word != 0 {
            out.push((w * 64) as u32 + word.trailing_zeros());
            word &= word - 1;
        }
    }
    out
}

fn first_bit(x: &[u64]) -> usize {
    let w = x.iter().position(|&w| w != 0).unwrap();
    w * 64 + x[w].trailing_zeros() as usize
}

/// Strongly connected components of the graph x → `img[x * k + s]`
/// (Tarjan's, without recursion): the component of each node, and the
/// components' members, each component listed after those it reaches.
fn components(count: usize, k: usize, img: &[u32]) -> (Vec<u32>, Vec<Vec<u32>>) {
    const NONE: u32 = u32::MAX;
    let mut num = vec![NONE; count];
    let mut low = vec![0u32; count];
    let mut on_stack = vec![false; count];
    let mut stack: Vec<u32> = Vec::new();
    let mut class = vec![NONE; count];
    let mut classes: Vec<Vec<u32>> = Vec::new();
    let mut next = 0u32;
    // Frames: (node, next edge to try).
    let mut frames: Vec<(u32, usize)> = Vec::new();
    for root in 0..count {
        if num[root] != NONE {
            continue;
        }
        frames.push((root as u32, 0));
        num[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root as u32);
        on_stack[root] = true;
        while let Some(top) = frames.last_mut() {
            let v = top.0 as usize;
            if top.1 < k {
                let w = img[v * k + top.1] as usize;
                top.1 += 1;
                if num[w] == NONE {
                    num[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w as u32);
                    on_stack[w] = true;
                    frames.push((w as u32, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(num[w]);
                }
                continue;
            }
            frames.pop();
            if let Some(&(u, _)) = frames.last() {
                low[u as usize] = low[u as usize].min(low[v]);
            }
            if low[v] == num[v] {
                let c = classes.len() as u32;
                let mut members = Vec::new();
                loop {
                    let w = stack.pop().unwrap();
                    on_stack[w as usize] = false;
                    class[w as usize] = c;
                    members.push(w);
                    if w as usize == v {
                        break;
                    }
                }
                classes.push(members);
            }
        }
    }
    (class, classes)
}
