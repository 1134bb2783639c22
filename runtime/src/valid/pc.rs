//! A solvable group given by a polycyclic presentation along a series
//! ([`PcTruth`], format version 7): the presentation is consistent, so its
//! normal words are the group's elements, one each, and its terms' blocks
//! span a series with abelian factors whose exponents are coordinates.
//! Every check is on the presentation's n ≤ 31 generators, never on the
//! elements.

use super::{bad, check_generator_names, limit, LoadLimits};
use crate::format::{FormatError, MAX_PC_WORK};
use crate::ir::{GroupInfo, Manifest, PcTruth, FORMAT_VERSION_PC};
use crate::pc::CollectError;

pub(super) fn check_pc(
    p: &PcTruth,
    info: &GroupInfo,
    m: &Manifest,
    limits: &LoadLimits,
) -> Result<(), FormatError> {
    if m.format_version != FORMAT_VERSION_PC {
        return Err(bad(format!(
            "format version {} does not hold a group given by a pc presentation (`pc.*`), which is version {FORMAT_VERSION_PC}",
            m.format_version
        )));
    }
    if !m.outputs.is_empty() {
        return Err(bad(
            "manifest `outputs` must be empty for a group given by a pc presentation: an element's label is its normal word, made on demand",
        ));
    }
    check_generator_names(info, limits)?;
    let pc = &p.pc;
    let n = pc.len();
    // Consistency: then the presentation's group has ∏ r_j elements and
    // the normal words number them.
    pc.set_work_limit(MAX_PC_WORK);
    pc.check_consistent().map_err(|e| match e {
        CollectError::Inconsistent(_) => bad(format!("`pc.*`: {e}")),
        CollectError::Work { .. } => limit(format!(
            "checking the presentation consistent: {e} (a presentation this costly to collect in is refused)"
        )),
    })?;
    // The token labels are collected next, within a fresh budget; the
    // validator lifts it once they are checked.
    pc.set_work_limit(MAX_PC_WORK);
    // Files store relative orders as I32.
    if let Some(j) = pc
        .relative_orders()
        .iter()
        .position(|&r| r > i32::MAX as u32)
    {
        return Err(limit(format!(
            "relative order {} of f{} is 2^31 or more, past what `pc.orders` (I32) holds",
            pc.relative_orders()[j],
            j + 1
        )));
    }
    if let Some(i) = p.terms.iter().position(|&b| b == 0) {
        return Err(bad(format!(
            "`pc.terms` entry {i} is 0: each term holds at least one generator"
        )));
    }
    let total: usize = p.terms.iter().sum();
    if total != n {
        return Err(bad(format!(
            "`pc.terms` sums to {total}, but the presentation has {n} generators: the terms' blocks split f1, …, f{n} in order"
        )));
    }
    let starts = p.starts();
    for (i, w) in starts.windows(2).enumerate() {
        let block = w[0]..w[1];
        for a in block.clone() {
            let power = pc.power_relation(a).expect("a level");
            if let Some(l) = block.clone().find(|&l| power[l] != 0) {
                return Err(bad(format!(
                    "`pc.powers` row {a}: f{}^{} has exponent {} at f{}, in its own term {i}: a term's generators must span an abelian factor whose exponents are coordinates, so their powers lie in the next term",
                    a + 1,
                    pc.relative_orders()[a],
                    power[l],
                    l + 1
                )));
            }
            for b in a + 1..n {
                let c = pc.conjugate_relation(a, b).expect("a < b < n");
                let own = block.contains(&b);
                if let Some(l) = block.clone().find(|&l| c[l] != u32::from(own && l == b)) {
                    return Err(bad(format!(
                        "`pc.conjugates` ({a}, {b}): f{}^f{} has exponent {} at f{}, in term {i} of f{}: {}",
                        b + 1,
                        a + 1,
                        c[l],
                        l + 1,
                        a + 1,
                        if own {
                            "generators of one term must commute modulo the next term"
                        } else {
                            "the next term must be normal, so its generators' conjugates stay in it"
                        }
                    )));
                }
            }
        }
    }
    // Where the start token is is checked later, with every truth's.
    if let Some(&b) = m.bos.as_ref() {
        if p.tokens
            .get(b as usize)
            .is_some_and(|t| t.iter().any(|&e| e != 0))
        {
            return Err(bad(
                "the start token's row of `pc.tokens` must be the identity (all 0)",
            ));
        }
    }
    Ok(())
}
