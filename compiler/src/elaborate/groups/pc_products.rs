//! Products kept as pc groups past the element limit: a direct product
//! or power with a pc factor, a semidirect product with a pc operand.
//! Every operand becomes a pc presentation (a pc group as it is, a chain or
//! a listed group converted along its derived series); the group engine
//! builds the product (`pc::direct_product`, `pc::semidirect_product`,
//! `pc_action`), and this module maps its errors to diagnostics.

use super::*;
use crate::group::bsgs::pcpres::{pc_presentation, PcOfChain, PcOfChainError};
use crate::group::pc_action::{pc_action, PcActionError, PcOperand};

impl<'p> Elab<'p> {
    /// A direct product with a factor that is a pc group past the element
    /// limit, kept as a pc group: every factor as a pc presentation (a pc
    /// factor as it is; a stabiliser chain, or a listed factor through its
    /// faithful permutation action, by [`pc_presentation`]), then their
    /// direct product ([`pc::direct_product`]). The factors' orders are
    /// bounded before any is converted; a factor that is not solvable has
    /// no pc presentation and is an error at that factor.
    pub(super) fn pc_product(
        &mut self,
        file: usize,
        e: &GExpr,
        parts: &[(&Factor, Span)],
        given: Option<&str>,
    ) -> Result<Value> {
        let src = self.src(file).clone();
        let name = self.name_of(file, e, given);
        let limits = self.prog.limits;
        let order = parts
            .iter()
            .fold(1u128, |acc, (p, _)| acc.saturating_mul(p.order()));
        if order > PC_MAX_ORDER {
            return Err(Diagnostic::error(
                "pc::presentation",
                "the factors' orders multiply to 2^127 or more, past the orders gssm's pc groups compute with",
            )
            .at(&src, e.span, "this product, kept as a pc group")
            .help("a direct product with a pc group past the element limit is kept as a pc group, whose order must stay below 2^127: use fewer or smaller factors"));
        }
        // A power's copies are one factor: converted once.
        let mut pcs: Vec<pc::Pc> = Vec::with_capacity(parts.len());
        let mut which: Vec<usize> = Vec::with_capacity(parts.len());
        for (k, &(p, span)) in parts.iter().enumerate() {
            match parts[..k].iter().position(|&(q, _)| std::ptr::eq(p, q)) {
                Some(first) => which.push(which[first]),
                None => {
                    pcs.push(self.factor_as_pc(&src, span, p)?);
                    which.push(pcs.len() - 1);
                }
            }
        }
        let refs: Vec<&pc::Pc> = which.iter().map(|&i| &pcs[i]).collect();
        let names = disambiguate(&refs.iter().map(|p| p.names().to_vec()).collect::<Vec<_>>());
        let built = pc::direct_product(&refs, names, PC_MAX_ORDER, limits.max_pc_work).map_err(|err| {
            let d = Diagnostic::error("pc::presentation", err.to_string())
                .at(&src, e.span, "this product, kept as a pc group");
            match err {
                pc::PcError::Work { .. } => d.help("checking the product's pc presentation takes too much collection: raise --max-pc-work, or use fewer or smaller factors"),
                pc::PcError::Order { .. } => d.help("the product of the relative orders must stay below 2^127: use fewer or smaller factors"),
                _ => d.help("the direct product of consistent pc presentations is consistent, so this is a bug in gssm: please report it with the file"),
            }
        })?;
        self.keep_as_pc(&src, e.span, &name, built).map(plain)
    }

    /// A factor of a product kept as a pc group, as a pc presentation: a
    /// pc group as it is, a stabiliser chain converted along its derived
    /// series, a listed group through its faithful permutation action
    /// ([`Group::action_perms`]). Errors are at the factor's `span`.
    pub(super) fn factor_as_pc(&self, src: &Source, span: Span, f: &Factor) -> Result<pc::Pc> {
        let role = Role {
            noun: "factor",
            chain_help: "a factor of a product with a pc group past the element limit is converted to a pc presentation through a stabiliser chain; raise --max-memory or --max-chain-work",
            not_solvable_code: "group::pc-product-not-solvable",
            not_solvable: format!("{} cannot be a factor of a direct product with a pc group past the element limit", f.name()),
            not_solvable_help: "a pc group past the element limit multiplies only with solvable groups, as the product is kept as a pc group; raise --max-elements so that the pc group is listed, or write it as a permutation group (a product of permutation groups past the limit is kept as a stabiliser chain)",
            limit_help: "a factor of a product with a pc group past the element limit is converted to a pc presentation; raise the limit named, or use a smaller factor",
        };
        let converted = match f {
            Factor::Pc(b) => return Ok(b.pc.clone()),
            Factor::Chain(c) => pc_presentation(&c.chain, self.prog.limits.max_pc_work),
            // The trivial group has the empty presentation.
            Factor::Listed(v) if v.group.order() == 1 => return empty_pc(src, span, "this factor"),
            Factor::Listed(v) => self.listed_pc(
                src,
                span,
                &role,
                v.group.action_degree(),
                &v.group.action_perms(),
            )?,
        };
        converted
            .map(PcOfChain::into_pc)
            .map_err(|err| role.error(src, span, err))
    }

    /// A listed group's pc presentation through `perms`, an action of it
    /// on `degree` points (which may be more than a permutation group is
    /// written on: its elements).
    fn listed_pc(
        &self,
        src: &Source,
        span: Span,
        role: &Role,
        degree: usize,
        perms: &[Perm],
    ) -> Result<std::result::Result<PcOfChain, PcOfChainError>> {
        let limits = self.prog.limits;
        let chain_limits = ChainLimits {
            max_degree: (MAX_DEGREE as usize).max(degree),
            ..chain_limits(&limits)
        };
        let chain = Chain::random_generated(degree, perms, chain_limits, DEFAULT_SEED)
            .map_err(|err| role.chain_error(src, span, err.to_string()))?;
        Ok(pc_presentation(&chain, limits.max_pc_work))
    }

    /// An operand of a semidirect product: listed, as before; where the
    /// product may be kept unlisted and the operand is (or holds) a pc
    /// group past the element limit, elaborated again as a factor that
    /// may be kept unlisted (the first attempt stops at the pc group's
    /// order, before anything is collected; its warnings are dropped).
    pub(super) fn semidirect_operand(
        &mut self,
        file: usize,
        vars: &mut Vars,
        x: &GExpr,
    ) -> Result<Factor> {
        let keep = self.unlisted_ok();
        let mark = self.warnings.len();
        match self.operand(|el| el.gexpr(file, vars, x, None)) {
            Ok(v) => Ok(Factor::Listed(v)),
            Err(d) if keep && d.code == "group::pc-in-product" => {
                self.warnings.truncate(mark);
                self.factor(file, vars, x)
            }
            Err(d) => Err(d),
        }
    }

    /// N : H with N or H a pc group past the element limit, kept as a pc
    /// group ([`pc::semidirect_product`]): H's pc generators, then N's.
    /// A pc operand is its own presentation, whose generators are the
    /// ones the action names; a listed operand is converted through its
    /// regular action (its elements by right multiplication), so that
    /// each pc generator is an element of it: N's automorphisms are
    /// extended from the images of its generators to all its elements
    /// (and checked), and each of H's pc generators acts as the composite
    /// along a word in H's generators. The presentation's consistency
    /// check then proves the action is by automorphisms respecting H's
    /// relations. A permutation group past the limit as the other operand
    /// is an error (its pc generators are not words in its generators).
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    pub(super) fn pc_semidirect(
        &mut self,
        file: usize,
        vars: &mut Vars,
        e: &GExpr,
        (nf, n_span): (&Factor, Span),
        (hf, h_span): (&Factor, Span),
        action: &ast::Action,
        name: &str,
    ) -> Result<Group> {
        let src = self.src(file).clone();
        let limits = self.prog.limits;
        for (f, span, role) in [(nf, n_span, "N"), (hf, h_span, "H")] {
            if let Factor::Chain(c) = f {
                return Err(Diagnostic::error(
                    "group::pc-semidirect-unsupported",
                    format!(
                        "{} is a permutation group past the element limit, which cannot be {role} of a semidirect product with a pc group past the limit",
                        c.name
                    ),
                )
                .at(&src, span, "a permutation group past the element limit")
                .help("a semidirect product with a pc group past the element limit is kept as a pc group, and gssm converts only listed groups for it (a permutation group past the limit has pc generators that are not words in its generators): raise --max-elements so that this operand is listed, or give it as a pc presentation (`gssm check --pc` prints one)"));
            }
        }
        let (maps, block_of) = action_maps(
            &src,
            vars,
            (&nf.name(), nf.gen_names()),
            (&hf.name(), hf.gen_names()),
            action,
            limits.max_word_len,
        )?;
        if nf.order().saturating_mul(hf.order()) > PC_MAX_ORDER {
            return Err(Diagnostic::error(
                "pc::presentation",
                "the orders of N and H multiply to 2^127 or more, past the orders gssm's pc groups compute with",
            )
            .at(&src, e.span, "this product, kept as a pc group")
            .help("a semidirect product with a pc group past the element limit is kept as a pc group, whose order must stay below 2^127: use smaller groups"));
        }
        let block_span = |j: usize| {
            block_of
                .get(j)
                .copied()
                .flatten()
                .map_or(action.span, |b| b.span)
        };
        let not_automorphism = |span: Span, what: String| {
            Diagnostic::error("action::not-automorphism", what)
                .at(&src, span, "in this action")
                .help("the action is not by automorphisms of N, or does not respect H's relations: each generator of H must map N's generators to images satisfying N's relations and generating N, and composing the maps along each relation of H must give the identity")
        };
        let work_error = |err: pc::PcError| {
            let d = Diagnostic::error("pc::presentation", err.to_string());
            match err {
                pc::PcError::Work { .. } => d
                    .at(&src, action.span, "while applying this action")
                    .help("computing the action on N's pc generators takes too much collection: raise --max-pc-work, or use smaller groups"),
                _ => d
                    .at(&src, action.span, "while applying this action")
                    .help("this is a bug in gssm: please report it with the file"),
            }
        };
        let n_conv = self.operand_as_pc(&src, n_span, nf, "N")?;
        let h_conv = self.operand_as_pc(&src, h_span, hf, "H")?;
        let npc = n_conv.pc();
        let hpc = h_conv.pc();
        let total = npc.len() + hpc.len();
        if total > MAX_GENERATORS {
            return Err(too_many_generators(
                &src,
                e.span,
                total,
                "a semidirect product",
                "this product",
            ));
        }
        npc.set_work_limit(limits.max_pc_work);
        let act = pc_action(&n_conv, &h_conv, &maps).map_err(|err| match err {
            PcActionError::NotAutomorphism { h_gen: j } => not_automorphism(
                block_span(j),
                format!(
                    "the action of `{}` is not an automorphism of {}",
                    hf.gen_names()[j],
                    nf.name()
                ),
            ),
            PcActionError::Pc(err) => work_error(err),
        })?;
        let names = disambiguate(&[hpc.names().to_vec(), npc.names().to_vec()]);
        let built = pc::semidirect_product(hpc, npc, &act, names, PC_MAX_ORDER, limits.max_pc_work)
            .map_err(|err| match err {
                pc::PcError::Inconsistent(_) => not_automorphism(
                    action.span,
                    format!("the action does not define a semidirect product {} : {}: {err}", nf.name(), hf.name()),
                ),
                pc::PcError::Work { .. } => Diagnostic::error("pc::presentation", err.to_string())
                    .at(&src, e.span, "this product, kept as a pc group")
                    .help("checking the product's pc presentation takes too much collection: raise --max-pc-work, or use smaller groups"),
                pc::PcError::Order { .. } => Diagnostic::error("pc::presentation", err.to_string())
                    .at(&src, e.span, "this product, kept as a pc group")
                    .help("the product of the relative orders must stay below 2^127: use smaller groups"),
                _ => Diagnostic::error("pc::presentation", err.to_string())
                    .at(&src, e.span, "this product, kept as a pc group")
                    .help("this is a bug in gssm: please report it with the file"),
            })?;
        self.keep_as_pc(&src, e.span, name, built)
    }

    /// An operand of [`Elab::pc_semidirect`] as a pc presentation: a pc
    /// group as it is, a listed group through its regular action (so
    /// that its pc generators are elements of it). Errors at `span`.
    pub(super) fn operand_as_pc(
        &self,
        src: &Source,
        span: Span,
        f: &Factor,
        role: &str,
    ) -> Result<PcOperand> {
        let v = match f {
            Factor::Pc(b) => return Ok(PcOperand::Pc(b.pc.clone())),
            Factor::Listed(v) => v,
            Factor::Chain(_) => unreachable!("refused by pc_semidirect"),
        };
        let group = v.group.clone();
        if group.order() == 1 {
            return empty_pc(src, span, "this operand").map(PcOperand::Trivial);
        }
        let role = Role {
            noun: "operand",
            chain_help: "an operand of a semidirect product with a pc group past the element limit is converted to a pc presentation through the stabiliser chain of its regular action; raise --max-memory or --max-chain-work",
            not_solvable_code: "group::pc-semidirect-not-solvable",
            not_solvable: format!("{} cannot be {role} of a semidirect product with a pc group past the element limit", f.name()),
            not_solvable_help: "a semidirect product with a pc group past the element limit is kept as a pc group, so both N and H must be solvable; raise --max-elements so that the pc group is listed, or use a solvable group",
            limit_help: "an operand of a semidirect product with a pc group past the element limit is converted to a pc presentation; raise the limit named, or use a smaller operand",
        };
        // The regular action: each pc generator is then an element.
        let order = group.order();
        let perms: Vec<Perm> = group
            .generators()
            .iter()
            .map(|&s| (0..order as Elem).map(|x| group.mul(x, s)).collect())
            .collect();
        let converted = self
            .listed_pc(src, span, &role, order, &perms)?
            .map_err(|err| role.error(src, span, err))?;
        Ok(PcOperand::Listed {
            group,
            chain: Box::new(converted),
        })
    }
}

/// The empty pc presentation, the trivial group's.
fn empty_pc(src: &Source, span: Span, label: &str) -> Result<pc::Pc> {
    pc::direct_product(&[], Vec::new(), 1, 0).map_err(|err| {
        Diagnostic::error("pc::presentation", err.to_string())
            .at(src, span, label)
            .help("the trivial group's pc presentation is empty; this is a bug in gssm: please report it with the file")
    })
}

/// How converting a factor of a direct product, or an operand of a
/// semidirect product, to a pc presentation reports its errors.
struct Role {
    noun: &'static str,
    chain_help: &'static str,
    not_solvable_code: &'static str,
    not_solvable: String,
    not_solvable_help: &'static str,
    limit_help: &'static str,
}

impl Role {
    fn chain_error(&self, src: &Source, span: Span, what: String) -> Diagnostic {
        Diagnostic::error("group::chain", what)
            .at(
                src,
                span,
                format!("while building this {}'s stabiliser chain", self.noun),
            )
            .help(self.chain_help)
    }

    fn error(&self, src: &Source, span: Span, err: PcOfChainError) -> Diagnostic {
        match err {
            PcOfChainError::NotSolvable { .. } => Diagnostic::error(
                self.not_solvable_code,
                format!("{}: {err}", self.not_solvable),
            )
            .at(src, span, "not solvable")
            .help(self.not_solvable_help),
            PcOfChainError::Chain(e) => self.chain_error(src, span, e.to_string()),
            PcOfChainError::Internal(_) => Diagnostic::error("pc::presentation", err.to_string())
                .at(src, span, format!("while converting this {}", self.noun))
                .help("this is a bug in gssm: please report it with the file"),
            _ => Diagnostic::error("pc::presentation", err.to_string())
                .at(
                    src,
                    span,
                    format!("while converting this {} to a pc presentation", self.noun),
                )
                .help(self.limit_help),
        }
    }
}
