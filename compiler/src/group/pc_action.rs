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
    /// right multiplication by an element of it. `chain` is `None` for the
    /// trivial group; `pc` is the presentation (the chain's, or the empty
    /// one).
    Listed {
        group: Rc<Group>,
        chain: Option<Box<PcOfChain>>,
        pc: Pc,
    },
}

impl PcOperand {
    pub fn pc(&self) -> &Pc {
        match self {
            PcOperand::Pc(p) => p,
            PcOperand::Listed { pc, .. } => pc,
        }
    }
}

/// Why an action gives no pc presentation.
#[derive(Debug)]
pub enum PcActionError {
    /// The images given for H's generator `h_gen` extend to no
    /// automorphism of (listed) N.
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
    // φ_y for each of H's generators y, on N's pc generators.
    let mut phi: Vec<Vec<Exps>> = Vec::with_capacity(maps.len());
    for (j, images) in maps.iter().enumerate() {
        let auto = match n {
            PcOperand::Pc(p) => images
                .iter()
                .map(|w| p.eval(w))
                .collect::<Result<Vec<_>, _>>()
                .map_err(PcActionError::Pc)?,
            PcOperand::Listed { group, chain, .. } => {
                let img: Vec<Elem> = images.iter().map(|w| group.eval_word(w)).collect();
                let map = extend_automorphism(group, &bfs(group), &img)
                    .map_err(|_| PcActionError::NotAutomorphism { h_gen: j })?;
                match chain {
                    None => Vec::new(),
                    Some(c) => c
                        .generators()
                        .iter()
                        .map(|g| exponents_of(group, c, map[g[0] as usize]))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| {
                            PcActionError::Pc(PcError::Inconsistent("an element left N".into()))
                        })?,
                }
            }
        };
        phi.push(auto);
    }
    match h {
        PcOperand::Pc(_) => Ok(phi),
        PcOperand::Listed { chain: None, .. } => Ok(Vec::new()),
        PcOperand::Listed {
            group,
            chain: Some(c),
            ..
        } => {
            let tree = bfs(group);
            let unit: Vec<Exps> = (0..npc.len())
                .map(|k| {
                    let mut x = npc.identity();
                    x[k] = 1;
                    x
                })
                .collect();
            let mut act = Vec::with_capacity(c.generators().len());
            for g in c.generators() {
                // Φ_{k·y} = φ_y ∘ Φ_k along the word of the element.
                let mut auto = unit.clone();
                for j in tree_word(&tree, g[0]) {
                    auto = npc.compose(&auto, &phi[j]).map_err(PcActionError::Pc)?;
                }
                act.push(auto);
            }
            Ok(act)
        }
    }
}
