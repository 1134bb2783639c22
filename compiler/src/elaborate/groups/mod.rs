//! Group expressions to groups: references and calls of definitions (with
//! their `require`/`warn` guards), presentations, permutation groups,
//! direct and semidirect products, and series hints.

mod pc_products;

use super::int::{self, text_of, Vars};
use super::loader::DefId;
use super::naming::{convention_warning, disambiguate, fill_names, suggest};
use super::words::{expand, Gens};
use super::{stdlib, Program, SeriesHint, MAX_CALL_DEPTH};
use crate::diagnostics::{Diagnostic, Source, Span};
use crate::group::bsgs::{Chain, ChainLimits, DEFAULT_SEED};
use crate::group::perm::{from_cycles, group_from_permutations, Perm};
use crate::group::product::{
    automorphisms, direct, semidirect, semidirect_perms, ActionError, Automorphisms,
};
use crate::group::{coset, faithful, format_bytes, pc, Elem, Group, GroupError, Word};
use crate::parse::ast::{self, GExpr, GExprKind, GuardKind, MessagePart};
use std::collections::HashMap;
use std::rc::Rc;

type Result<T> = std::result::Result<T, Diagnostic>;

/// Largest permutation degree accepted (points are numbered 1..=degree):
/// every element found is stored as an image list of this length.
pub const MAX_DEGREE: i64 = 4096;
/// Most generators × degree of a permutation group: closing under the
/// generators costs elements × generators × degree steps.
const MAX_PERM_WORK: usize = 1 << 18;
/// Most generators one permutation group or power may have.
pub const MAX_GENERATORS: usize = 4096;
/// Most iterations of a comprehension's loops, counting filtered ones.
const MAX_LOOP_STEPS: u64 = 1 << 20;
/// Most call-site notes attached to one error.
const MAX_NOTES: usize = 3;

/// Most group expressions elaborated inside one another, through brackets,
/// products and definitions together: deep enough for any 64 definitions
/// nested in one another with a few brackets each, and far from the end
/// of an 8 MiB stack.
pub const MAX_EXPR_NESTING: usize = 1024;

/// A permutation generator as built: its name, cycles (0-based points) and
/// the span of the item that made it.
type PermGen = (Option<String>, Vec<Vec<u32>>, Span);

/// An elaborated group expression.
#[derive(Clone, Debug)]
pub struct Value {
    pub group: Rc<Group>,
    pub series: Option<SeriesHint>,
    /// The definition it came from (file, span), for bare references.
    pub def: Option<(usize, Span)>,
}

/// A cached definition body: its value and the warnings raised inside it.
#[derive(Clone, Debug)]
pub struct Cached {
    value: Value,
    warnings: Vec<Diagnostic>,
}

struct Frame {
    def: DefId,
    args: Vec<i64>,
    label: String,
}

pub struct Elab<'p> {
    prog: &'p Program,
    /// The command-line expression, as a pseudo-file after the program's.
    expr_src: Source,
    stack: Vec<Frame>,
    /// Group expressions being elaborated inside one another.
    depth: usize,
    pub warnings: Vec<Diagnostic>,
    /// Whether a group past the element limit may be kept unlisted: a
    /// permutation group as a stabiliser chain, a pc group as its
    /// presentation (`gssm check` and `gssm compile` ask; products and
    /// constructions need the elements).
    pub(super) beyond_ok: bool,
    /// Operands being elaborated (of products, powers, definitions with a
    /// series): these need listed groups, so a group past the limit there
    /// stays an error.
    operands: usize,
    /// The group past the element limit, once found: the elaboration then
    /// unwinds with [`BEYOND_LIMIT`].
    pub(super) beyond: Option<Unlisted>,
}

/// A group past the element limit, kept unlisted.
pub(super) enum Unlisted {
    Chain(Beyond),
    Pc(BeyondPc),
}

/// The code of the diagnostic a permutation group past the element limit
/// unwinds with when [`Elab::beyond_ok`] lets it be kept as a chain.
pub(super) const BEYOND_LIMIT: &str = "group::beyond-element-limit";

/// A permutation group past the element limit, as its generators and
/// stabiliser chain.
#[derive(Clone, Debug)]
pub struct Beyond {
    pub name: String,
    pub gen_names: Vec<String>,
    pub gens: Vec<Perm>,
    pub chain: Chain,
    /// The outermost definition it came through (file, span).
    pub def: Option<(usize, Span)>,
}

/// A pc group past the element limit, as its consistent presentation.
#[derive(Clone, Debug)]
pub struct BeyondPc {
    pub name: String,
    pub pc: pc::Pc,
    /// The outermost definition it came through (file, span).
    pub def: Option<(usize, Span)>,
}

impl<'p> Elab<'p> {
    pub fn new(prog: &'p Program, expr_src: Source) -> Self {
        Elab {
            prog,
            expr_src,
            stack: Vec::new(),
            depth: 0,
            warnings: Vec::new(),
            beyond_ok: false,
            operands: 0,
            beyond: None,
        }
    }

    fn expr_file(&self) -> usize {
        self.prog.files.len()
    }

    /// The source of file `file` (the command-line expression's too).
    pub(super) fn source_of(&self, file: usize) -> &Source {
        self.src(file)
    }

    pub(super) fn expr_source(&self) -> &Source {
        &self.expr_src
    }

    fn src(&self, file: usize) -> &Source {
        if file == self.expr_file() {
            &self.expr_src
        } else {
            &self.prog.files[file].source
        }
    }

    fn scope(&self, file: usize) -> &HashMap<String, DefId> {
        let f = if file == self.expr_file() {
            self.prog.main
        } else {
            file
        };
        &self.prog.files[f].scope
    }

    fn is_user(&self, file: usize) -> bool {
        file == self.expr_file() || !self.prog.files[file].stdlib
    }

    fn def(&self, id: DefId) -> &'p ast::GroupDef {
        match &self.prog.files[id.file].ast.items[id.item] {
            ast::Item::Group(g) => g,
            ast::Item::Import(_) | ast::Item::Automaton(_) => {
                unreachable!("group references resolve only to group definitions")
            }
        }
    }

    /// Elaborate the command-line expression.
    pub fn top(&mut self, e: &GExpr) -> Result<Value> {
        let file = self.expr_file();
        self.gexpr(file, &mut Vars::default(), e, None)
    }

    /// Elaborate a group expression written in `file` (an automaton's
    /// `G acting on points`), with the definition's parameters in `vars`.
    pub(super) fn expr_in(&mut self, file: usize, vars: &mut Vars, e: &GExpr) -> Result<Value> {
        self.operand(|el| el.gexpr(file, vars, e, None))
    }

    /// Elaborate an operand: a group that must be listed.
    fn operand<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.operands += 1;
        let r = f(self);
        self.operands -= 1;
        r
    }

    /// Whether `d` is the unwinding of a group kept as a chain.
    fn is_beyond(&self, d: &Diagnostic) -> bool {
        d.code == BEYOND_LIMIT && self.beyond.is_some()
    }

    /// The name and definition of the group being unwound past the limit.
    fn beyond_origin(&mut self) -> Option<(&mut String, &mut Option<(usize, Span)>)> {
        self.beyond.as_mut().map(|u| match u {
            Unlisted::Chain(b) => (&mut b.name, &mut b.def),
            Unlisted::Pc(b) => (&mut b.name, &mut b.def),
        })
    }

    /// Source and span a value is reported under: its definition, or the
    /// expression itself.
    pub fn origin_of(&self, v: &Value) -> (Source, Span) {
        match v.def {
            Some((file, span)) => (self.src(file).clone(), span),
            None => (
                self.expr_src.clone(),
                crate::diagnostics::Span::new(0, self.expr_src.text.len()),
            ),
        }
    }

    /// Elaborate a group expression. `given` is the name a definition
    /// gives its body; other expressions are named by their text.
    ///
    /// Elaboration recurses through brackets, products and the definitions
    /// they use, so the total depth is bounded here, across definitions:
    /// each limit alone (brackets, definitions) would still allow their
    /// product. The arms live in functions of their own so that the frames
    /// on the recursive path stay small.
    fn gexpr(
        &mut self,
        file: usize,
        vars: &mut Vars,
        e: &GExpr,
        given: Option<&str>,
    ) -> Result<Value> {
        if self.depth >= MAX_EXPR_NESTING {
            return Err(self.nesting_error(file, e));
        }
        self.depth += 1;
        let result = self.gexpr_kind(file, vars, e, given);
        self.depth -= 1;
        result
    }

    #[cold]
    #[inline(never)]
    fn nesting_error(&self, file: usize, e: &GExpr) -> Diagnostic {
        Diagnostic::error(
            "recursion",
            format!("group expressions nest more than {MAX_EXPR_NESTING} deep, counting the definitions they use"),
        )
        .at(self.src(file), e.span, "nesting limit reached here")
        .help("flatten the groups: a product A x B x C rather than ((A x B) x C), G^k for k copies of G, fewer definitions built from one another")
    }

    /// The recursive calls happen here, and the work on their values in
    /// the arms' own functions, whose frames are then off the stack.
    fn gexpr_kind(
        &mut self,
        file: usize,
        vars: &mut Vars,
        e: &GExpr,
        given: Option<&str>,
    ) -> Result<Value> {
        match &e.kind {
            GExprKind::Paren(inner) => self.gexpr(file, vars, inner, given),
            GExprKind::Ref { name: id, args } => {
                self.reference(file, vars, e, id, args.as_deref(), given)
            }
            GExprKind::Presentation(p) => self.presentation(file, vars, e, p, given).map(plain),
            GExprKind::Pc(p) => self.pc_presentation(file, vars, e, p, given).map(plain),
            GExprKind::Perm(p) => {
                let name = self.name_of(file, e, given);
                self.perm_group(file, vars, e, p, &name).map(plain)
            }
            // Where a group may be kept unlisted, so may a product of
            // groups: a permutation group on the factors' disjoint points,
            // or a pc group when a factor is one.
            GExprKind::Direct(factors) if self.unlisted_ok() => {
                let mut parts = Vec::with_capacity(factors.len());
                for f in factors {
                    parts.push((self.factor(file, vars, f)?, f.span));
                }
                let parts: Vec<(&Factor, Span)> = parts.iter().map(|(p, s)| (p, *s)).collect();
                self.product_of(file, e, &parts, given)
            }
            GExprKind::Power(base, k) if self.unlisted_ok() => {
                let k = int::eval(self.src(file), vars, k)?;
                let b = self.factor(file, vars, base)?;
                let gens = b.gen_names().len();
                check_power(self.src(file), e, &b.name(), gens, k)?;
                let copies: Vec<(&Factor, Span)> = (0..k).map(|_| (&b, base.span)).collect();
                self.product_of(file, e, &copies, given)
            }
            GExprKind::Direct(factors) => {
                let mut vals = Vec::with_capacity(factors.len());
                for f in factors {
                    vals.push(self.operand(|el| el.gexpr(file, vars, f, None))?);
                }
                self.direct_product(file, e, vals, given).map(plain)
            }
            GExprKind::Power(base, k) => {
                let k = int::eval(self.src(file), vars, k)?;
                let b = self.operand(|el| el.gexpr(file, vars, base, None))?;
                self.power(file, e, b, k, given).map(plain)
            }
            // Listed operands make a listed product, or past the limit a
            // permutation group; an operand that is a pc group past the
            // limit makes it a pc group (`Elab::pc_semidirect`).
            GExprKind::Semidirect { n, h, action } => {
                let nf = self.semidirect_operand(file, vars, n)?;
                let hf = self.semidirect_operand(file, vars, h)?;
                let name = self.name_of(file, e, given);
                match (nf, hf) {
                    (Factor::Listed(nv), Factor::Listed(hv)) => self
                        .semidirect(file, vars, e, nv, hv, action, &name)
                        .map(plain),
                    (nf, hf) => self
                        .pc_semidirect(file, vars, e, (&nf, n.span), (&hf, h.span), action, &name)
                        .map(plain),
                }
            }
        }
    }

    /// Whether the group being elaborated may be kept unlisted: asked for
    /// (`gssm check`, `gssm compile`) and not an operand that needs its
    /// elements.
    fn unlisted_ok(&self) -> bool {
        self.beyond_ok && self.operands == 0
    }

    /// A factor of a product that may be kept unlisted: listed when it is
    /// small, else a stabiliser chain or a pc presentation.
    fn factor(&mut self, file: usize, vars: &mut Vars, f: &GExpr) -> Result<Factor> {
        match self.gexpr(file, vars, f, None) {
            Ok(v) => Ok(Factor::Listed(v)),
            Err(d) if self.is_beyond(&d) => match self.beyond.take() {
                Some(Unlisted::Chain(b)) => Ok(Factor::Chain(b)),
                Some(Unlisted::Pc(b)) => Ok(Factor::Pc(b)),
                None => Err(d),
            },
            Err(d) => Err(d),
        }
    }

    /// The direct product of `parts` (each with the span of the factor it
    /// came from): listed when its order is within the element limit and
    /// every part is listed; else, when a part is a pc group past the
    /// limit, a pc group ([`Elab::pc_product`]); else a permutation group
    /// on the disjoint union of the parts' points, kept as a chain.
    fn product_of(
        &mut self,
        file: usize,
        e: &GExpr,
        parts: &[(&Factor, Span)],
        given: Option<&str>,
    ) -> Result<Value> {
        let listed: Option<Vec<Value>> = parts
            .iter()
            .map(|(p, _)| match p {
                Factor::Listed(v) => Some(v.clone()),
                Factor::Chain(_) | Factor::Pc(_) => None,
            })
            .collect();
        if let Some(vals) = listed {
            let order = vals
                .iter()
                .try_fold(1u128, |acc, v| acc.checked_mul(v.group.order() as u128));
            if order.is_some_and(|o| o <= self.prog.limits.max_elements as u128) {
                return self.direct_product(file, e, vals, given).map(plain);
            }
        }
        if parts.iter().any(|(p, _)| matches!(p, Factor::Pc(_))) {
            return self.pc_product(file, e, parts, given);
        }
        let parts: Vec<&Factor> = parts.iter().map(|&(p, _)| p).collect();
        let src = self.src(file).clone();
        let name = self.name_of(file, e, given);
        let total: usize = parts.iter().map(|p| p.gen_names().len()).sum();
        if total > MAX_GENERATORS {
            return Err(too_many_generators(
                &src,
                e.span,
                total,
                "a direct product",
                "this product",
            ));
        }
        let degree: u128 = parts.iter().map(|p| p.degree() as u128).sum();
        if degree > MAX_DEGREE as u128 {
            return Err(Diagnostic::error(
                "group::product-degree",
                format!("the product acts on {degree} points, more than the {MAX_DEGREE} a stabiliser chain takes"),
            )
            .at(&src, e.span, "past the element limit, this product is a permutation group")
            .help("a product past the element limit acts on its factors' points side by side (a listed factor without permutations on its own elements): use factors written as permutation groups on fewer points, or raise --max-elements to list it"));
        }
        let degree = degree as usize;
        let names = disambiguate(
            &parts
                .iter()
                .map(|p| p.gen_names().to_vec())
                .collect::<Vec<_>>(),
        );
        let mut gens = Vec::with_capacity(total);
        let mut offset = 0;
        for p in &parts {
            let d = p.degree();
            for g in p.perms() {
                let mut full: Perm = (0..degree as u32).collect();
                for (x, &y) in g.iter().enumerate() {
                    full[offset + x] = offset as u32 + y;
                }
                gens.push(full);
            }
            offset += d;
        }
        self.keep_as_chain(&src, e.span, &name, names, gens, degree)
            .map(plain)
    }

    fn name_of(&self, file: usize, e: &GExpr, given: Option<&str>) -> String {
        given
            .map(str::to_string)
            .unwrap_or_else(|| text_of(self.src(file), e.span))
    }

    #[inline(never)]
    fn presentation(
        &mut self,
        file: usize,
        vars: &mut Vars,
        e: &GExpr,
        p: &ast::Presentation,
        given: Option<&str>,
    ) -> Result<Group> {
        let name = self.name_of(file, e, given);
        let limits = self.prog.limits;
        let src = self.src(file).clone();
        let gens = presentation_gens(&src, p)?;
        let mut relators: Vec<Word> = Vec::new();
        for (sides, _) in relations(&src, vars, &gens, p, limits.max_word_len)? {
            if sides.len() == 1 {
                relators.extend(sides);
            } else {
                for pair in sides.windows(2) {
                    let mut w = pair[0].clone();
                    w.extend(super::words::inverse(&pair[1]));
                    relators.push(w);
                }
            }
        }
        // `gssm check` and `gssm compile` keep a presentation past the
        // element limit as a permutation group on the cosets of a subgroup;
        // only one written directly, not inside a product.
        if self.unlisted_ok() {
            return self.presentation_past_limit(&src, e.span, &name, gens, &relators);
        }
        coset::enumerate(&name, gens, &relators, &limits)
            .map_err(|err| group_error(&src, e.span, err))
    }

    /// A presentation that may be past the element limit: listed if it is
    /// not, else kept as the stabiliser chain of a proven-faithful action
    /// on the cosets of a subgroup generated by some of its generators.
    fn presentation_past_limit(
        &mut self,
        src: &Source,
        span: Span,
        name: &str,
        gens: Vec<String>,
        relators: &[Word],
    ) -> Result<Group> {
        let limits = self.prog.limits;
        // Enumerating a group past the element limit only finds its order,
        // and the cosets of a subgroup find that sooner: first enumerate
        // with room for a listable group, then search.
        let capped = crate::group::Limits {
            max_cosets: limits
                .max_cosets
                .min(limits.max_elements.saturating_mul(faithful::LIST_COSETS)),
            ..limits
        };
        let first = match coset::enumerate_or_count(name, gens.clone(), relators, &capped) {
            Ok(coset::Enumerated::Listed(g)) => return Ok(g),
            Ok(coset::Enumerated::Order(n)) => Ok(n),
            Err(err) => Err(err),
        };
        let known = first.as_ref().ok().copied();
        if let Some((perms, degree)) =
            faithful_action(src, span, relators, gens.len(), &limits, known)?
        {
            return self.keep_as_chain(src, span, name, gens, perms, degree);
        }
        let n = match first {
            Ok(n) => n,
            Err(err) if capped.max_cosets == limits.max_cosets => {
                return Err(group_error(src, span, err))
            }
            // The capped enumeration may have been too tight for a group
            // the search cannot handle: the whole enumeration decides, and
            // its error (the group may be infinite) stands.
            Err(_) => match coset::enumerate_or_count(name, gens.clone(), relators, &limits)
                .map_err(|err| group_error(src, span, err))?
            {
                coset::Enumerated::Listed(g) => return Ok(g),
                coset::Enumerated::Order(n) => {
                    if let Some((perms, degree)) =
                        faithful_action(src, span, relators, gens.len(), &limits, Some(n))?
                    {
                        return self.keep_as_chain(src, span, name, gens, perms, degree);
                    }
                    n
                }
            },
        };
        Err(Diagnostic::error(
            "group::too-large",
            format!(
                "the group has {n} elements, more than the limit of {}, and no action of it on at most {MAX_DEGREE} cosets of a subgroup generated by some of its generators was proved faithful",
                limits.max_elements
            ),
        )
        .at(src, span, "too large to list, and no faithful action found")
        .help(
            "past the element limit a presentation is kept as its action on the cosets of a subgroup generated by all its generators but one, or by one of them, when that action is proved faithful; raise --max-elements to list the group, or write it as a permutation group (`perm(n) { … }`), which is kept as a stabiliser chain on its own points",
        ))
    }

    /// A polycyclic presentation: each relation read as a power or
    /// conjugate relation, the presentation checked for consistency, then
    /// the group listed by collection.
    #[inline(never)]
    fn pc_presentation(
        &mut self,
        file: usize,
        vars: &mut Vars,
        e: &GExpr,
        p: &ast::Presentation,
        given: Option<&str>,
    ) -> Result<Group> {
        let name = self.name_of(file, e, given);
        let limits = self.prog.limits;
        let src = self.src(file).clone();
        let gens = presentation_gens(&src, p)?;
        let mut rels = Vec::new();
        let mut spans = Vec::new();
        for (sides, span) in relations(&src, vars, &gens, p, limits.max_word_len)? {
            let rel = match &sides[..] {
                [w] => pc::classify(w),
                [lhs, rhs] => pc::classify_equation(lhs, rhs),
                _ => None,
            };
            let rel = rel.ok_or_else(|| {
                Diagnostic::error(
                    "pc::relation",
                    pc::PcError::Form { relation: 0 }.to_string(),
                )
                .at(&src, span, "not a power, conjugate or commutator relation")
                .help("in pc< g1, g2 | … >, write g1^2 = w, [g2, g1] = w or g1^-1*g2*g1 = w, with w a word in the generators after g1 (or GAP's relator form, such as g2^-1*g1^-1*g2*g1*w^-1)")
            })?;
            rels.push(rel);
            spans.push(span);
        }
        // `gssm check` keeps a pc group past the element limit as its
        // presentation, alone or as a factor of a direct product or power;
        // an operand (of a semidirect product, a definition with a series,
        // an automaton's group) needs it listed.
        let beyond = self.unlisted_ok();
        let operand = self.beyond_ok && !beyond;
        let max_order = if beyond {
            PC_MAX_ORDER
        } else {
            limits.max_elements as u128
        };
        let built = pc::presentation(gens, &rels, max_order, PC_MAX_WORK).map_err(|err| {
            let d = Diagnostic::error("pc::presentation", err.to_string());
            match err {
                pc::PcError::Form { relation } => d
                    .at(&src, spans[relation], "in this relation")
                    .help("write g^p = w, [h, g] = w or g^-1*h*g = w"),
                pc::PcError::Rhs { relation, .. } => d
                    .at(&src, spans[relation], "in this relation")
                    .help("order the generators so that each relation's right side comes after the generators on its left, as in a composition series from the top down"),
                pc::PcError::SmallOrder { relation, .. } => d
                    .at(&src, spans[relation], "in this relation")
                    .help("leave out a generator that equals a word in the others, or give it its relative order (g^p = w, p ≥ 2)"),
                pc::PcError::Repeated { relation, first, .. } => d
                    .at(&src, spans[relation], "repeated")
                    .note(&src, spans[first], "first given here")
                    .help("give each power and each conjugate relation once"),
                pc::PcError::NoPower { gen, .. } => d
                    .at(&src, p.gens[gen].span, "no relative order")
                    .help("every pc generator needs a power relation such as g^2 = 1 or g^3 = h"),
                pc::PcError::Inconsistent(_) => d
                    .at(&src, e.span, "in this presentation")
                    .help("check the conjugate relations: conjugation by each generator must be an automorphism of the subgroup after it, and its power relation's power of that automorphism must be conjugation by the right side"),
                pc::PcError::Order { .. } if beyond => Diagnostic::error(
                    "pc::presentation",
                    "the relative orders multiply to 2^127 or more, past the orders gssm computes with",
                )
                .at(&src, e.span, "in this presentation")
                .help("use a smaller group: the product of the relative orders must stay below 2^127"),
                pc::PcError::Order { order, limit } if operand => Diagnostic::error(
                    "group::pc-in-product",
                    format!("a pc group of order {order}, past the element limit of {limit}, cannot be an operand here: a semidirect product, a definition with a series and an automaton's group need their groups listed"),
                )
                .at(&src, e.span, "a pc group past the element limit")
                .help("gssm keeps a pc group past the element limit alone or as a factor of a direct product or power (G x H, G^k); raise --max-elements so that it is listed here"),
                pc::PcError::Order { .. } => d
                    .at(&src, e.span, "in this presentation")
                    .help("raise --max-elements, or track a smaller group"),
                pc::PcError::LargeOrder { relation, .. } => d
                    .at(&src, spans[relation], "in this relation")
                    .help("split the generator: a cyclic step of order m·n is g with g^m = h and h of relative order n"),
                pc::PcError::Work { .. } if beyond => d
                    .at(&src, e.span, "in this presentation")
                    .help("checking this presentation's consistency takes too much collection; use fewer generators or smaller relative orders"),
                pc::PcError::Work { .. } => d
                    .at(&src, e.span, "in this presentation")
                    .help("collection in this presentation is too slow to list; use fewer generators or smaller relative orders"),
            }
        })?;
        match pc::listed(&built, &name, &limits) {
            Err(GroupError::TooManyElements { .. }) if beyond => {
                self.keep_as_pc(&src, e.span, &name, built)
            }
            r => r.map_err(|err| group_error(&src, e.span, err)),
        }
    }

    /// A pc group past the element limit, kept as its presentation:
    /// recorded in [`Elab::beyond`], and unwound as an error that
    /// [`Program`]'s check entry point takes back. Its structure gets a
    /// collection budget of its own, `--max-pc-work`.
    fn keep_as_pc(&mut self, src: &Source, span: Span, name: &str, pc: pc::Pc) -> Result<Group> {
        pc.set_work_limit(self.prog.limits.max_pc_work);
        self.beyond = Some(Unlisted::Pc(BeyondPc {
            name: name.to_string(),
            pc,
            def: None,
        }));
        Err(Diagnostic::error(
            BEYOND_LIMIT,
            "the group is past the element limit: only its structure is reported",
        )
        .at(src, span, "kept as a pc presentation"))
    }

    #[inline(never)]
    fn direct_product(
        &self,
        file: usize,
        e: &GExpr,
        vals: Vec<Value>,
        given: Option<&str>,
    ) -> Result<Group> {
        let name = self.name_of(file, e, given);
        let limits = self.prog.limits;
        let total: usize = vals.iter().map(|v| v.group.generator_names().len()).sum();
        if total > MAX_GENERATORS {
            return Err(too_many_generators(
                self.src(file),
                e.span,
                total,
                "a direct product",
                "this product",
            ));
        }
        let names = disambiguate(
            &vals
                .iter()
                .map(|v| v.group.generator_names().to_vec())
                .collect::<Vec<_>>(),
        );
        let refs: Vec<&Group> = vals.iter().map(|v| v.group.as_ref()).collect();
        direct(&name, &refs, names, &limits).map_err(|err| group_error(self.src(file), e.span, err))
    }

    #[inline(never)]
    fn power(
        &self,
        file: usize,
        e: &GExpr,
        b: Value,
        k: i64,
        given: Option<&str>,
    ) -> Result<Group> {
        let name = self.name_of(file, e, given);
        let limits = self.prog.limits;
        let src = self.src(file).clone();
        check_power(&src, e, &b.group.name, b.group.generator_names().len(), k)?;
        if k == 0 {
            return Ok(Group::trivial(name));
        }
        let copies: Vec<Vec<String>> = (0..k).map(|_| b.group.generator_names().to_vec()).collect();
        let refs: Vec<&Group> = (0..k).map(|_| b.group.as_ref()).collect();
        direct(&name, &refs, disambiguate(&copies), &limits)
            .map_err(|err| group_error(&src, e.span, err))
    }

    #[allow(clippy::too_many_arguments)]
    fn reference(
        &mut self,
        file: usize,
        vars: &mut Vars,
        e: &GExpr,
        id: &ast::Ident,
        args: Option<&[ast::IExpr]>,
        rename: Option<&str>,
    ) -> Result<Value> {
        let src = self.src(file).clone();
        if vars.get(&id.name).is_some() {
            return Err(Diagnostic::error(
                "name::not-a-group",
                format!("`{}` is an integer, not a group", id.name),
            )
            .at(&src, id.span, "an integer parameter")
            .help(format!("use a group here, e.g. `Cyclic({})`", id.name)));
        }
        let Some(&def_id) = self.scope(file).get(&id.name) else {
            return Err(self.unknown_group(file, id));
        };
        if let ast::Item::Automaton(a) = &self.prog.files[def_id.file].ast.items[def_id.item] {
            return Err(Diagnostic::error(
                "name::not-a-group",
                format!("`{}` is an automaton, not a group", id.name),
            )
            .at(&src, id.span, "an automaton")
            .help("automata are analysed with `gssm check`; a group expression needs a group")
            .note(self.src(def_id.file), a.name.span, "defined here"));
        }
        let def = self.def(def_id);
        let params = def.params.as_deref().unwrap_or(&[]);
        let given = args.map_or(0, <[_]>::len);
        let arity_err = |msg: String, help: String| {
            Diagnostic::error("arity", msg)
                .at(&src, e.span, "wrong number of arguments")
                .help(help)
                .note(
                    self.src(def_id.file),
                    def.name.span,
                    format!("`{}` is defined here", id.name),
                )
        };
        match (&def.params, args) {
            (None, Some(_)) => {
                return Err(arity_err(
                    format!("`{}` takes no arguments", id.name),
                    format!("write `{}` without parentheses", id.name),
                ));
            }
            (Some(_), _) if given != params.len() => {
                let want = params
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                let msg = format!(
                    "`{}` takes {} argument{} ({want}), but {given} {} given",
                    id.name,
                    params.len(),
                    if params.len() == 1 { "" } else { "s" },
                    if given == 1 { "was" } else { "were" }
                );
                return Err(arity_err(
                    msg,
                    format!(
                        "write `{}({want})` with an integer for each parameter",
                        id.name
                    ),
                ));
            }
            _ => {}
        }
        let argv: Vec<i64> = args
            .unwrap_or(&[])
            .iter()
            .map(|a| int::eval(&src, vars, a))
            .collect::<Result<_>>()?;
        let v = match self.call(def_id, argv, file, e.span) {
            Err(d) if self.is_beyond(&d) => {
                if let (Some(name), Some((b, _))) = (rename, self.beyond_origin()) {
                    *b = name.to_string();
                }
                return Err(d);
            }
            v => v?,
        };
        // A definition's body names its group after the definition; an
        // alias (`group C6 = Cyclic(6)`) renames it.
        if let Some(name) = rename.filter(|n| *n != v.group.name) {
            let mut g = (*v.group).clone();
            g.name = name.to_string();
            return Ok(Value {
                group: Rc::new(g),
                ..v
            });
        }
        Ok(v)
    }

    fn unknown_group(&self, file: usize, id: &ast::Ident) -> Diagnostic {
        let src = self.src(file);
        let d = Diagnostic::error(
            "name::unknown-group",
            format!("unknown group `{}`", id.name),
        )
        .at(src, id.span, "not defined or imported");
        if let Some(m) = stdlib::defining_module(&id.name) {
            return d.help(format!("`{}` is defined in the stdlib module \"{m}\": add `import \"{m}\"` at the top of the file", id.name));
        }
        let scope = self.scope(file);
        let mut names: Vec<&str> = scope.keys().map(String::as_str).collect();
        names.sort_unstable();
        match suggest(&id.name, names.iter().copied()) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None if names.is_empty() => d.help("nothing is defined yet: define it with `group NAME = …`, or import the stdlib (`import \"families\"`, `import \"seed\"`)"),
            None => {
                let shown: Vec<&str> = names.iter().take(12).copied().collect();
                let more = if names.len() > shown.len() { ", …" } else { "" };
                d.help(format!("groups in scope: {}{more}", shown.join(", ")))
            }
        }
    }

    /// Elaborate definition `id` with arguments, called from `call_span`.
    fn call(
        &mut self,
        id: DefId,
        args: Vec<i64>,
        call_file: usize,
        call_span: Span,
    ) -> Result<Value> {
        let def = self.def(id);
        let def_src = self.src(id.file).clone();
        let call_src = self.src(call_file).clone();
        let label = match &def.params {
            Some(_) => format!(
                "{}({})",
                def.name.name,
                args.iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => def.name.name.clone(),
        };
        let mut vars = Vars::default();
        for (p, &a) in def.params.as_deref().unwrap_or(&[]).iter().zip(&args) {
            vars.push(&p.name, a);
        }
        for g in &def.guards {
            let holds = int::eval(&def_src, &vars, &g.cond).map_err(|d| {
                add_note(d, &call_src, call_span, &format!("in {label}, used here"))
            })? != 0;
            let msg = self.message(&def_src, &vars, &g.message)?;
            match g.kind {
                GuardKind::Require if !holds => {
                    let cond = text_of(&def_src, g.cond.span);
                    return Err(Diagnostic::error("require", msg)
                        .at(
                            &call_src,
                            call_span,
                            format!("{label} does not satisfy `{cond}`"),
                        )
                        .help(format!("change the arguments so that `{cond}` holds"))
                        .note(&def_src, g.span, format!("required by {}", def.name.name)));
                }
                GuardKind::Warn if holds && self.is_user(call_file) => {
                    self.warnings
                        .push(Diagnostic::warning("convention", msg).at(
                            &call_src,
                            call_span,
                            format!("{label} as written here"),
                        ));
                }
                _ => {}
            }
        }
        if self.stack.iter().any(|f| f.def == id && f.args == args) {
            let chain = self.chain(&label);
            return Err(Diagnostic::error(
                "recursion",
                format!("{label} is defined in terms of itself: {chain}"),
            )
            .at(
                &call_src,
                call_span,
                "this use of the definition never ends",
            )
            .help("a group cannot contain itself; define it without referring back to it"));
        }
        if self.stack.len() >= MAX_CALL_DEPTH {
            let chain = self.chain(&label);
            return Err(Diagnostic::error("recursion", format!("definitions nest more than {MAX_CALL_DEPTH} deep: {chain}"))
                .at(&call_src, call_span, "nesting limit reached here")
                .help("a definition that refers to itself never finishes (gssm has no conditional groups): write the group without self-reference"));
        }
        let key = (id, args.clone());
        if let Some(c) = self.prog.cache.borrow().get(&key).cloned() {
            self.warnings.extend(c.warnings);
            return Ok(c.value);
        }
        self.stack.push(Frame {
            def: id,
            args,
            label: label.clone(),
        });
        let before = self.warnings.len();
        let result = self.body(id, &mut vars, &label);
        self.stack.pop();
        // A use on the command line needs no note: the error is about the
        // definition the user named.
        let from_cli = call_file == self.expr_file();
        if let Err(d) = &result {
            if self.is_beyond(d) {
                if let Some((_, d)) = self.beyond_origin() {
                    *d = Some((id.file, def.span));
                }
            }
        }
        let mut value = result.map_err(|d| {
            if from_cli {
                d
            } else {
                add_note(d, &call_src, call_span, &format!("in {label}, used here"))
            }
        })?;
        value.def = Some((id.file, def.span));
        if self.is_user(id.file) && def.params.is_none() {
            if let Some(w) = convention_warning(&def.name.name, value.group.order()) {
                self.warnings.push(
                    Diagnostic::warning("convention", w)
                        .at(
                            &def_src,
                            def.name.span,
                            format!("order {}", value.group.order()),
                        )
                        .help("gssm follows GAP's naming; rename the group to avoid confusion"),
                );
            }
        }
        let cached = Cached {
            value: value.clone(),
            warnings: self.warnings[before..].to_vec(),
        };
        self.prog.cache.borrow_mut().insert(key, cached);
        Ok(value)
    }

    fn body(&mut self, id: DefId, vars: &mut Vars, label: &str) -> Result<Value> {
        let def = self.def(id);
        // A series is given by elements of the listed group.
        let mut v = if def.series.is_some() {
            self.operand(|el| el.gexpr(id.file, vars, &def.body, Some(label)))?
        } else {
            self.gexpr(id.file, vars, &def.body, Some(label))?
        };
        if let Some(s) = &def.series {
            v.series = Some(self.series(id.file, vars, &v.group, s)?);
        }
        Ok(v)
    }

    fn chain(&self, last: &str) -> String {
        let mut parts: Vec<&str> = self.stack.iter().map(|f| f.label.as_str()).collect();
        if parts.len() > 6 {
            let tail = parts.split_off(parts.len() - 2);
            parts.truncate(3);
            parts.push("…");
            parts.extend(tail);
        }
        parts.push(last);
        parts.join(" → ")
    }

    fn message(&self, src: &Source, vars: &Vars, m: &ast::Message) -> Result<String> {
        let mut out = String::new();
        for p in &m.parts {
            match p {
                MessagePart::Text(t) => out.push_str(t),
                MessagePart::Expr(e) => out.push_str(&int::eval(src, vars, e)?.to_string()),
            }
        }
        Ok(out)
    }

    fn series(
        &self,
        file: usize,
        vars: &Vars,
        g: &Group,
        s: &ast::SeriesHint,
    ) -> Result<SeriesHint> {
        let src = self.src(file).clone();
        let gens = g.generator_names().to_vec();
        let lookup = Gens::new(&gens);
        let mut subgroups = Vec::new();
        let mut spans = Vec::new();
        for sub in &s.subgroups {
            let elems = sub
                .words
                .iter()
                .map(|w| {
                    expand(&src, vars, &lookup, w, self.prog.limits.max_word_len)
                        .map(|w| g.eval_word(&w))
                })
                .collect::<Result<Vec<_>>>()?;
            subgroups.push(elems);
            spans.push(sub.span);
        }
        Ok(SeriesHint {
            subgroups,
            spans,
            span: s.span,
            source: src,
        })
    }

    // ------------------------------------------------------------ permutations

    #[inline(never)]
    fn perm_group(
        &mut self,
        file: usize,
        vars: &mut Vars,
        e: &GExpr,
        p: &ast::PermGroup,
        name: &str,
    ) -> Result<Group> {
        let src = self.src(file).clone();
        let degree = match &p.degree {
            Some(d) => {
                let n = int::eval(&src, vars, d)?;
                if !(1..=MAX_DEGREE).contains(&n) {
                    return Err(Diagnostic::error(
                        "perm::degree",
                        format!("degree {n} is out of range"),
                    )
                    .at(&src, d.span, format!("must be between 1 and {MAX_DEGREE}"))
                    .help(
                        "the degree is the number of points the permutations move, numbered from 1",
                    ));
                }
                Some(n)
            }
            None => None,
        };
        let mut perms: Vec<PermGen> = Vec::new();
        let mut names_seen: Vec<(String, Span)> = Vec::new();
        for item in &p.items {
            if let (Some(n), false) = (&item.name, item.fors.is_empty()) {
                return Err(Diagnostic::error("perm::named-comprehension", format!("a comprehension cannot be named `{}`", n.name))
                    .at(&src, n.span, "one name for several generators")
                    .help("drop the name (generators without names are called g1, g2, … by position) or write the generators out one by one"));
            }
            let mut steps = 0u64;
            self.perm_item(&src, vars, degree, item, 0, &mut perms, &mut steps)?;
        }
        for (n, _, sp) in &perms {
            if let Some(n) = n {
                if let Some((_, first)) = names_seen.iter().find(|(m, _)| m == n) {
                    return Err(Diagnostic::error(
                        "name::duplicate-generator",
                        format!("generator `{n}` is named twice"),
                    )
                    .at(&src, *sp, "second generator with this name")
                    .help("give each generator its own name")
                    .note(&src, *first, "first named here"));
                }
                names_seen.push((n.clone(), *sp));
            }
        }
        let deg = degree.unwrap_or_else(|| {
            perms
                .iter()
                .flat_map(|(_, cs, _)| cs.iter().flatten())
                .map(|&x| x as i64 + 1)
                .max()
                .unwrap_or(1)
        }) as usize;
        if perms.len() * deg > MAX_PERM_WORK {
            return Err(Diagnostic::error(
                "perm::too-large",
                format!(
                    "{} generators on {deg} points are more than gssm enumerates",
                    perms.len()
                ),
            )
            .at(&src, e.span, "too many generators for this degree")
            .help(format!(
                "keep generators × degree at most {MAX_PERM_WORK}: a group needs few generators"
            )));
        }
        let mut images = Vec::with_capacity(perms.len());
        for (_, cycles, sp) in &perms {
            images.push(from_cycles(deg, cycles).map_err(|m| {
                Diagnostic::error("perm::invalid", m).at(&src, *sp, "in this permutation")
            })?);
        }
        let given: Vec<Option<String>> = perms.iter().map(|(n, _, _)| n.clone()).collect();
        let names = fill_names(&given);
        match group_from_permutations(name, names.clone(), &images, &self.prog.limits) {
            Err(GroupError::TooManyElements { .. }) if self.unlisted_ok() => {
                self.keep_as_chain(&src, e.span, name, names, images, deg)
            }
            r => r.map_err(|err| group_error(&src, e.span, err)),
        }
    }

    /// A permutation group past the element limit, kept as a stabiliser
    /// chain: recorded in [`Elab::beyond`], and unwound as an error that
    /// [`Program`]'s check entry point takes back.
    fn keep_as_chain(
        &mut self,
        src: &Source,
        span: Span,
        name: &str,
        gen_names: Vec<String>,
        gens: Vec<Perm>,
        degree: usize,
    ) -> Result<Group> {
        let limits = chain_limits(&self.prog.limits);
        let chain = Chain::random_generated(degree, &gens, limits, DEFAULT_SEED).map_err(|err| {
            Diagnostic::error("group::chain", err.to_string())
                .at(src, span, "while building this group's stabiliser chain")
                .help("the group is past the element limit, so gssm builds a base and strong generating set instead of listing it; raise --max-memory or --max-chain-work, or use fewer points")
        })?;
        self.beyond = Some(Unlisted::Chain(Beyond {
            name: name.to_string(),
            gen_names,
            gens,
            chain,
            def: None,
        }));
        Err(Diagnostic::error(
            BEYOND_LIMIT,
            "the group is past the element limit: only its structure is reported",
        )
        .at(src, span, "kept as a stabiliser chain"))
    }

    /// Expand one item, looping over its `for` clauses from `level` on.
    #[allow(clippy::too_many_arguments)]
    fn perm_item(
        &self,
        src: &Source,
        vars: &mut Vars,
        degree: Option<i64>,
        item: &ast::PermItem,
        level: usize,
        out: &mut Vec<PermGen>,
        steps: &mut u64,
    ) -> Result<()> {
        if let Some(f) = item.fors.get(level) {
            let (a, b) = (int::eval(src, vars, &f.from)?, int::eval(src, vars, &f.to)?);
            let mut k = a;
            while k <= b {
                *steps += 1;
                if *steps > MAX_LOOP_STEPS {
                    return Err(Diagnostic::error(
                        "perm::loop",
                        format!("this comprehension runs more than {MAX_LOOP_STEPS} steps"),
                    )
                    .at(src, f.span, "too many iterations")
                    .help("narrow the ranges"));
                }
                vars.push(&f.var.name, k);
                let r = self.perm_item(src, vars, degree, item, level + 1, out, steps);
                vars.pop();
                r?;
                k += 1;
            }
            return Ok(());
        }
        if let Some(c) = &item.cond {
            if int::eval(src, vars, c)? == 0 {
                return Ok(());
            }
        }
        if out.len() >= MAX_GENERATORS {
            return Err(Diagnostic::error(
                "perm::generators",
                format!("more than {MAX_GENERATORS} generators"),
            )
            .at(src, item.span, "this item makes too many generators")
            .help("a group needs few generators: narrow the comprehension"));
        }
        let mut seen: HashMap<i64, Span> = HashMap::new();
        let mut cycles = Vec::new();
        for c in &item.cycles {
            let mut points = Vec::new();
            for entry in &c.entries {
                let (lo, hi, sp) = match entry {
                    ast::Entry::Point(x) => {
                        let v = int::eval(src, vars, x)?;
                        (v, v, x.span)
                    }
                    ast::Entry::Range(a, b, sp) => {
                        (int::eval(src, vars, a)?, int::eval(src, vars, b)?, *sp)
                    }
                };
                if hi.saturating_sub(lo) >= MAX_DEGREE {
                    return Err(Diagnostic::error(
                        "perm::range",
                        format!("the range {lo}..{hi} has more than {MAX_DEGREE} points"),
                    )
                    .at(src, sp, "too long")
                    .help(format!("permutations act on at most {MAX_DEGREE} points")));
                }
                for x in lo..=hi {
                    let bad = |msg: String, label: String, help: String| {
                        Diagnostic::error("perm::point", msg)
                            .at(src, sp, label)
                            .help(help)
                    };
                    if x < 1 {
                        return Err(bad(
                            format!("point {x} is not a valid point"),
                            format!("is {x}"),
                            "points are numbered from 1: write (1,2,3), not (0,1,2)".into(),
                        ));
                    }
                    if let Some(d) = degree {
                        if x > d {
                            return Err(bad(
                                format!("point {x} is outside the degree {d}"),
                                format!("is {x}, above {d}"),
                                format!("use points 1..{d}, or raise the degree in perm({d})"),
                            ));
                        }
                    } else if x > MAX_DEGREE {
                        return Err(bad(
                            format!("point {x} is too large"),
                            format!("is {x}"),
                            format!("points go up to {MAX_DEGREE}"),
                        ));
                    }
                    if let Some(first) = seen.get(&x) {
                        return Err(Diagnostic::error("perm::not-a-permutation", format!("point {x} appears twice, so this is not a permutation"))
                            .at(src, sp, format!("{x} again"))
                            .help("in cycle notation each point appears at most once per permutation: combine the cycles that share it")
                            .note(src, *first, format!("{x} first appears here")));
                    }
                    seen.insert(x, sp);
                    points.push((x - 1) as u32);
                }
            }
            cycles.push(points);
        }
        out.push((
            item.name.as_ref().map(|n| n.name.clone()),
            cycles,
            item.span,
        ));
        Ok(())
    }

    // ------------------------------------------------------------ semidirect

    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn semidirect(
        &mut self,
        file: usize,
        vars: &mut Vars,
        e: &GExpr,
        nv: Value,
        hv: Value,
        action: &ast::Action,
        name: &str,
    ) -> Result<Group> {
        let src = self.src(file).clone();
        let total = nv.group.generator_names().len() + hv.group.generator_names().len();
        if total > MAX_GENERATORS {
            return Err(too_many_generators(
                &src,
                e.span,
                total,
                "a semidirect product",
                "this product",
            ));
        }
        let (ng, hg) = (nv.group.as_ref(), hv.group.as_ref());
        let n_names = ng.generator_names().to_vec();
        let h_names = hg.generator_names().to_vec();
        let (maps, block_of) = action_maps(
            &src,
            vars,
            (&ng.name, &n_names),
            (&hg.name, &h_names),
            action,
            self.prog.limits.max_word_len,
        )?;
        let names = disambiguate(&[n_names.clone(), h_names.clone()]);
        // Past the element limit, where it may be kept unlisted, the
        // product is a permutation group on the cosets of H.
        let order = ng.order() as u128 * hg.order() as u128;
        let unlisted = self.unlisted_ok() && order > self.prog.limits.max_elements as u128;
        let built = if unlisted {
            automorphisms(ng, hg, &maps).map(Built::Action)
        } else {
            semidirect(name, ng, hg, &maps, names.clone(), &self.prog.limits).map(Built::Listed)
        };
        let act = match built.map_err(|err| {
            let block_span = |j: usize| block_of.get(j).copied().flatten().map_or(action.span, |b| b.span);
            match err {
                ActionError::NotHomomorphism { h_gen, h_gen_name, relator, .. } => Diagnostic::error(
                    "action::not-homomorphism",
                    format!("the action of `{h_gen_name}` is not a homomorphism of {}: the relation {relator} = 1 fails for the images", ng.name),
                )
                .at(&src, block_span(h_gen), format!("these images break {relator} = 1"))
                .help(format!(
                    "the images of {}'s generators must satisfy all of its relations (so each image's order divides its generator's order); change the images under `{h_gen_name}`",
                    ng.name
                )),
                ActionError::NotBijective { h_gen, h_gen_name, image_order, order } => Diagnostic::error(
                    "action::not-automorphism",
                    format!("the action of `{h_gen_name}` is not an automorphism of {}: its image has {image_order} of {order} elements", ng.name),
                )
                .at(&src, block_span(h_gen), "these images do not generate N")
                .help(format!("choose images that generate all of {}", ng.name)),
                ActionError::NotHomomorphismFromH { h_gen_name, n_gen_name, relator, .. } => Diagnostic::error(
                    "action::not-homomorphism",
                    format!("the action does not respect {}'s relation {relator} = 1: composed along it, the maps move `{n_gen_name}`", hg.name),
                )
                .at(&src, action.span, format!("fails {relator} = 1"))
                .help(format!(
                    "composing the automorphisms along each relation of {} must give the identity; e.g. if `{h_gen_name}` has order k, applying its map k times must fix every generator of N",
                    hg.name
                )),
                ActionError::Group(g) => group_error(&src, e.span, g),
                other => Diagnostic::error("action::invalid", other.to_string()).at(&src, action.span, "in this action"),
            }
        })? {
            Built::Listed(g) => return Ok(g),
            Built::Action(act) => act,
        };
        let h_degree = hg.action_degree();
        let faithful = act.faithful(ng, hg);
        let degree = ng.order() as u128 + if faithful { 0 } else { h_degree as u128 };
        if degree > MAX_DEGREE as u128 {
            return Err(Diagnostic::error(
                "group::product-degree",
                format!("past the element limit, this product acts on {} points (N's elements, and H's {h_degree} points where H does not act faithfully), more than the {MAX_DEGREE} a stabiliser chain takes", ng.order()),
            )
            .at(&src, e.span, "past the element limit, this product is a permutation group")
            .help("a semidirect product N : H past the element limit acts on the cosets of H, one per element of N: use a smaller N, or raise --max-elements to list it"));
        }
        let (degree, gens) = semidirect_perms(ng, hg, &act);
        self.keep_as_chain(&src, e.span, name, names, gens, degree)
    }
}

/// The images of N's generators under each generator of H, with the block
/// each came from.
type ActionMaps<'a> = (Vec<Vec<Word>>, Vec<Option<&'a ast::ActionBlock>>);

/// The action block of `N : H by { y: a -> w, … }` read against N's and
/// H's generators (each as the group's name and its generator names): for
/// each generator of H, the images of N's generators as words in them (a
/// generator not mapped is fixed, one not given acts trivially), with the
/// block that gave them.
fn action_maps<'a>(
    src: &Source,
    vars: &mut Vars,
    (n_group, n_names): (&str, &[String]),
    (h_group, h_names): (&str, &[String]),
    action: &'a ast::Action,
    max_word_len: usize,
) -> Result<ActionMaps<'a>> {
    let n_lookup = Gens::new(n_names);
    let identity: Vec<Word> = (0..n_names.len()).map(|i| vec![(i, 1)]).collect();
    let mut maps: Vec<Vec<Word>> = vec![identity; h_names.len()];
    let mut block_of: Vec<Option<&ast::ActionBlock>> = vec![None; h_names.len()];
    for b in &action.blocks {
        let Some(j) = h_names.iter().position(|x| *x == b.gen.name) else {
            let list = h_names.join(", ");
            let help = match suggest(&b.gen.name, h_names.iter().map(String::as_str)) {
                Some(s) => format!(
                    "did you mean `{s}`? The action is given per generator of H = {} ({list})",
                    h_group
                ),
                None => format!(
                    "the action is given per generator of H = {}: {}",
                    h_group,
                    if list.is_empty() {
                        "it has none".into()
                    } else {
                        list
                    }
                ),
            };
            return Err(Diagnostic::error(
                "action::unknown-generator",
                format!("`{}` is not a generator of {}", b.gen.name, h_group),
            )
            .at(src, b.gen.span, "not a generator of H")
            .help(help));
        };
        if let Some(prev) = block_of[j] {
            return Err(Diagnostic::error(
                "action::duplicate",
                format!("the action of `{}` is given twice", b.gen.name),
            )
            .at(src, b.span, "second action")
            .help("give each generator of H one list of images")
            .note(src, prev.span, "first given here"));
        }
        block_of[j] = Some(b);
        let mut mapped: Vec<&ast::Map> = Vec::new();
        for m in &b.maps {
            let Some(i) = n_names.iter().position(|x| *x == m.from.name) else {
                let help = match suggest(&m.from.name, n_names.iter().map(String::as_str)) {
                    Some(s) => format!(
                        "did you mean `{s}`? Maps send generators of N = {} ({})",
                        n_group,
                        n_names.join(", ")
                    ),
                    None => format!(
                        "maps send generators of N = {} to words in them: {}",
                        n_group,
                        n_names.join(", ")
                    ),
                };
                return Err(Diagnostic::error(
                    "action::unknown-generator",
                    format!("`{}` is not a generator of {}", m.from.name, n_group),
                )
                .at(src, m.from.span, "not a generator of N")
                .help(help));
            };
            if let Some(prev) = mapped.iter().find(|p| p.from.name == m.from.name) {
                return Err(Diagnostic::error(
                    "action::duplicate",
                    format!(
                        "the image of `{}` under `{}` is given twice",
                        m.from.name, b.gen.name
                    ),
                )
                .at(src, m.span, "second image")
                .help("give one image per generator of N")
                .note(src, prev.span, "first given here"));
            }
            mapped.push(m);
            maps[j][i] = expand(src, vars, &n_lookup, &m.to, max_word_len)?;
        }
    }
    Ok((maps, block_of))
}

/// A semidirect product as listed, or its action kept for a permutation
/// group past the element limit.
enum Built {
    Listed(Group),
    Action(Automorphisms),
}

/// A group with more than [`MAX_GENERATORS`] generators, at `span`.
fn too_many_generators(
    src: &Source,
    span: Span,
    count: usize,
    kind: &str,
    what: &str,
) -> Diagnostic {
    Diagnostic::error(
        "group::generators",
        format!("{kind} with {count} generators: more than the {MAX_GENERATORS} gssm accepts"),
    )
    .at(src, span, format!("{what} is past the limit"))
    .help(format!(
        "a group needs few generators: drop redundant ones (at most {MAX_GENERATORS}), or build the group from smaller named parts"
    ))
}

/// `G^k` needs 0 ≤ k and at most [`MAX_GENERATORS`] generators in all.
/// The limits of every stabiliser chain elaboration keeps or builds.
fn chain_limits(limits: &crate::group::Limits) -> ChainLimits {
    ChainLimits {
        max_degree: MAX_DEGREE as usize,
        max_generators: MAX_GENERATORS,
        max_memory: limits.max_memory,
        max_work: limits.max_chain_work,
        ..ChainLimits::default()
    }
}

fn check_power(src: &Source, e: &GExpr, base: &str, gens: usize, k: i64) -> Result<()> {
    if k < 0 || (k as u128) * (gens.max(1) as u128) > MAX_GENERATORS as u128 {
        let label = if k < 0 {
            "a negative power"
        } else {
            "too many copies"
        };
        return Err(Diagnostic::error(
            "group::power",
            format!("cannot take the direct power {base}^{k}"),
        )
        .at(src, e.span, label)
        .help(format!(
            "G^k is the direct product of k copies of G: k must be between 0 and {}",
            MAX_GENERATORS / gens.max(1)
        )));
    }
    Ok(())
}

/// A factor of a product past the element limit.
enum Factor {
    Listed(Value),
    Chain(Beyond),
    /// A pc group past the element limit: the product is then a pc group.
    Pc(BeyondPc),
}

impl Factor {
    fn name(&self) -> String {
        match self {
            Factor::Listed(v) => v.group.name.clone(),
            Factor::Chain(c) => c.name.clone(),
            Factor::Pc(b) => b.name.clone(),
        }
    }

    fn gen_names(&self) -> &[String] {
        match self {
            Factor::Listed(v) => v.group.generator_names(),
            Factor::Chain(c) => &c.gen_names,
            Factor::Pc(b) => b.pc.names(),
        }
    }

    /// The order, saturating at `u128::MAX`.
    fn order(&self) -> u128 {
        match self {
            Factor::Listed(v) => v.group.order() as u128,
            Factor::Chain(c) => u128::try_from(&c.chain.order()).unwrap_or(u128::MAX),
            Factor::Pc(b) => b.pc.order(),
        }
    }

    /// Points the factor acts on ([`Group::action_degree`] when listed).
    /// A product with a pc factor is a pc group, so only listed and chain
    /// factors are asked.
    fn degree(&self) -> usize {
        match self {
            Factor::Listed(v) => v.group.action_degree(),
            Factor::Chain(c) => c.chain.degree(),
            Factor::Pc(_) => unreachable!("a product with a pc factor is kept as a pc group"),
        }
    }

    /// The generators as permutations of [`Factor::degree`] points.
    fn perms(&self) -> Vec<Perm> {
        match self {
            Factor::Listed(v) => v.group.action_perms(),
            Factor::Chain(c) => c.gens.clone(),
            Factor::Pc(_) => unreachable!("a product with a pc factor is kept as a pc group"),
        }
    }
}

/// A group built from an expression, with no definition or series.
fn plain(g: Group) -> Value {
    Value {
        group: Rc::new(g),
        series: None,
        def: None,
    }
}

fn add_note(mut d: Diagnostic, src: &Source, span: Span, msg: &str) -> Diagnostic {
    let already = d.file.as_ref().is_some_and(|f| f.name == src.name) && d.span == Some(span);
    if !already && d.notes.len() < MAX_NOTES {
        d = d.note(src, span, msg);
    }
    d
}

/// A group-engine error at the expression that caused it.
fn group_error(src: &Source, span: Span, e: GroupError) -> Diagnostic {
    match e {
        GroupError::TooManyElements { limit } => Diagnostic::error("group::too-large", format!("the group has more than {limit} elements"))
            .at(src, span, "this group is too large")
            .help("raise the limit with --max-elements (the Cayley table holds order² entries), or use a smaller group"),
        GroupError::TooManyCosets { limit } => Diagnostic::error("group::cosets", format!("coset enumeration exceeded {limit} cosets"))
            .at(src, span, "this presentation may define an infinite group")
            .help("check that the relators bound the group (e.g. give every generator an order such as `a^n`), or raise --max-cosets"),
        GroupError::TooMuchMemory { what, bytes, limit } => Diagnostic::error(
            "group::memory",
            format!(
                "{what} would take {}, more than the memory limit of {}",
                format_bytes(bytes),
                format_bytes(limit as u128)
            ),
        )
            .at(src, span, "building this group needs too much memory")
            .help("raise the limit with --max-memory (in bytes, or with a unit such as 8GiB) if the machine has the memory, or use a smaller group"),
        GroupError::Invalid(m) => Diagnostic::error("group::invalid", m)
            .at(src, span, "while building this group")
            .help("check the presentation's relators and the limits (--max-cosets)"),
    }
}

/// A proven-faithful action of `< ngens | relators >` (see
/// [`faithful::search`]), as a diagnostic at `span` where the chains
/// fail.
fn faithful_action(
    src: &Source,
    span: Span,
    relators: &[Word],
    ngens: usize,
    limits: &crate::group::Limits,
    known: Option<usize>,
) -> Result<Option<(Vec<Perm>, usize)>> {
    // As the chain kept in the end (`keep_as_chain`).
    faithful::search(relators, ngens, limits, chain_limits(limits), known).map_err(|err| {
        Diagnostic::error("group::chain", err.to_string())
            .at(src, span, "while looking for a faithful action of this group")
            .help("the group is past the element limit, so gssm builds its action on the cosets of a subgroup and that action's stabiliser chain; raise --max-memory or --max-chain-work")
    })
}

/// Most collection steps building and checking one pc presentation may
/// take (about a second).
const PC_MAX_WORK: u64 = 200_000_000;

/// Largest product of relative orders a pc group past the element limit
/// may have: orders are exact in 128 bits below it.
const PC_MAX_ORDER: u128 = u128::MAX >> 1;

/// A presentation's generator names, each once.
fn presentation_gens(src: &Source, p: &ast::Presentation) -> Result<Vec<String>> {
    if let Some(g) = p.gens.get(MAX_GENERATORS) {
        return Err(too_many_generators(
            src,
            g.span,
            p.gens.len(),
            "a presentation",
            &format!("generator number {}", MAX_GENERATORS + 1),
        ));
    }
    let mut first: HashMap<&str, Span> = HashMap::with_capacity(p.gens.len());
    for g in &p.gens {
        if let Some(first) = first.insert(&g.name, g.span) {
            return Err(Diagnostic::error(
                "name::duplicate-generator",
                format!("generator `{}` is listed twice", g.name),
            )
            .at(src, g.span, "repeated")
            .help("give each generator its own name")
            .note(src, first, "first listed here"));
        }
    }
    Ok(p.gens.iter().map(|g| g.name.clone()).collect())
}

/// A presentation's relations, each as its expanded sides (one for a
/// relator, more for `w1 = w2 = …`) with its span.
fn relations(
    src: &Source,
    vars: &Vars,
    gens: &[String],
    p: &ast::Presentation,
    max_word_len: usize,
) -> Result<Vec<(Vec<Word>, Span)>> {
    let lookup = Gens::new(gens);
    p.relations
        .iter()
        .map(|r| {
            let sides = r
                .sides
                .iter()
                .map(|w| expand(src, vars, &lookup, w, max_word_len))
                .collect::<Result<_>>()?;
            Ok((sides, r.span))
        })
        .collect()
}
