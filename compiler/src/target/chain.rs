//! The plan of a diagonal stack for a permutation group kept as a
//! stabiliser chain: the derived series as chains (the least depth for
//! targets whose layers realise every abelian group), each factor numbered
//! through its polycyclic sequence and given invariant-factor coordinates
//! by the Smith normal form of its relations, without listing it.

use super::Target;
use crate::group::bsgs::quotient::AbelianQuotient;
use crate::group::bsgs::series::derived_series;
use crate::group::bsgs::Chain;
use crate::group::Limits;
use crate::structure::abelian::{factor_of_pc, AbelianFactor};
use crate::structure::series::FactorClass;

/// A series of chains with its factors listed and given coordinates:
/// `factors[i]` numbers the elements of `quotients[i]`'s group, which is
/// `series[i] / series[i + 1]`.
pub struct ChainPlan {
    pub series: Vec<Chain>,
    pub quotients: Vec<AbelianQuotient>,
    pub factors: Vec<AbelianFactor>,
}

/// Why a chain has no plan for a target: the reason, and what to do.
#[derive(Debug)]
pub struct NoChainPlan {
    pub reason: String,
    pub help: String,
}

pub fn chain_plan(
    name: &str,
    g: &Chain,
    target: &dyn Target,
    limits: &Limits,
) -> Result<ChainPlan, NoChainPlan> {
    if target.factor_class() != Some(FactorClass::Abelian) {
        return Err(NoChainPlan {
            reason: format!(
                "{name} (order {}) is past the element limit, and only aussm and pd-ssm compile without listing the elements",
                g.order()
            ),
            help: "use --target aussm (a solvable group) or pd-ssm (any group, one layer on its points), or raise --max-elements if the group is small enough to list".into(),
        });
    }
    let series = derived_series(g).map_err(|e| NoChainPlan {
        reason: format!("the derived series of {name}: {e}"),
        help: "raise the limit it names".into(),
    })?;
    let last = series.last().expect("the series starts with G");
    if !last.is_trivial() {
        return Err(NoChainPlan {
            reason: format!(
                "{name} is not solvable: its derived series stops at a perfect subgroup of order {}, so no stack of {} layers tracks it",
                last.order(),
                target.name()
            ),
            help: "use --target pd-ssm, one layer that tracks every finite group".into(),
        });
    }
    let mut quotients = Vec::new();
    let mut factors = Vec::new();
    for (i, pair) in series.windows(2).enumerate() {
        let q = AbelianQuotient::new(&format!("G_{i}/G_{}", i + 1), &pair[0], &pair[1], limits)
            .map_err(|reason| NoChainPlan {
                reason,
                help: "the coordinates of each abelian factor are computed on its elements; raise --max-elements".into(),
            })?;
        let f = factor_of_pc(q.orders(), q.relations()).map_err(|e| NoChainPlan {
            reason: format!("internal: the factor G_{i}/G_{}: {e}", i + 1),
            help: "this is a bug in gssm".into(),
        })?;
        quotients.push(q);
        factors.push(f);
    }
    Ok(ChainPlan {
        series,
        quotients,
        factors,
    })
}
