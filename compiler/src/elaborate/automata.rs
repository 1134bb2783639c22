//! Automaton definitions by name: `FlipFlop`, `CounterReset(3)`. Arguments
//! bind the parameters, `require`/`warn` guards are checked as for groups,
//! and the body (statements, a group's action, or a regex) becomes an
//! [`Automaton`]; instances are cached by (definition, arguments).

use super::int::{self, text_of, Vars};
use super::loader::DefId;
use super::{groups, naming, stdlib, Definition, Program};
use crate::automaton::{self, Automaton};
use crate::diagnostics::{Diagnostic, Source, Span};
use crate::parse::ast::{self, AutomatonBody, GExprKind, GuardKind, Item, MessagePart};
use crate::structure::action::{least_faithful_action, ActionLimits};

type Result<T> = std::result::Result<T, Diagnostic>;

/// An elaborated automaton and the warnings its definition raised.
pub(super) type Cached = (Automaton, Vec<Diagnostic>);

impl Program {
    /// The automata the main file defines, in order.
    pub fn automata(&self) -> Vec<Definition> {
        self.files[self.main]
            .ast
            .items
            .iter()
            .filter_map(|it| match it {
                Item::Automaton(a) => Some(Definition {
                    name: a.name.name.clone(),
                    params: a
                        .params
                        .as_ref()
                        .map(|p| p.iter().map(|i| i.name.clone()).collect()),
                    span: a.span,
                }),
                _ => None,
            })
            .collect()
    }

    /// Elaborate automaton `name` (default: the last one the main file
    /// defines), defined in the main file or an import. `name` is a name,
    /// with integer arguments if the definition takes parameters:
    /// `CounterReset(3)`.
    pub fn automaton(&self, name: Option<&str>) -> Result<Automaton> {
        self.automaton_with_warnings(name).map(|(a, _)| a)
    }

    /// [`Program::automaton`], with the warnings of `warn` guards and of
    /// the groups an action uses.
    pub fn automaton_with_warnings(&self, name: Option<&str>) -> Result<Cached> {
        let main = &self.files[self.main];
        let Some(text) = name else {
            let Some(last) = self.automata().pop() else {
                return Err(Diagnostic::error("name::no-automaton", format!("{} defines no automaton", main.source.name))
                    .help("add a definition such as `automaton Parity { states e, o; start e; symbol a: (e, o); }`"));
            };
            if let Some(params) = last.params.as_ref().filter(|p| !p.is_empty()) {
                return Err(Diagnostic::error(
                    "arity",
                    format!(
                        "the last automaton in {}, {}, takes parameters ({})",
                        main.source.name,
                        last.name,
                        params.join(", ")
                    ),
                )
                .at(&main.source, last.span, "defined here")
                .help(format!(
                    "name the automaton with its arguments, e.g. `{}({})`",
                    last.name,
                    params.iter().map(|_| "3").collect::<Vec<_>>().join(", ")
                )));
            }
            let id = main.scope[&last.name];
            let span = self.automaton_def(id).name.span;
            return self.instantiate(id, Vec::new(), &main.source, span);
        };
        // The name and its arguments, read like a group reference.
        let call_src = Source::new("<automaton argument>", text);
        let reference = crate::parse::parse_group_expr(&call_src)
            .ok()
            .and_then(|e| reference_of(&e));
        let Some((id, args)) = reference else {
            return Err(Diagnostic::error(
                "name::unknown-automaton",
                format!("`{text}` does not name an automaton"),
            )
            .help("name an automaton, with integer arguments if it takes parameters: `CounterReset(3)`"));
        };
        let def_id = self.automaton_id(&id.name)?;
        let def = self.automaton_def(def_id);
        let span = Span::new(0, text.len());
        let given = args.as_ref().map_or(0, Vec::len);
        let arity = |msg: String, help: String| {
            Diagnostic::error("arity", msg)
                .at(&call_src, span, "wrong number of arguments")
                .help(help)
                .note(
                    &self.files[def_id.file].source,
                    def.name.span,
                    format!("`{}` is defined here", id.name),
                )
        };
        match (&def.params, &args) {
            (None, Some(_)) => {
                return Err(arity(
                    format!("`{}` takes no arguments", id.name),
                    format!("write `{}` without parentheses", id.name),
                ))
            }
            (Some(params), _) if params.len() != given => {
                let want: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
                return Err(arity(
                    format!(
                        "`{}` takes {} argument{} ({}), but {given} {} given",
                        id.name,
                        want.len(),
                        if want.len() == 1 { "" } else { "s" },
                        want.join(", "),
                        if given == 1 { "was" } else { "were" }
                    ),
                    format!(
                        "write `{}({})` with an integer for each parameter",
                        id.name,
                        want.join(", ")
                    ),
                ));
            }
            _ => {}
        }
        let argv = args
            .unwrap_or_default()
            .iter()
            .map(|a| int::eval(&call_src, &Vars::default(), a))
            .collect::<Result<Vec<i64>>>()?;
        self.instantiate(def_id, argv, &call_src, span)
    }

    fn automaton_def(&self, id: DefId) -> &ast::AutomatonDef {
        match &self.files[id.file].ast.items[id.item] {
            Item::Automaton(a) => a,
            _ => unreachable!("automaton ids name automaton definitions"),
        }
    }

    /// The automaton definition `name` names in the main file's scope.
    fn automaton_id(&self, name: &str) -> Result<DefId> {
        let main = &self.files[self.main];
        if let Some(&id) = main.scope.get(name) {
            if matches!(self.files[id.file].ast.items[id.item], Item::Automaton(_)) {
                return Ok(id);
            }
        }
        let known: Vec<String> = main
            .scope
            .iter()
            .filter(|(_, id)| matches!(self.files[id.file].ast.items[id.item], Item::Automaton(_)))
            .map(|(n, _)| n.clone())
            .collect();
        let what = if main.scope.contains_key(name) {
            "is a group, not an automaton"
        } else {
            "is not defined or imported"
        };
        let help = if let (false, Some(m)) = (
            main.scope.contains_key(name),
            stdlib::defining_module_of_automaton(name),
        ) {
            format!("`{name}` is defined in the stdlib module \"{m}\": add `import \"{m}\"` at the top of the file")
        } else {
            match naming::suggest(name, known.iter().map(String::as_str)) {
                Some(s) => format!("did you mean `{s}`?"),
                None if known.is_empty() => {
                    "define one with `automaton NAME { states …; start …; symbol …; }`".to_string()
                }
                None => {
                    let mut k = known.clone();
                    k.sort();
                    format!("automata in scope: {}", k.join(", "))
                }
            }
        };
        Err(Diagnostic::error("name::unknown-automaton", format!("`{name}` {what}")).help(help))
    }

    /// Elaborate definition `id` with arguments `args` (checked against its
    /// parameters), named at `call_span` of `call_src`.
    fn instantiate(
        &self,
        id: DefId,
        args: Vec<i64>,
        call_src: &Source,
        call_span: Span,
    ) -> Result<Cached> {
        let key = (id, args);
        if let Some(c) = self.automaton_cache.borrow().get(&key) {
            return Ok(c.clone());
        }
        let def = self.automaton_def(id);
        let src = &self.files[id.file].source;
        let label = match &def.params {
            Some(_) => format!(
                "{}({})",
                def.name.name,
                key.1
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => def.name.name.clone(),
        };
        let mut vars = Vars::default();
        for (p, &a) in def.params.as_deref().unwrap_or(&[]).iter().zip(&key.1) {
            vars.push(&p.name, a);
        }
        let mut warnings = Vec::new();
        for g in &def.guards {
            let holds = int::eval(src, &vars, &g.cond)? != 0;
            let mut msg = String::new();
            for part in &g.message.parts {
                match part {
                    MessagePart::Text(t) => msg.push_str(t),
                    MessagePart::Expr(e) => msg.push_str(&int::eval(src, &vars, e)?.to_string()),
                }
            }
            match g.kind {
                GuardKind::Require if !holds => {
                    let cond = text_of(src, g.cond.span);
                    return Err(Diagnostic::error("require", msg)
                        .at(
                            call_src,
                            call_span,
                            format!("{label} does not satisfy `{cond}`"),
                        )
                        .help(format!("change the arguments so that `{cond}` holds"))
                        .note(src, g.span, format!("required by {}", def.name.name)));
                }
                GuardKind::Warn if holds && !self.files[id.file].stdlib => {
                    warnings.push(Diagnostic::warning("convention", msg).at(
                        call_src,
                        call_span,
                        format!("{label} as written here"),
                    ));
                }
                _ => {}
            }
        }
        let a = match &def.body {
            AutomatonBody::Stmts(stmts) => {
                automaton::from_stmts(src, &label, def.name.span, stmts, &mut vars)?
            }
            AutomatonBody::Regex(r) => automaton::regex::compile(src, &label, r)?,
            AutomatonBody::Action { group, stmts, .. } => {
                let mut e = groups::Elab::new(self, Source::new("<automaton>", ""));
                let v = e.expr_in(id.file, &mut vars, group)?;
                warnings.extend(e.warnings);
                let g = v.group.as_ref();
                let (perms, degree) = match g.source_perms() {
                    Some(p) => {
                        let degree = p.first().map_or(1, Vec::len);
                        (p.to_vec(), degree)
                    }
                    None => {
                        let act = least_faithful_action(g, &ActionLimits::default());
                        let perms = g.generators().iter().map(|&x| act.perm(x).to_vec());
                        (perms.collect(), act.degree)
                    }
                };
                automaton::from_action(
                    src,
                    &label,
                    def.name.span,
                    group.span,
                    g.generator_names(),
                    &perms,
                    degree,
                    stmts,
                    &mut vars,
                )?
            }
        };
        let cached = (a, warnings);
        self.automaton_cache
            .borrow_mut()
            .insert(key, cached.clone());
        Ok(cached)
    }
}

/// `Name` or `Name(args)`, brackets around it allowed.
fn reference_of(e: &ast::GExpr) -> Option<(ast::Ident, Option<Vec<ast::IExpr>>)> {
    match &e.kind {
        GExprKind::Paren(inner) => reference_of(inner),
        GExprKind::Ref { name, args } => Some((name.clone(), args.clone())),
        _ => None,
    }
}
