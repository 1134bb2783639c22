//! AST to finite groups: name resolution, parameters, imports, products,
//! series hints.
//!
//! [`load_file`] (or [`load_source`]) parses a file and its imports into a
//! [`Program`]; [`Program::group`] and [`Program::eval`] elaborate one group
//! into an [`Elaborated`]: the [`Group`], where it was defined, the series
//! hint if the definition gave one, and warnings.

mod automata;
mod groups;
pub mod int;
mod loader;
pub mod naming;
mod stdlib;
mod words;

use crate::diagnostics::{Diagnostic, Source, Span};
use crate::group::{Elem, Group, Limits};
use crate::parse::ast::Item;
use loader::{DefId, Fs, LoadedFile, Loader};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;

use groups::Unlisted;
pub use groups::{Beyond, BeyondPc};
pub use stdlib::names as stdlib_modules;

/// Most definitions that may be active inside one another (a definition
/// that uses itself never ends: gssm has no conditional groups).
pub const MAX_CALL_DEPTH: usize = 64;

/// An explicit series G = G_0 ⊳ G_1 ⊳ … ⊳ G_k = 1 given by the source:
/// G_1 … G_{k-1} by generators (element ids of the group). Recorded only;
/// the target module checks it.
#[derive(Clone, Debug)]
pub struct SeriesHint {
    pub subgroups: Vec<Vec<Elem>>,
    /// Span of each `<…>`.
    pub spans: Vec<Span>,
    /// Span of the whole `with series […]`.
    pub span: Span,
    pub source: Source,
}

/// One elaborated group.
#[derive(Clone, Debug)]
pub struct Elaborated {
    pub group: Group,
    /// The definition (or expression) the group came from.
    pub source: Source,
    pub span: Span,
    pub series: Option<SeriesHint>,
    /// Warnings raised while elaborating it, in source order of discovery.
    pub warnings: Vec<Diagnostic>,
}

impl Elaborated {
    /// Where the group came from, as the pipeline reports it.
    pub fn origin(&self) -> crate::pipeline::Origin {
        crate::pipeline::Origin {
            source: Some(self.source.clone()),
            span: Some(self.span),
            series: self.series.as_ref().map(|s| (s.subgroups.clone(), s.span)),
        }
    }
}

/// A permutation group past the element limit, elaborated for `gssm
/// check`: its generators and stabiliser chain instead of its elements.
#[derive(Clone, Debug)]
pub struct ElaboratedChain {
    pub group: Beyond,
    pub source: Source,
    pub span: Span,
    pub warnings: Vec<Diagnostic>,
}

/// What `gssm check` elaborates: a listed group, or a permutation group
/// past the element limit.
#[derive(Clone, Debug)]
pub enum Checked {
    Listed(Elaborated),
    Chain(ElaboratedChain),
    Pc(ElaboratedPc),
}

impl Checked {
    /// The group's name.
    pub fn name(&self) -> &str {
        match self {
            Checked::Listed(e) => &e.group.name,
            Checked::Chain(c) => &c.group.name,
            Checked::Pc(e) => &e.name,
        }
    }

    /// The group's order, exact however large.
    pub fn order(&self) -> num_bigint::BigUint {
        match self {
            Checked::Listed(e) => e.group.order().into(),
            Checked::Chain(c) => c.group.chain.order(),
            Checked::Pc(e) => e.pc.order().into(),
        }
    }

    /// The warnings raised while building it.
    pub fn warnings(&self) -> &[Diagnostic] {
        match self {
            Checked::Listed(e) => &e.warnings,
            Checked::Chain(c) => &c.warnings,
            Checked::Pc(e) => &e.warnings,
        }
    }
}

/// A pc group past the element limit, elaborated for `gssm check`: its
/// consistent presentation, whose structure is computed by collection.
#[derive(Clone, Debug)]
pub struct ElaboratedPc {
    pub name: String,
    pub pc: crate::group::pc::Pc,
    pub source: Source,
    pub span: Span,
    pub warnings: Vec<Diagnostic>,
}

/// A definition in the main file.
#[derive(Clone, Debug, PartialEq)]
pub struct Definition {
    pub name: String,
    /// `None` for `group C6 = …`, the parameter names otherwise.
    pub params: Option<Vec<String>>,
    pub span: Span,
}

/// A parsed file with its imports, ready to elaborate groups from.
pub struct Program {
    files: Vec<LoadedFile>,
    main: usize,
    limits: Limits,
    /// Elaborated definitions by (definition, arguments).
    cache: RefCell<HashMap<(DefId, Vec<i64>), groups::Cached>>,
    /// Elaborated automata by (definition, arguments), with their warnings.
    automaton_cache: RefCell<HashMap<(DefId, Vec<i64>), automata::Cached>>,
}

pub use loader::{read_source, ReadError, MAX_IMPORT_DEPTH, MAX_PROGRAM_BYTES, MAX_SOURCE_BYTES};

/// Load a source file and its imports from disk.
pub fn load_file(path: &Path, limits: &Limits) -> Result<Program, Diagnostic> {
    let text = read_source(path).map_err(|e| {
        Diagnostic::error("io", format!("cannot read {}: {e}", path.display())).help(e.help())
    })?;
    let mut l = Loader::new(Fs::Disk);
    let main = l.load_main(path, Source::new(path.display().to_string(), text))?;
    Ok(Program::new(l, main, limits))
}

/// Load source text; relative imports resolve from the current directory.
pub fn load_source(name: &str, text: &str, limits: &Limits) -> Result<Program, Diagnostic> {
    let mut l = Loader::new(Fs::Disk);
    let main = l.load_main(Path::new(name), Source::new(name, text))?;
    Ok(Program::new(l, main, limits))
}

/// Load source text whose relative imports come from `files` (path →
/// text), not from disk.
pub fn load_sources(
    name: &str,
    text: &str,
    files: &HashMap<String, String>,
    limits: &Limits,
) -> Result<Program, Diagnostic> {
    let mut l = Loader::new(Fs::Memory(files));
    let main = l.load_main(Path::new(name), Source::new(name, text))?;
    Ok(Program::new(l, main, limits))
}

impl Program {
    fn new(l: Loader, main: usize, limits: &Limits) -> Program {
        Program {
            files: l.files,
            main,
            limits: *limits,
            cache: RefCell::new(HashMap::new()),
            automaton_cache: RefCell::new(HashMap::new()),
        }
    }

    /// The main file.
    pub fn source(&self) -> &Source {
        &self.files[self.main].source
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The groups the main file defines, in order.
    pub fn definitions(&self) -> Vec<Definition> {
        self.files[self.main]
            .ast
            .items
            .iter()
            .filter_map(|it| match it {
                Item::Group(g) => Some(Definition {
                    name: g.name.name.clone(),
                    params: g
                        .params
                        .as_ref()
                        .map(|p| p.iter().map(|i| i.name.clone()).collect()),
                    span: g.span,
                }),
                Item::Import(_) | Item::Automaton(_) => None,
            })
            .collect()
    }

    /// Elaborate group `name` (default: the last group the main file
    /// defines) with integer arguments `args` (empty for `group C6 = …`).
    pub fn group(&self, name: Option<&str>, args: &[i64]) -> Result<Elaborated, Diagnostic> {
        self.eval(&self.group_expr(name, args)?)
    }

    /// [`Program::group`] for `gssm check`: a permutation group past the
    /// element limit comes back as its stabiliser chain, a pc group as its
    /// presentation.
    pub fn group_to_check(&self, name: Option<&str>) -> Result<Checked, Diagnostic> {
        self.eval_with(&self.group_expr(name, &[])?, true)
    }

    /// [`Program::eval`] for `gssm check`, as [`Program::group_to_check`].
    pub fn eval_to_check(&self, expr: &str) -> Result<Checked, Diagnostic> {
        self.eval_with(expr, true)
    }

    /// `group` (a group expression; default: the last group defined) as
    /// `gssm check` and `gssm compile` build it.
    pub fn checked(&self, group: Option<&str>) -> Result<Checked, Diagnostic> {
        match group {
            Some(expr) => self.eval_to_check(expr),
            None => self.group_to_check(None),
        }
    }

    /// The expression naming group `name` with `args`.
    fn group_expr(&self, name: Option<&str>, args: &[i64]) -> Result<String, Diagnostic> {
        let name = match name {
            Some(n) => n.to_string(),
            None => {
                let defs = self.definitions();
                let Some(last) = defs.last() else {
                    return Err(Diagnostic::error("name::no-group", format!("{} defines no group", self.source().name))
                        .help("add a definition such as `group G = < a | a^3 >`, or name a group from an import"));
                };
                if last.params.as_ref().is_some_and(|p| p.len() != args.len()) {
                    let params = last.params.clone().unwrap_or_default();
                    return Err(Diagnostic::error(
                        "arity",
                        format!(
                            "the last group in {}, {}, takes parameters ({})",
                            self.source().name,
                            last.name,
                            params.join(", ")
                        ),
                    )
                    .at(self.source(), last.span, "defined here")
                    .help(format!(
                        "name the group with its arguments, e.g. `{}({})`",
                        last.name,
                        params.iter().map(|_| "4").collect::<Vec<_>>().join(", ")
                    )));
                }
                last.name.clone()
            }
        };
        Ok(
            if args.is_empty()
                && self.files[self.main]
                    .scope
                    .get(&name)
                    .is_some_and(|&d| self.def_params(d).is_none())
            {
                name
            } else {
                format!(
                    "{name}({})",
                    args.iter()
                        .map(|a| a.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
        )
    }

    /// Elaborate a group expression over the main file's names, such as
    /// `Dihedral(8) x C2` (the CLI's GROUP argument).
    pub fn eval(&self, expr: &str) -> Result<Elaborated, Diagnostic> {
        match self.eval_with(expr, false)? {
            Checked::Listed(e) => Ok(e),
            Checked::Chain(_) | Checked::Pc(_) => {
                unreachable!("only check keeps groups past the element limit")
            }
        }
    }

    fn eval_with(&self, expr: &str, beyond_ok: bool) -> Result<Checked, Diagnostic> {
        let src = Source::new("<group argument>", expr);
        let ast = crate::parse::parse_group_expr(&src)?;
        let mut e = groups::Elab::new(self, src);
        e.beyond_ok = beyond_ok;
        let result = e.top(&ast);
        // The same warning from one place is shown once (a cached
        // definition repeats its warnings at every use).
        let mut warnings: Vec<Diagnostic> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for w in std::mem::take(&mut e.warnings) {
            if seen.insert((w.span, w.message.clone())) {
                warnings.push(w);
            }
        }
        let v = match result {
            Err(d) if d.code == groups::BEYOND_LIMIT => {
                let kept = e.beyond.take().expect("a group kept unlisted");
                let def = match &kept {
                    Unlisted::Chain(b) => b.def,
                    Unlisted::Pc(b) => b.def,
                };
                let (source, span) = match def {
                    Some((file, span)) => (e.source_of(file).clone(), span),
                    None => (e.expr_source().clone(), Span::new(0, expr.len())),
                };
                return Ok(match kept {
                    Unlisted::Chain(group) => Checked::Chain(ElaboratedChain {
                        group,
                        source,
                        span,
                        warnings,
                    }),
                    Unlisted::Pc(b) => Checked::Pc(ElaboratedPc {
                        name: b.name,
                        pc: b.pc,
                        source,
                        span,
                        warnings,
                    }),
                });
            }
            r => r?,
        };
        let (source, span) = e.origin_of(&v);
        let group = Rc::try_unwrap(v.group).unwrap_or_else(|rc| (*rc).clone());
        Ok(Checked::Listed(Elaborated {
            group,
            source,
            span,
            series: v.series,
            warnings,
        }))
    }

    fn def_params(&self, id: DefId) -> Option<&Vec<crate::parse::ast::Ident>> {
        match &self.files[id.file].ast.items[id.item] {
            Item::Group(g) => g.params.as_ref(),
            Item::Import(_) | Item::Automaton(_) => None,
        }
    }
}
