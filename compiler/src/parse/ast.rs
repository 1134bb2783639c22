//! The syntax tree of a gssm source file. Every node carries the byte span
//! of the text it came from, so later stages can point at it.

use crate::diagnostics::Span;

/// A name as written, with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct File {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Import(Import),
    Group(Box<GroupDef>),
    Automaton(Box<AutomatonDef>),
}

/// `automaton NAME(params) guards …`: a body of statements, a group's
/// action on points, or a regular expression.
#[derive(Clone, Debug, PartialEq)]
pub struct AutomatonDef {
    pub name: Ident,
    /// `None` for `automaton A …`; `Some` (possibly empty) for `A(…)`.
    pub params: Option<Vec<Ident>>,
    pub guards: Vec<Guard>,
    pub body: AutomatonBody,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum AutomatonBody {
    /// `{ statements }`, in source order.
    Stmts(Vec<AutoStmt>),
    /// `= G acting on points { start …; accept … }`: the statements (start
    /// and accept only) are optional.
    Action {
        group: GExpr,
        stmts: Vec<AutoStmt>,
        span: Span,
    },
    /// `= regex "…" over a, b`.
    Regex(RegexSource),
}

/// `regex "pattern" over a, b`.
#[derive(Clone, Debug, PartialEq)]
pub struct RegexSource {
    /// The text between the quotes, as written (the regex's own escapes).
    pub pattern: String,
    /// Span of the text between the quotes.
    pub pattern_span: Span,
    /// The one-character symbols.
    pub alphabet: Vec<Ident>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum AutoStmt {
    /// `states q0, q[0..n-1], s[d, x] for d in 0..m for x in 0..k^d-1`.
    States(Vec<StateEntry>, Span),
    /// `start q`.
    Start(StateRef, Span),
    /// `accept q, …` (possibly empty).
    Accept(Vec<StateEntry>, Span),
    /// `symbol a: …`.
    Symbol(SymbolDef),
}

/// A state as named: `q`, `q[i]`, or several, `q[0..n-1]`.
#[derive(Clone, Debug, PartialEq)]
pub struct StateRef {
    pub name: Ident,
    /// `None` for a plain name; the index entries otherwise.
    pub index: Option<Vec<Entry>>,
    pub span: Span,
}

/// An entry of a `states` or `accept` list, with its loops and condition.
#[derive(Clone, Debug, PartialEq)]
pub struct StateEntry {
    pub state: StateRef,
    pub fors: Vec<ForClause>,
    pub cond: Option<IExpr>,
    pub span: Span,
}

/// How a symbol is named.
#[derive(Clone, Debug, PartialEq)]
pub enum SymbolName {
    /// `a` or `o[j]`.
    Name(StateRef),
    /// `0`, `1`: digits as written.
    Digits(Ident),
    /// `"o{j}"`: a message, interpolations evaluated.
    Text(Message),
}

impl SymbolName {
    pub fn span(&self) -> Span {
        match self {
            SymbolName::Name(r) => r.span,
            SymbolName::Digits(d) => d.span,
            SymbolName::Text(m) => m.span,
        }
    }
}

/// `symbol NAME for … if …: transform`.
#[derive(Clone, Debug, PartialEq)]
pub struct SymbolDef {
    pub name: SymbolName,
    pub fors: Vec<ForClause>,
    pub cond: Option<IExpr>,
    pub transform: Transform,
    pub span: Span,
}

/// How a symbol moves the states.
#[derive(Clone, Debug, PartialEq)]
pub enum Transform {
    /// `p -> q, * -> r`: every state listed once; `*` (`None`) maps the
    /// states not listed.
    Clauses(Vec<Clause>),
    /// `(p, q)(r, s, t)`: a permutation, the states not named fixed.
    Cycles(Vec<Vec<StateRef>>),
    /// `id`.
    Identity,
}

/// `p -> q for i in a..b if cond`.
#[derive(Clone, Debug, PartialEq)]
pub struct Clause {
    /// `None` for `*`.
    pub from: Option<StateRef>,
    pub to: StateRef,
    pub fors: Vec<ForClause>,
    pub cond: Option<IExpr>,
    pub span: Span,
}

/// `import "families"` or `import "dir/file.gssm"`.
#[derive(Clone, Debug, PartialEq)]
pub struct Import {
    pub path: String,
    pub path_span: Span,
    pub span: Span,
}

/// `group NAME(params) require … = EXPR with series […]`.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupDef {
    pub name: Ident,
    /// `None` for `group C6 = …`; `Some` (possibly empty) for `group F(…)`.
    pub params: Option<Vec<Ident>>,
    pub guards: Vec<Guard>,
    pub body: GExpr,
    pub series: Option<SeriesHint>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuardKind {
    /// Elaboration fails with the message when the condition is false.
    Require,
    /// A warning with the message when the condition is true.
    Warn,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Guard {
    pub kind: GuardKind,
    pub cond: IExpr,
    pub message: Message,
    pub span: Span,
}

/// A string with `{expr}` interpolations.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub parts: Vec<MessagePart>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum MessagePart {
    Text(String),
    Expr(IExpr),
}

/// `with series [ <w, …>, … ]`: G_1 … G_{k-1} by generator words.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesHint {
    pub subgroups: Vec<SubgroupGens>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SubgroupGens {
    pub words: Vec<Word>,
    pub span: Span,
}

// ---------------------------------------------------------------- groups

#[derive(Clone, Debug, PartialEq)]
pub struct GExpr {
    pub kind: GExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum GExprKind {
    /// `C6` or `Dihedral(8)`; `args` is `None` without parentheses.
    Ref {
        name: Ident,
        args: Option<Vec<IExpr>>,
    },
    Presentation(Presentation),
    /// `pc< g1, g2 | … >`: a polycyclic presentation.
    Pc(Presentation),
    Perm(PermGroup),
    /// `A x B x C` (two or more factors, flat: parentheses nest).
    Direct(Vec<GExpr>),
    /// `G^k`: the direct product of k copies.
    Power(Box<GExpr>, IExpr),
    /// `N : H by { … }`.
    Semidirect {
        n: Box<GExpr>,
        h: Box<GExpr>,
        action: Action,
    },
    /// `( G )`, kept so spans and names follow the text.
    Paren(Box<GExpr>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    pub blocks: Vec<ActionBlock>,
    pub span: Span,
}

/// `y: a -> a^-1, b -> b`: images of N's generators under H's generator y.
#[derive(Clone, Debug, PartialEq)]
pub struct ActionBlock {
    pub gen: Ident,
    pub maps: Vec<Map>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Map {
    pub from: Ident,
    pub to: Word,
    pub span: Span,
}

/// `< a, b | rel, … >`.
#[derive(Clone, Debug, PartialEq)]
pub struct Presentation {
    pub gens: Vec<Ident>,
    pub relations: Vec<Relation>,
}

/// `w` (a relator) or `w1 = w2 = …` (equal words).
#[derive(Clone, Debug, PartialEq)]
pub struct Relation {
    pub sides: Vec<Word>,
    pub span: Span,
}

/// A product of factors, read left to right.
#[derive(Clone, Debug, PartialEq)]
pub struct Word {
    pub factors: Vec<Factor>,
    pub span: Span,
}

/// A base raised to zero or more exponents: `(a*b)^2^-1`.
#[derive(Clone, Debug, PartialEq)]
pub struct Factor {
    pub base: WordBase,
    pub exponents: Vec<IExpr>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum WordBase {
    /// `1`.
    Identity,
    Gen(Ident),
    Paren(Word),
    /// `[u, v, w]` = [[u, v], w], with [u, v] = u^-1 v^-1 u v.
    Commutator(Vec<Word>),
}

/// `perm(degree) { items }`.
#[derive(Clone, Debug, PartialEq)]
pub struct PermGroup {
    pub degree: Option<IExpr>,
    pub items: Vec<PermItem>,
}

/// `name = (1,2)(3,4) for k in a..b if cond`.
#[derive(Clone, Debug, PartialEq)]
pub struct PermItem {
    pub name: Option<Ident>,
    pub cycles: Vec<Cycle>,
    pub fors: Vec<ForClause>,
    pub cond: Option<IExpr>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Cycle {
    pub entries: Vec<Entry>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Entry {
    Point(IExpr),
    /// `a..b`, both ends included.
    Range(IExpr, IExpr, Span),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ForClause {
    pub var: Ident,
    pub from: IExpr,
    pub to: IExpr,
    pub span: Span,
}

// ---------------------------------------------------------------- integers

#[derive(Clone, Debug, PartialEq)]
pub struct IExpr {
    pub kind: IExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum IExprKind {
    Num(i64),
    Var(Ident),
    Call(Ident, Vec<IExpr>),
    Unary(UnOp, Box<IExpr>),
    Binary(BinOp, Box<IExpr>, Box<IExpr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Pow,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "||",
            BinOp::And => "&&",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
            BinOp::Pow => "^",
        }
    }
    /// Binding strength; higher binds tighter.
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 3,
            BinOp::Add | BinOp::Sub => 4,
            BinOp::Mul | BinOp::Div | BinOp::Rem => 5,
            BinOp::Pow => 7,
        }
    }
}

/// Prefix operators bind looser than `^` (so `-2^2` is -4) and tighter
/// than `*`.
pub const UNARY_PRECEDENCE: u8 = 6;
