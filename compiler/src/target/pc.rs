//! The plan of a diagonal stack for a pc group past the element limit:
//! the presentation refined to prime relative orders, its derived series
//! as induced sequences, and each factor numbered through its polycyclic
//! sequence and given coordinates by the Smith normal form of its
//! relations, without listing it.

use super::chain::NoChainPlan;
use super::Target;
use crate::group::pc::{Pc, PcError};
use crate::group::pc_quotient::{refine_to_primes, PcQuotient};
use crate::group::pcgs::{derived_series, Pcgs};
use crate::group::Limits;
use crate::structure::abelian::{factor_of_pc, AbelianFactor};
use crate::structure::series::FactorClass;

/// `factors[i]` numbers the elements of `quotients[i]`, which is
/// `series[i] / series[i + 1]`, all in the refined presentation `pc`.
pub struct PcPlan {
    pub pc: Pc,
    /// Where each of the source's generators starts among `pc`'s (its
    /// first refined generator is itself).
    pub starts: Vec<usize>,
    pub series: Vec<Pcgs>,
    pub quotients: Vec<PcQuotient>,
    pub factors: Vec<AbelianFactor>,
}

pub fn pc_plan(
    name: &str,
    pc: &Pc,
    target: &dyn Target,
    limits: &Limits,
) -> Result<PcPlan, NoChainPlan> {
    if target.factor_class() != Some(FactorClass::Abelian) {
        return Err(NoChainPlan {
            reason: format!(
                "{name} (order {}) is past the element limit, and a pc group compiles without listing its elements to aussm only",
                pc.order()
            ),
            help: "use --target aussm, or raise --max-elements if the group is small enough to list".into(),
        });
    }
    let collect = |what: &str, e: PcError| NoChainPlan {
        reason: format!("{what} of {name}: {e}"),
        help: match e {
            PcError::Work { .. } => "raise --max-pc-work".into(),
            _ => "this is a bug in gssm: please report it with the file".into(),
        },
    };
    let (pc, starts) =
        refine_to_primes(pc, limits.max_pc_work).map_err(|e| collect("the prime refinement", e))?;
    pc.set_work_limit(limits.max_pc_work);
    let series = derived_series(&pc).map_err(|e| collect("the derived series", e))?;
    let mut quotients = Vec::new();
    let mut factors = Vec::new();
    for (i, pair) in series.windows(2).enumerate() {
        let size = pair[0].order() / pair[1].order();
        if size > num_bigint::BigUint::from(limits.max_elements) {
            return Err(NoChainPlan {
                reason: format!(
                    "the abelian factor G_{i}/G_{} of {name} has {size} elements, more than --max-elements ({}) allows for its coordinates",
                    i + 1,
                    limits.max_elements
                ),
                help: "each abelian factor's coordinates are computed on its elements; raise --max-elements".into(),
            });
        }
        let q = PcQuotient::new(&pc, &pair[0], &pair[1])
            .map_err(|e| collect(&format!("the factor G_{i}/G_{}", i + 1), e))?;
        let f = factor_of_pc(q.orders(), q.relations()).map_err(|e| NoChainPlan {
            reason: format!("internal: the factor G_{i}/G_{} of {name}: {e}", i + 1),
            help: "this is a bug in gssm: please report it with the file".into(),
        })?;
        quotients.push(q);
        factors.push(f);
    }
    Ok(PcPlan {
        pc,
        starts,
        series,
        quotients,
        factors,
    })
}
