//! A solvable group's polycyclic presentation in gssm's own `pc< … >`
//! syntax (`gssm check --pc`): the group as permutations (its own, or its
//! elements under right multiplication when it has none), converted along
//! its derived series refined to prime steps, printed so that it reads
//! back as the same group.

use crate::diagnostics::Diagnostic;
use crate::elaborate::Checked;
use crate::group::bsgs::pcpres::{pc_presentation, pc_source};
use crate::group::bsgs::{Chain, ChainLimits};
use crate::group::Limits;

/// The group `checked` as a `group NAME = pc< … | … >` definition, or why
/// it has none (not solvable, past a limit).
pub fn pc_definition(checked: &Checked, limits: &Limits) -> Result<String, Diagnostic> {
    let (name, source, span) = match checked {
        Checked::Listed(e) => (e.group.name.clone(), &e.source, e.span),
        Checked::Chain(e) => (e.group.name.clone(), &e.source, e.span),
        Checked::Pc(e) => (e.name.clone(), &e.source, e.span),
    };
    let name = if is_identifier(&name) {
        name
    } else {
        "G".into()
    };
    let fail = |msg: String| {
        Diagnostic::error("group::pc", msg)
            .at(source, span, "this group")
            .help("only a solvable group has a pc presentation; past a limit, raise --max-memory, --max-chain-work or --max-pc-work")
    };
    let chain_limits = ChainLimits {
        max_memory: limits.max_memory,
        max_work: limits.max_chain_work,
        ..ChainLimits::default()
    };
    let pc = match checked {
        Checked::Pc(e) => e.pc.clone(),
        Checked::Chain(e) => pc_presentation(&e.group.chain, limits.max_pc_work)
            .map_err(|err| fail(err.to_string()))?
            .into_pc(),
        Checked::Listed(e) => {
            let perms = e.group.action_perms();
            let degree = e.group.action_degree();
            let chain_limits = ChainLimits {
                max_degree: chain_limits.max_degree.max(degree),
                ..chain_limits
            };
            let chain = Chain::generated(degree, &perms, chain_limits)
                .map_err(|err| fail(err.to_string()))?;
            pc_presentation(&chain, limits.max_pc_work)
                .map_err(|err| fail(err.to_string()))?
                .into_pc()
        }
    };
    Ok(pc_source(&pc, &name))
}

/// Whether `s` can name a definition: a letter or `_`, then letters,
/// digits and `_`.
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
