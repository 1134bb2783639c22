//! Loading a group from a source file for the subcommands that take one:
//! limits as flags, diagnostics and warnings printed to stderr.

use super::common::report;
use gssm_compiler::automaton::Automaton;
use gssm_compiler::diagnostics::Diagnostic;
use gssm_compiler::elaborate::{load_file, Checked, Elaborated, Program};
use gssm_compiler::group::{Group, Limits};
use gssm_compiler::pipeline::Origin;
use std::path::Path;
use std::process::ExitCode;

/// Limits on building groups, as flags.
#[derive(clap::Args, Debug, Clone)]
pub struct SourceLimits {
    /// Most elements a group may have (its Cayley table has this squared).
    #[arg(long, default_value_t = Limits::default().max_elements)]
    pub max_elements: usize,
    /// Most cosets coset enumeration may define before giving up.
    #[arg(long, default_value_t = Limits::default().max_cosets)]
    pub max_cosets: usize,
    /// Most memory the tables of one group construction may take, checked
    /// before they are allocated: bytes, or a number with a unit (KiB, MiB,
    /// GiB, TiB; K, M, G, T mean the same).
    #[arg(long, default_value = "2GiB", value_parser = parse_bytes)]
    pub max_memory: usize,
    /// Most point operations (about 2·10^9 a second) one stabiliser chain
    /// may take to build, for a permutation group past --max-elements.
    #[arg(long, default_value_t = Limits::default().max_chain_work)]
    pub max_chain_work: u64,
    /// Most collection steps (a few 10^7 a second) the structure of a pc
    /// group past --max-elements may take, for `gssm check`.
    #[arg(long, default_value_t = Limits::default().max_pc_work)]
    pub max_pc_work: u64,
}

impl SourceLimits {
    pub fn get(&self) -> Limits {
        Limits {
            max_elements: self.max_elements,
            max_cosets: self.max_cosets,
            max_memory: self.max_memory,
            max_chain_work: self.max_chain_work,
            max_pc_work: self.max_pc_work,
            ..Limits::default()
        }
    }
}

/// "2147483648", "2GiB", "512M" → bytes.
pub(super) fn parse_bytes(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kib" => 10,
        "m" | "mib" => 20,
        "g" | "gib" => 30,
        "t" | "tib" => 40,
        other => {
            return Err(format!(
                "unknown unit '{other}': give bytes, or a number with KiB, MiB, GiB or TiB"
            ))
        }
    };
    let n: usize = digits
        .parse()
        .map_err(|_| format!("'{s}' is not a size: give bytes, e.g. 2147483648, or 2GiB"))?;
    n.checked_mul(1usize << shift)
        .ok_or_else(|| format!("{s} is more bytes than this machine can address"))
}

/// Most warnings printed for one group; the rest are counted.
const MAX_SHOWN_WARNINGS: usize = 20;

/// Elaborate `group` (a name, or any group expression such as
/// `Dihedral(8) x C2`; default: the file's last group) from `file`. Errors
/// are printed and become the failure exit code; warnings are printed.
pub fn load_elaborated(
    file: &Path,
    group: Option<&str>,
    limits: &SourceLimits,
) -> Result<Elaborated, ExitCode> {
    let result = match load_file(file, &limits.get()) {
        Ok(p) => match group {
            Some(expr) => p.eval(expr),
            None => p.group(None, &[]),
        },
        Err(d) => Err(d),
    };
    finish(result)
}

/// The group `name` of a source file as `gssm check` elaborates it: listed,
/// or past the element limit as a stabiliser chain or a pc presentation.
pub fn load_checked(file: &Path, name: &str, limits: &SourceLimits) -> Result<Checked, ExitCode> {
    match load_file(file, &limits.get()) {
        Ok(p) => checked_from(&p, Some(name)),
        Err(d) => {
            report(&d);
            Err(ExitCode::FAILURE)
        }
    }
}

/// `group` (default: the file's last) from a program already loaded, as
/// `gssm check` elaborates it; warnings printed, errors reported.
pub fn checked_from(p: &Program, group: Option<&str>) -> Result<Checked, ExitCode> {
    match p.checked(group) {
        Ok(c) => {
            print_warnings(c.warnings());
            Ok(c)
        }
        Err(d) => {
            report(&d);
            Err(ExitCode::FAILURE)
        }
    }
}

/// Print warnings, the first [`MAX_SHOWN_WARNINGS`] of them in full.
pub fn print_warnings(warnings: &[Diagnostic]) {
    for w in warnings.iter().take(MAX_SHOWN_WARNINGS) {
        report(w);
    }
    if warnings.len() > MAX_SHOWN_WARNINGS {
        eprintln!(
            "warning: {} more warnings not shown",
            warnings.len() - MAX_SHOWN_WARNINGS
        );
    }
}

/// Print the warnings of an elaborated group, or its error.
fn finish(result: Result<Elaborated, Diagnostic>) -> Result<Elaborated, ExitCode> {
    match result {
        Ok(e) => {
            print_warnings(&e.warnings);
            Ok(e)
        }
        Err(d) => {
            report(&d);
            Err(ExitCode::FAILURE)
        }
    }
}

/// The automaton `name` names, or (without a name) the file's last
/// definition when that is an automaton; `None` when the subcommand should
/// treat the argument as a group. The file is read once, here: a pipe
/// cannot be read twice, so the group path takes the program back.
pub fn load_automaton(
    file: &Path,
    name: Option<&str>,
    limits: &SourceLimits,
) -> Result<Result<Automaton, Program>, ExitCode> {
    let p = match load_file(file, &limits.get()) {
        Ok(p) => p,
        Err(d) => {
            report(&d);
            return Err(ExitCode::FAILURE);
        }
    };
    let result = match name {
        Some(n) => p.automaton_with_warnings(Some(n)),
        None => {
            let last_group = p.definitions().last().map(|d| d.span.start);
            match p.automata().last() {
                Some(a) if last_group.is_none_or(|g| g < a.span.start) => {
                    p.automaton_with_warnings(None)
                }
                _ => return Ok(Err(p)),
            }
        }
    };
    match result {
        Ok((a, warnings)) => {
            for w in &warnings {
                report(w);
            }
            Ok(Ok(a))
        }
        Err(d) if d.code == "name::unknown-automaton" => Ok(Err(p)),
        Err(d) => {
            report(&d);
            Err(ExitCode::FAILURE)
        }
    }
}

/// The group and where it came from, for the pipeline (`gssm compile`).
#[allow(dead_code)]
pub fn load_group(
    file: &Path,
    group: Option<&str>,
    limits: &SourceLimits,
) -> Result<(Group, Origin), ExitCode> {
    let e = load_elaborated(file, group, limits)?;
    let origin = e.origin();
    Ok((e.group, origin))
}
