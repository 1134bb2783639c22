//! pest pairs to the typed AST. The grammar guarantees the shape of each
//! pair, so the `expect`s here state grammar facts, not input checks; input
//! problems (numbers too large, expressions too deep) become diagnostics.

use super::ast::*;
use super::{Rule, MAX_EXPR_DEPTH, MAX_EXPR_OPS, MAX_FOR_CLAUSES};
use crate::diagnostics::{Diagnostic, Source, Span};
use pest::iterators::{Pair, Pairs};

type Result<T> = std::result::Result<T, Diagnostic>;

fn span(p: &Pair<Rule>) -> Span {
    let s = p.as_span();
    Span::new(s.start(), s.end())
}

fn ident(p: Pair<Rule>) -> Ident {
    Ident {
        name: p.as_str().to_string(),
        span: span(&p),
    }
}

pub(super) fn file(src: &Source, p: Pair<Rule>) -> Result<File> {
    let mut items = Vec::new();
    for it in p.into_inner() {
        match it.as_rule() {
            Rule::import => items.push(Item::Import(import(it))),
            Rule::group_def => items.push(Item::Group(Box::new(group_def(src, it)?))),
            Rule::automaton_def => items.push(Item::Automaton(Box::new(automaton_def(src, it)?))),
            Rule::EOI => {}
            r => unreachable!("file item {r:?}"),
        }
    }
    Ok(File { items })
}

fn automaton_def(src: &Source, p: Pair<Rule>) -> Result<AutomatonDef> {
    let sp = span(&p);
    let mut inner = p.into_inner().filter(|q| q.as_rule() != Rule::kw_automaton);
    let name = ident(inner.next().expect("def_name"));
    let mut params = None;
    let mut guards = Vec::new();
    let mut body = None;
    for q in inner {
        match q.as_rule() {
            Rule::params => params = Some(q.into_inner().map(ident).collect()),
            Rule::guard => guards.push(guard(src, q)?),
            Rule::auto_body => body = Some(AutomatonBody::Stmts(auto_stmts(src, q)?)),
            Rule::action_source => {
                let qs = span(&q);
                let mut group = None;
                let mut stmts = Vec::new();
                for r in q.into_inner() {
                    match r.as_rule() {
                        Rule::gexpr => group = Some(gexpr(src, r)?),
                        Rule::auto_body => stmts = auto_stmts(src, r)?,
                        _ => {} // the words `acting on points`
                    }
                }
                body = Some(AutomatonBody::Action {
                    group: group.expect("acting group"),
                    stmts,
                    span: qs,
                });
            }
            Rule::regex_source => {
                let qs = span(&q);
                let mut pattern = None;
                let mut alphabet = Vec::new();
                for r in q.into_inner() {
                    match r.as_rule() {
                        Rule::regex_str => {
                            let t = r.into_inner().next().expect("regex_text");
                            pattern = Some((t.as_str().to_string(), span(&t)));
                        }
                        Rule::regex_symbol => alphabet.push(ident(r)),
                        _ => {} // the words `regex`, `over`
                    }
                }
                let (pattern, pattern_span) = pattern.expect("regex pattern");
                body = Some(AutomatonBody::Regex(RegexSource {
                    pattern,
                    pattern_span,
                    alphabet,
                    span: qs,
                }));
            }
            r => unreachable!("automaton_def part {r:?}"),
        }
    }
    Ok(AutomatonDef {
        name,
        params,
        guards,
        body: body.expect("automaton body"),
        span: sp,
    })
}

fn auto_stmts(src: &Source, p: Pair<Rule>) -> Result<Vec<AutoStmt>> {
    let mut stmts = Vec::new();
    for q in p.into_inner() {
        let qs = span(&q);
        let rule = q.as_rule();
        let mut parts = q.into_inner().skip(1); // the statement's keyword
        stmts.push(match rule {
            Rule::states_decl => AutoStmt::States(
                parts.map(|e| state_entry(src, e)).collect::<Result<_>>()?,
                qs,
            ),
            Rule::start_decl => {
                AutoStmt::Start(state_ref(src, parts.next().expect("start state"))?, qs)
            }
            Rule::accept_decl => AutoStmt::Accept(
                parts.map(|e| state_entry(src, e)).collect::<Result<_>>()?,
                qs,
            ),
            Rule::symbol_decl => {
                let n = parts.next().expect("symbol_name");
                let n = n.into_inner().next().expect("symbol name");
                let name = match n.as_rule() {
                    Rule::number => SymbolName::Digits(ident(n)),
                    Rule::message => SymbolName::Text(message(src, n)?),
                    _ => SymbolName::Name(state_ref(src, n)?),
                };
                let mut fors = Vec::new();
                let mut cond = None;
                let mut transform = None;
                for r in parts {
                    match r.as_rule() {
                        Rule::for_clause => fors.push(for_clause(src, r, fors.len())?),
                        Rule::if_clause => cond = Some(if_clause(src, r)?),
                        Rule::identity_map => transform = Some(Transform::Identity),
                        Rule::state_cycles => {
                            let mut cycles = Vec::new();
                            for c in r.into_inner() {
                                cycles.push(
                                    c.into_inner()
                                        .map(|x| state_ref(src, x))
                                        .collect::<Result<_>>()?,
                                );
                            }
                            transform = Some(Transform::Cycles(cycles));
                        }
                        Rule::clause_list => {
                            let clauses = r
                                .into_inner()
                                .map(|c| clause(src, c))
                                .collect::<Result<_>>()?;
                            transform = Some(Transform::Clauses(clauses));
                        }
                        r => unreachable!("symbol part {r:?}"),
                    }
                }
                AutoStmt::Symbol(SymbolDef {
                    name,
                    fors,
                    cond,
                    transform: transform.expect("transform"),
                    span: qs,
                })
            }
            r => unreachable!("automaton statement {r:?}"),
        });
    }
    Ok(stmts)
}

fn clause(src: &Source, p: Pair<Rule>) -> Result<Clause> {
    let sp = span(&p);
    let mut inner = p.into_inner();
    let f = inner.next().expect("clause source");
    let from = match f.as_rule() {
        Rule::star => None,
        _ => Some(state_ref(src, f)?),
    };
    let to = state_ref(src, inner.next().expect("clause target"))?;
    let (fors, cond) = loops(src, inner)?;
    Ok(Clause {
        from,
        to,
        fors,
        cond,
        span: sp,
    })
}

fn state_entry(src: &Source, p: Pair<Rule>) -> Result<StateEntry> {
    let sp = span(&p);
    let mut inner = p.into_inner();
    let state = state_ref(src, inner.next().expect("state_ref"))?;
    let (fors, cond) = loops(src, inner)?;
    Ok(StateEntry {
        state,
        fors,
        cond,
        span: sp,
    })
}

fn state_ref(src: &Source, p: Pair<Rule>) -> Result<StateRef> {
    let sp = span(&p);
    let mut inner = p.into_inner();
    let name = ident(inner.next().expect("state name"));
    let index = match inner.next() {
        Some(ix) => Some(
            ix.into_inner()
                .map(|e| entry(src, e))
                .collect::<Result<_>>()?,
        ),
        None => None,
    };
    Ok(StateRef {
        name,
        index,
        span: sp,
    })
}

/// `a` or `a..b`.
fn entry(src: &Source, e: Pair<Rule>) -> Result<Entry> {
    let es = span(&e);
    let mut ei = e.into_inner();
    let a = iexpr(src, ei.next().expect("point"))?;
    Ok(match ei.next() {
        Some(b) => Entry::Range(a, iexpr(src, b)?, es),
        None => Entry::Point(a),
    })
}

/// The `for` clauses and the `if` condition that end an entry or a clause.
fn loops(src: &Source, rest: Pairs<Rule>) -> Result<(Vec<ForClause>, Option<IExpr>)> {
    let mut fors = Vec::new();
    let mut cond = None;
    for r in rest {
        match r.as_rule() {
            Rule::for_clause => fors.push(for_clause(src, r, fors.len())?),
            _ => cond = Some(if_clause(src, r)?),
        }
    }
    Ok((fors, cond))
}

fn if_clause(src: &Source, p: Pair<Rule>) -> Result<IExpr> {
    iexpr(src, p.into_inner().next().expect("condition"))
}

/// A `for` clause, the `count`-th (from 0) on its item.
fn for_clause(src: &Source, q: Pair<Rule>, count: usize) -> Result<ForClause> {
    let fs = span(&q);
    if count == MAX_FOR_CLAUSES {
        return Err(Diagnostic::error(
            "syntax::loops",
            format!("more than {MAX_FOR_CLAUSES} `for` clauses on one item"),
        )
        .at(src, fs, format!("`for` clause number {}", MAX_FOR_CLAUSES + 1))
        .help(format!(
            "each `for` clause is a nested loop, and loops nest at most {MAX_FOR_CLAUSES} deep: drop clauses whose variable the item does not use, or list the generators over fewer loops"
        )));
    }
    let mut fi = q.into_inner();
    let var = ident(fi.next().expect("loop variable"));
    let from = iexpr(src, fi.next().expect("from"))?;
    let to = iexpr(src, fi.next().expect("to"))?;
    Ok(ForClause {
        var,
        from,
        to,
        span: fs,
    })
}

fn import(p: Pair<Rule>) -> Import {
    let sp = span(&p);
    let path = p.into_inner().next().expect("path");
    let path_span = span(&path);
    Import {
        path: path
            .into_inner()
            .next()
            .map_or(String::new(), |t| t.as_str().to_string()),
        path_span,
        span: sp,
    }
}

fn group_def(src: &Source, p: Pair<Rule>) -> Result<GroupDef> {
    let sp = span(&p);
    let mut inner = p.into_inner();
    let name = ident(inner.next().expect("def_name"));
    let mut params = None;
    let mut guards = Vec::new();
    let mut body = None;
    let mut series = None;
    for q in inner {
        match q.as_rule() {
            Rule::params => params = Some(q.into_inner().map(ident).collect()),
            Rule::guard => guards.push(guard(src, q)?),
            Rule::gexpr => body = Some(gexpr(src, q)?),
            Rule::series => series = Some(series_hint(src, q)?),
            r => unreachable!("group_def part {r:?}"),
        }
    }
    Ok(GroupDef {
        name,
        params,
        guards,
        body: body.expect("group body"),
        series,
        span: sp,
    })
}

fn guard(src: &Source, p: Pair<Rule>) -> Result<Guard> {
    let sp = span(&p);
    let mut inner = p.into_inner();
    let kind = match inner.next().expect("guard_kind").as_str() {
        "require" => GuardKind::Require,
        _ => GuardKind::Warn,
    };
    let cond = iexpr(src, inner.next().expect("condition"))?;
    let message = message(src, inner.next().expect("message"))?;
    Ok(Guard {
        kind,
        cond,
        message,
        span: sp,
    })
}

fn message(src: &Source, p: Pair<Rule>) -> Result<Message> {
    let sp = span(&p);
    let mut parts = Vec::new();
    for q in p.into_inner() {
        match q.as_rule() {
            Rule::msg_text => parts.push(MessagePart::Text(unescape(q.as_str()))),
            Rule::interp => parts.push(MessagePart::Expr(iexpr(
                src,
                q.into_inner().next().expect("iexpr"),
            )?)),
            r => unreachable!("message part {r:?}"),
        }
    }
    Ok(Message { parts, span: sp })
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn series_hint(src: &Source, p: Pair<Rule>) -> Result<SeriesHint> {
    let sp = span(&p);
    let mut subgroups = Vec::new();
    for q in p.into_inner() {
        let qs = span(&q);
        let mut words = Vec::new();
        for w in q.into_inner() {
            if w.as_rule() == Rule::word {
                words.push(word(src, w)?);
            }
        }
        subgroups.push(SubgroupGens { words, span: qs });
    }
    Ok(SeriesHint {
        subgroups,
        span: sp,
    })
}

// ---------------------------------------------------------------- groups

pub(super) fn gexpr(src: &Source, p: Pair<Rule>) -> Result<GExpr> {
    let sp = span(&p);
    let mut inner = p.into_inner();
    let n = gprod(src, inner.next().expect("gprod"))?;
    let Some(_colon) = inner.next() else {
        return Ok(n);
    };
    let h = gprod(src, inner.next().expect("H"))?;
    let action = action(src, inner.next().expect("action"))?;
    Ok(GExpr {
        kind: GExprKind::Semidirect {
            n: Box::new(n),
            h: Box::new(h),
            action,
        },
        span: sp,
    })
}

fn gprod(src: &Source, p: Pair<Rule>) -> Result<GExpr> {
    let sp = span(&p);
    let factors = p
        .into_inner()
        .filter(|q| q.as_rule() == Rule::gpow)
        .map(|q| gpow(src, q))
        .collect::<Result<Vec<_>>>()?;
    if factors.len() == 1 {
        return Ok(factors.into_iter().next().expect("one factor"));
    }
    Ok(GExpr {
        kind: GExprKind::Direct(factors),
        span: sp,
    })
}

fn gpow(src: &Source, p: Pair<Rule>) -> Result<GExpr> {
    let sp = span(&p);
    let mut inner = p.into_inner();
    let base = gatom(src, inner.next().expect("gatom"))?;
    match inner.next() {
        None => Ok(base),
        Some(e) => Ok(GExpr {
            kind: GExprKind::Power(Box::new(base), int_atom(src, e)?),
            span: sp,
        }),
    }
}

fn gatom(src: &Source, p: Pair<Rule>) -> Result<GExpr> {
    let sp = span(&p);
    let kind = match p.as_rule() {
        Rule::presentation => GExprKind::Presentation(presentation(src, p)?),
        Rule::pc_group => GExprKind::Pc(presentation(
            src,
            p.into_inner().next().expect("presentation"),
        )?),
        Rule::perm_group => GExprKind::Perm(perm_group(src, p)?),
        Rule::paren_group => {
            GExprKind::Paren(Box::new(gexpr(src, p.into_inner().next().expect("gexpr"))?))
        }
        Rule::call => {
            let mut inner = p.into_inner();
            let name = ident(inner.next().expect("group_name"));
            let args = match inner.next() {
                Some(a) => Some(
                    a.into_inner()
                        .map(|e| iexpr(src, e))
                        .collect::<Result<Vec<_>>>()?,
                ),
                None => None,
            };
            GExprKind::Ref { name, args }
        }
        r => unreachable!("group atom {r:?}"),
    };
    Ok(GExpr { kind, span: sp })
}

fn action(src: &Source, p: Pair<Rule>) -> Result<Action> {
    let sp = span(&p);
    let mut blocks = Vec::new();
    for b in p.into_inner() {
        let bs = span(&b);
        let mut inner = b.into_inner();
        let gen = ident(inner.next().expect("H generator"));
        let mut maps = Vec::new();
        for m in inner {
            let ms = span(&m);
            let mut mi = m.into_inner();
            let from = ident(mi.next().expect("N generator"));
            let to = word(src, mi.next().expect("image"))?;
            maps.push(Map { from, to, span: ms });
        }
        blocks.push(ActionBlock {
            gen,
            maps,
            span: bs,
        });
    }
    Ok(Action { blocks, span: sp })
}

fn presentation(src: &Source, p: Pair<Rule>) -> Result<Presentation> {
    let mut inner = p.into_inner();
    let gens = inner
        .next()
        .expect("gen_list")
        .into_inner()
        .map(ident)
        .collect();
    let mut relations = Vec::new();
    if let Some(rels) = inner.next() {
        for r in rels.into_inner() {
            let rs = span(&r);
            let sides = r
                .into_inner()
                .map(|w| word(src, w))
                .collect::<Result<Vec<_>>>()?;
            relations.push(Relation { sides, span: rs });
        }
    }
    Ok(Presentation { gens, relations })
}

pub(super) fn word(src: &Source, p: Pair<Rule>) -> Result<Word> {
    let sp = span(&p);
    let factors = p
        .into_inner()
        .map(|f| factor(src, f))
        .collect::<Result<Vec<_>>>()?;
    Ok(Word { factors, span: sp })
}

fn factor(src: &Source, p: Pair<Rule>) -> Result<Factor> {
    let sp = span(&p);
    let mut inner = p.into_inner();
    let b = inner.next().expect("word base");
    let base = match b.as_rule() {
        Rule::identity => WordBase::Identity,
        Rule::ident => WordBase::Gen(ident(b)),
        Rule::paren_word => WordBase::Paren(word(src, b.into_inner().next().expect("word"))?),
        Rule::commutator => WordBase::Commutator(
            b.into_inner()
                .map(|w| word(src, w))
                .collect::<Result<Vec<_>>>()?,
        ),
        r => unreachable!("word base {r:?}"),
    };
    let mut exponents = Vec::new();
    for e in inner {
        let es = span(&e);
        let mut ei = e.into_inner().peekable();
        let negated = ei.peek().map(|q| q.as_rule()) == Some(Rule::neg);
        if negated {
            ei.next();
        }
        let value = int_atom(src, ei.next().expect("exponent value"))?;
        exponents.push(if negated {
            IExpr {
                kind: IExprKind::Unary(UnOp::Neg, Box::new(value)),
                span: es,
            }
        } else {
            value
        });
    }
    Ok(Factor {
        base,
        exponents,
        span: sp,
    })
}

fn perm_group(src: &Source, p: Pair<Rule>) -> Result<PermGroup> {
    let mut degree = None;
    let mut items = Vec::new();
    for q in p.into_inner() {
        match q.as_rule() {
            Rule::degree => degree = Some(iexpr(src, q.into_inner().next().expect("iexpr"))?),
            Rule::perm_item => items.push(perm_item(src, q)?),
            r => unreachable!("perm group part {r:?}"),
        }
    }
    Ok(PermGroup { degree, items })
}

fn perm_item(src: &Source, p: Pair<Rule>) -> Result<PermItem> {
    let sp = span(&p);
    let mut name = None;
    let mut cycles = Vec::new();
    let mut fors = Vec::new();
    let mut cond = None;
    for q in p.into_inner() {
        match q.as_rule() {
            Rule::ident => name = Some(ident(q)),
            Rule::perm => {
                for c in q.into_inner() {
                    let cs = span(&c);
                    let entries = c
                        .into_inner()
                        .map(|e| entry(src, e))
                        .collect::<Result<_>>()?;
                    cycles.push(Cycle { entries, span: cs });
                }
            }
            Rule::for_clause => fors.push(for_clause(src, q, fors.len())?),
            Rule::if_clause => cond = Some(if_clause(src, q)?),
            r => unreachable!("perm item part {r:?}"),
        }
    }
    Ok(PermItem {
        name,
        cycles,
        fors,
        cond,
        span: sp,
    })
}

// ---------------------------------------------------------------- integers

/// One token of a flattened integer expression.
enum Tok {
    Prefix(UnOp, Span),
    Operand(IExpr),
    Op(BinOp),
}

fn int_atom(src: &Source, p: Pair<Rule>) -> Result<IExpr> {
    let sp = span(&p);
    match p.as_rule() {
        Rule::number => number(src, &p),
        Rule::ident => Ok(IExpr {
            kind: IExprKind::Var(ident(p)),
            span: sp,
        }),
        Rule::iparen => iexpr(src, p.into_inner().next().expect("iexpr")),
        Rule::icall => {
            let mut inner = p.into_inner();
            let f = ident(inner.next().expect("function"));
            let args = inner.map(|a| iexpr(src, a)).collect::<Result<Vec<_>>>()?;
            Ok(IExpr {
                kind: IExprKind::Call(f, args),
                span: sp,
            })
        }
        r => unreachable!("integer atom {r:?}"),
    }
}

fn number(src: &Source, p: &Pair<Rule>) -> Result<IExpr> {
    let sp = span(p);
    let v = p.as_str().parse::<i64>().map_err(|_| {
        Diagnostic::error("syntax::number", "number too large")
            .at(src, sp, "does not fit in a 64-bit integer")
            .help(format!("numbers must be at most {}", i64::MAX))
    })?;
    Ok(IExpr {
        kind: IExprKind::Num(v),
        span: sp,
    })
}

pub(super) fn iexpr(src: &Source, p: Pair<Rule>) -> Result<IExpr> {
    let sp = span(&p);
    let mut toks = Vec::new();
    for q in p.into_inner() {
        match q.as_rule() {
            Rule::iunary => {
                for r in q.into_inner() {
                    if r.as_rule() == Rule::prefix {
                        let op = if r.as_str() == "-" {
                            UnOp::Neg
                        } else {
                            UnOp::Not
                        };
                        toks.push(Tok::Prefix(op, span(&r)));
                    } else {
                        toks.push(Tok::Operand(int_atom(src, r)?));
                    }
                }
            }
            Rule::binop => {
                let op = match q.as_str() {
                    "||" => BinOp::Or,
                    "&&" => BinOp::And,
                    "==" => BinOp::Eq,
                    "!=" => BinOp::Ne,
                    "<" => BinOp::Lt,
                    "<=" => BinOp::Le,
                    ">" => BinOp::Gt,
                    ">=" => BinOp::Ge,
                    "+" => BinOp::Add,
                    "-" => BinOp::Sub,
                    "*" => BinOp::Mul,
                    "/" => BinOp::Div,
                    "%" => BinOp::Rem,
                    _ => BinOp::Pow,
                };
                toks.push(Tok::Op(op));
            }
            r => unreachable!("integer expression part {r:?}"),
        }
    }
    if toks.len() > 2 * MAX_EXPR_OPS {
        return Err(
            Diagnostic::error("syntax::expression", "integer expression too long")
                .at(src, sp, format!("more than {MAX_EXPR_OPS} operators"))
                .help("split the computation, e.g. into a parameter of a helper definition"),
        );
    }
    let mut climb = Climb { toks, pos: 0 };
    let e = climb.expr(0);
    if depth(&e) > MAX_EXPR_DEPTH {
        return Err(Diagnostic::error(
            "syntax::expression",
            "integer expression nested too deeply",
        )
        .at(src, sp, format!("deeper than {MAX_EXPR_DEPTH} operators"))
        .help("simplify the expression"));
    }
    Ok(e)
}

fn depth(e: &IExpr) -> usize {
    match &e.kind {
        IExprKind::Num(_) | IExprKind::Var(_) => 1,
        IExprKind::Call(_, args) => 1 + args.iter().map(depth).max().unwrap_or(0),
        IExprKind::Unary(_, a) => 1 + depth(a),
        IExprKind::Binary(_, a, b) => 1 + depth(a).max(depth(b)),
    }
}

/// Precedence climbing over the flat token list the grammar produces.
struct Climb {
    toks: Vec<Tok>,
    pos: usize,
}

impl Climb {
    fn take(&mut self) -> Tok {
        let t = std::mem::replace(&mut self.toks[self.pos], Tok::Op(BinOp::Add));
        self.pos += 1;
        t
    }

    fn unary(&mut self) -> IExpr {
        match self.take() {
            Tok::Prefix(op, sp) => {
                let operand = self.expr(UNARY_PRECEDENCE + 1);
                let span = Span::new(sp.start, operand.span.end);
                IExpr {
                    kind: IExprKind::Unary(op, Box::new(operand)),
                    span,
                }
            }
            Tok::Operand(e) => e,
            Tok::Op(..) => unreachable!("grammar puts an operand after an operator"),
        }
    }

    fn expr(&mut self, min_prec: u8) -> IExpr {
        let mut lhs = self.unary();
        while self.pos < self.toks.len() {
            let Tok::Op(op) = self.toks[self.pos] else {
                break;
            };
            let prec = op.precedence();
            if prec < min_prec {
                break;
            }
            self.pos += 1;
            // `^` is right-associative; the others associate to the left.
            let rhs = if op == BinOp::Pow {
                self.expr(prec)
            } else {
                self.expr(prec + 1)
            };
            let span = Span::new(lhs.span.start, rhs.span.end);
            lhs = IExpr {
                kind: IExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                span,
            };
        }
        lhs
    }
}
