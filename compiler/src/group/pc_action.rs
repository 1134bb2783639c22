//! The action in a semidirect product N : H kept as a pc group (an operand
//! past the element limit): each of H's pc generators as the images of N's
//! pc generators, exponent vectors of N. A pc operand's pc generators are
//! the generators the action names; a listed operand is converted through
//! its regular action, so that each of its pc generators is one of its
//! elements (the image of the identity).

use super::bsgs::pcpres::PcOfChain;
use super::pc::{Exps, Pc, PcError};
use super::perm::Perm;
use super::product::{bfs, extend_automorphism, tree_word};
use super::{Elem, Group, Word};
use std::rc::Rc;

/// An operand of the semidirect product as a pc presentation.
pub enum PcOperand {
    /// A pc group: its pc generators are its generators.
    Pc(Pc),
    /// A listed group through its regular action: each pc generator is the
    /// right multiplication by an element of it.
    Listed {
        group: Rc<Group>,
        chain: Box<PcOfChain>,
    },
    /// A trivial listed group (its generators, if any, are all e): the
    /// empty presentation.
    Trivial(Pc),
}

impl PcOperand {
    pub fn pc(&self) -> &Pc {
        match self {
            PcOperand::Pc(p) | PcOperand::Trivial(p) => p,
            PcOperand::Listed { chain, .. } => chain.pc(),
        }
    }
}

/// Why an action gives no pc presentation.
#[derive(Debug)]
pub enum PcActionError {
    /// The images given for H's generator `h_gen` extend to no
    /// automorphism of (listed) N, or disagree with the action the other
    /// generators define on it (H's relations are not respected).
    NotAutomorphism { h_gen: usize },
    /// Collection failed (its work limit, mostly).
    Pc(PcError),
}

/// The exponent vector of element `x` of a listed group converted through
/// its regular action.
fn exponents_of(g: &Group, c: &PcOfChain, x: Elem) -> Option<Exps> {
    let perm: Perm = (0..g.order() as Elem).map(|y| g.mul(y, x)).collect();
    c.exponents(&perm)
}

/// Each of H's pc generators as the images of N's pc generators, from
/// `maps[j][i]`, the image of N's generator i under H's generator j as a
/// word in N's generators. Whether these automorphisms respect H's and
/// N's relations is for the presentation's consistency check to say.
pub fn pc_action(
    n: &PcOperand,
    h: &PcOperand,
    maps: &[Vec<Word>],
) -> Result<Vec<Vec<Exps>>, PcActionError> {
    let npc = n.pc();
    let n_tree = match n {
        PcOperand::Listed { group, .. } => Some(bfs(group)),
        PcOperand::Pc(_) | PcOperand::Trivial(_) => None,
    };
    // φ_y for each of H's generators y, on N's pc generators.
    let mut phi: Vec<Vec<Exps>> = Vec::with_capacity(maps.len());
    for (j, images) in maps.iter().enumerate() {
        let auto = match n {
            PcOperand::Pc(p) => images
                .iter()
                .map(|w| p.eval(w))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| PcActionError::Pc(e.into()))?,
            PcOperand::Trivial(_) => Vec::new(),
            PcOperand::Listed { group, chain } => {
                let img: Vec<Elem> = images.iter().map(|w| group.eval_word(w)).collect();
                let tree = n_tree.as_ref().expect("built for a listed N");
                let map = extend_automorphism(group, tree, &img)
                    .map_err(|_| PcActionError::NotAutomorphism { h_gen: j })?;
                chain
                    .generators()
                    .iter()
                    .map(|g| exponents_of(group, chain, map[g[0] as usize]))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| {
                        PcActionError::Pc(PcError::Inconsistent("an element left N".into()))
                    })?
            }
        };
        phi.push(auto);
    }
    let unit: Vec<Exps> = (0..npc.len())
        .map(|k| {
            let mut x = npc.identity();
            x[k] = 1;
            x
        })
        .collect();
    match h {
        PcOperand::Pc(_) => Ok(phi),
        // Every generator of a trivial H is e, which must act trivially.
        PcOperand::Trivial(_) => match phi.iter().position(|auto| *auto != unit) {
            Some(j) => Err(PcActionError::NotAutomorphism { h_gen: j }),
            None => Ok(Vec::new()),
        },
        PcOperand::Listed { group, chain: c } => {
            let tree = bfs(group);
            let mut act = Vec::with_capacity(c.generators().len());
            for g in c.generators() {
                // Φ_{k·y} = φ_y ∘ Φ_k along the word of the element.
                let mut auto = unit.clone();
                for j in tree_word(&tree, g[0]) {
                    auto = npc
                        .compose(&auto, &phi[j])
                        .map_err(|e| PcActionError::Pc(e.into()))?;
                }
                act.push(auto);
            }
            // The pc generators' automorphisms define one of H on N; it
            // must be the one given on H's own generators, which the words
            // above need not all have met (a generator that is a word in
            // the others, or trivial).
            for (j, &y) in group.generators().iter().enumerate() {
                let right: Perm = (0..group.order() as Elem)
                    .map(|x| group.mul(x, y))
                    .collect();
                let word = c.exponents(&right).ok_or_else(|| {
                    PcActionError::Pc(PcError::Inconsistent("a generator left H".into()))
                })?;
                let mut auto = unit.clone();
                for (i, &e) in word.iter().enumerate() {
                    for _ in 0..e {
                        auto = npc
                            .compose(&auto, &act[i])
                            .map_err(|e| PcActionError::Pc(e.into()))?;
                    }
                }
                if auto != phi[j] {
                    return Err(PcActionError::NotAutomorphism { h_gen: j });
                }
            }
            Ok(act)
        }
    }
}
