//! The proof for all lengths, one module per kind of net. Diagonal stacks
//! ([`diagonal`]): run the construction on exact state codes:
//! from the initial joint state, every token moves each layer's digits by
//! its transition code; the cocycle tables carry tokens down the stack. If
//! the readout of the initial state is e and, for every reachable joint state
//! S and token x, readout(S·x) = readout(S)·x in the group, then by induction
//! the model outputs x_1⋯x_t for every sequence of every length. A stack
//! over a permutation truth (a group past the element limit) is proved
//! layer by layer instead ([`stack`]), over its tables rather than its
//! |G| joint states, and searched as a cross-check when small.
//!
//! Before that run, every other tensor a reader uses is tied to it: the group
//! table is associative (Light's test over the generators, which generate
//! every element since every output label is a word in them), and every
//! stored float — transitions, phases, input terms, initial states — equals,
//! bit for bit, the value `gssm_runtime::values` specifies for its exact
//! phase numerator in the stored dtype. So the exact run is the float model's
//! run for as long as the float arithmetic decodes each state to its code.

//!
//! One-layer cells ([`cells`]): every stored float is rebuilt from the
//! file's integer data (the action's images, the tokens' elements, the
//! group table) by the construction's own functions and compared bit for
//! bit; then the exact semantics is run over the reachable states.

mod cells;
mod diagonal;
mod stack;

/// Largest group whose reachable states a local proof also searches, as a
/// cross-check of its argument.
const CROSS_CHECK_ORDER: usize = 1 << 16;

pub use diagonal::exact_step;

use gssm_runtime::ir::{GroupTruth, Net};
use gssm_runtime::truth::next_product;
use gssm_runtime::valid::ValidModel;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ProofReport {
    pub ok: bool,
    /// The stored dtype whose values were checked bit for bit.
    pub dtype: &'static str,
    /// Reachable joint states.
    pub states: usize,
    /// (state, token) transitions checked.
    pub transitions: usize,
    /// The first failure, if any.
    pub failure: Option<String>,
    /// What the proof shows of the float model's horizon, when it shows
    /// something: infinite (exact on every reachable state) and why, or a
    /// length every sequence is right for.
    pub horizon: Option<String>,
    /// The argument, when the proof is local (checked token by token, for a
    /// group too big to search state by state); `states` and `transitions`
    /// then count the cross-check search, 0 when the group is too big for it.
    pub local: Option<String>,
}

/// Light's associativity test: (x·s)·y = x·(s·y) for every x, y and
/// generator s. The elements for which it holds are closed under products,
/// so it then holds for all.
fn check_associative(model: &ValidModel, g: &GroupTruth) -> Result<(), String> {
    let n = model.order();
    let mul = |x: u32, y: u32| g.mul(n, x, y);
    let names = model
        .manifest
        .group
        .as_ref()
        .map_or(&[][..], |i| &i.generators[..]);
    for (i, &s) in g.generators.iter().enumerate() {
        for x in 0..n as u32 {
            let xs = mul(x, s);
            for y in 0..n as u32 {
                if mul(xs, y) != mul(x, mul(s, y)) {
                    let o = &model.manifest.outputs;
                    return Err(format!(
                        "tensor `group.table` is not associative: ({}·{})·{} ≠ {}·({}·{}) for generator {}",
                        o[x as usize], o[s as usize], o[y as usize], o[x as usize], o[s as usize], o[y as usize],
                        names[i]
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Breadth-first search over exact states of type `S`, starting from
/// `start` (the state a sequence begins in, whose true output is the identity or
/// the automaton's start state).
/// `step(state, token)` gives the next exact state and the element it
/// decodes to (None: it decodes to none).
pub(super) fn search<S: Clone + Eq + std::hash::Hash>(
    model: &ValidModel,
    start: S,
    mut step: impl FnMut(&S, usize) -> (S, Option<u32>),
) -> Result<(usize, usize), (usize, usize, String)> {
    let v = model.num_tokens();
    let mut index: HashMap<S, usize> = HashMap::new();
    let mut states = vec![(start.clone(), model.initial_output())];
    let mut parent: Vec<(usize, usize)> = vec![(usize::MAX, 0)];
    index.insert(start, 0);
    let mut transitions = 0usize;
    let mut head = 0;
    while head < states.len() {
        let (s, here) = states[head].clone();
        for x in 0..v {
            let (next, got) = step(&s, x);
            let want = next_product(model, here, x as u32);
            transitions += 1;
            if got != Some(want) {
                let t = &model.manifest.tokens;
                let mut seq = vec![t[x].as_str()];
                let mut at = head;
                while at != 0 {
                    seq.push(t[parent[at].1].as_str());
                    at = parent[at].0;
                }
                seq.reverse();
                let got = got.map_or("no element".to_string(), |g| model.output_label(g));
                return Err((
                    states.len(),
                    transitions,
                    format!(
                        "after the tokens [{}] the model reads out {got} but the truth is {}",
                        seq.join(" "),
                        model.output_label(want)
                    ),
                ));
            }
            if !index.contains_key(&next) {
                index.insert(next.clone(), states.len());
                states.push((next, want));
                parent.push((head, x));
            }
        }
        head += 1;
    }
    Ok((states.len(), transitions))
}

pub fn proof(model: &ValidModel) -> ProofReport {
    if let Err(e) = model
        .group()
        .map_or(Ok(()), |g| check_associative(model, g))
    {
        return ProofReport {
            ok: false,
            dtype: model.dtype().manifest_name(),
            states: 0,
            transitions: 0,
            failure: Some(e),
            horizon: None,
            local: None,
        };
    }
    match &model.net {
        Net::Diagonal(d) => diagonal::proof(model, d),
        Net::Pd(c) => cells::pd(model, c),
        Net::Delta(c) => cells::delta(model, c),
        Net::Rnn(c) => cells::rnn(model, c),
    }
}
