//! Source text to AST. The grammar is `grammar/gssm.pest`; [`build`] turns
//! pest's pairs into the typed tree of [`ast`], and syntax errors become
//! [`Diagnostic`]s with the position and the tokens that would fit there.

pub mod ast;
mod build;

use crate::diagnostics::{Diagnostic, Source, Span};
use pest::Parser;

#[derive(pest_derive::Parser)]
#[grammar = "../../grammar/gssm.pest"]
pub(crate) struct GssmParser;

/// Deepest nesting of brackets accepted. The parser and every later pass
/// recurse on nesting; this keeps them far from the stack's end.
pub const MAX_NESTING: usize = 64;
/// Most `for` clauses on one permutation item: each is a nested loop, and
/// elaboration recurses once per loop.
pub const MAX_FOR_CLAUSES: usize = MAX_NESTING;
/// Most operators in one integer expression, and deepest expression tree.
pub const MAX_EXPR_OPS: usize = 512;
pub const MAX_EXPR_DEPTH: usize = 128;

/// Parse a whole source file.
pub fn parse_file(src: &Source) -> Result<ast::File, Diagnostic> {
    check_nesting(src)?;
    pest::set_error_detail(true);
    let mut pairs = GssmParser::parse(Rule::file, &src.text).map_err(|e| syntax_error(src, e))?;
    build::file(src, pairs.next().expect("file rule"))
}

/// Parse a group expression standing alone (a command-line GROUP argument
/// such as `Dihedral(8) x C2`).
pub fn parse_group_expr(src: &Source) -> Result<ast::GExpr, Diagnostic> {
    check_nesting(src)?;
    pest::set_error_detail(true);
    let mut pairs =
        GssmParser::parse(Rule::expr_input, &src.text).map_err(|e| syntax_error(src, e))?;
    let input = pairs.next().expect("expr_input rule");
    let g = input.into_inner().next().expect("gexpr");
    build::gexpr(src, g)
}

/// Reject bracket nesting deeper than [`MAX_NESTING`] before the (recursive)
/// parser sees it. Comments are skipped, and so is the text of strings,
/// but not the integer expressions interpolated into messages (`"{…}"`),
/// which the parser reads like any other.
fn check_nesting(src: &Source) -> Result<(), Diagnostic> {
    let text = src.text.as_bytes();
    let mut depth = 0usize;
    let too_deep = |i: usize| {
        Diagnostic::error("syntax::nesting", format!("brackets nest more than {MAX_NESTING} deep"))
            .at(src, Span::new(i, i + 1), "this bracket is too deep")
            .help("split the expression into named groups (`group Part = …`) or remove redundant brackets")
    };
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'/' if text.get(i + 1) == Some(&b'/') => {
                while i < text.len() && text[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                // Strings end at their quote or the line's end; a `{` that
                // is not escaped opens an interpolation, whose brackets
                // count until its `}`.
                let outer = depth;
                let mut interp = 0usize;
                i += 1;
                while i < text.len() && text[i] != b'"' && text[i] != b'\n' {
                    match text[i] {
                        b'\\' if interp == 0 && text.get(i + 1) != Some(&b'\n') => i += 1,
                        b'{' if interp == 0 => interp = 1,
                        b'(' | b'[' | b'{' => interp += 1,
                        b')' | b']' | b'}' if interp > 0 => interp -= 1,
                        _ => {}
                    }
                    if outer + interp > MAX_NESTING {
                        return Err(too_deep(i));
                    }
                    i += 1;
                }
                depth = outer;
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(too_deep(i));
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// A pest error as a diagnostic: where, what was found, what would fit.
fn syntax_error(src: &Source, e: pest::error::Error<Rule>) -> Diagnostic {
    let pos = match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    // The furthest attempt is where the input stops making sense (at `b`
    // in `a b`, or after the last token of an unclosed bracket), unless it
    // stopped inside a token and so lands on the blank after it.
    let text = src.text.as_str();
    let max = e
        .parse_attempts()
        .map_or(pos, |a| a.max_position.max(pos))
        .min(text.len());
    let rest = &text[max..];
    let pos = if rest.trim().is_empty() || !rest.starts_with(char::is_whitespace) {
        max
    } else {
        pos
    };
    let at_end = text[pos.min(text.len())..].trim().is_empty();
    let pos = if at_end { text.trim_end().len() } else { pos };
    let (rules, tokens): (Vec<Rule>, Vec<String>) = {
        let rules = match &e.variant {
            pest::error::ErrorVariant::ParsingError { positives, .. } => positives.clone(),
            pest::error::ErrorVariant::CustomError { .. } => vec![],
        };
        let tokens = e
            .parse_attempts()
            .map(|a| {
                a.expected_tokens()
                    .into_iter()
                    .map(|t| t.to_string())
                    // Ranges ("0..9"), built-in rules and layout are not
                    // worth listing as expected tokens.
                    .filter(|t| {
                        t != "BUILTIN_RULE" && !(t.chars().count() == 4 && t.contains(".."))
                    })
                    .filter(|t| {
                        !matches!(
                            t.as_str(),
                            " " | "\t" | "\r" | "\n" | "//" | "_" | "×" | "↦"
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        (rules, tokens)
    };
    let mut expected: Vec<String> = Vec::new();
    for r in &rules {
        if let Some(d) = describe_rule(*r) {
            if !expected.iter().any(|x| x == d) {
                expected.push(d.to_string());
            }
        }
    }
    for t in &tokens {
        if t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && t.len() > 1
            && !is_statement_keyword(t)
        {
            continue; // keywords mid-expression would only confuse the list
        }
        let t = format!("`{t}`");
        if !expected.contains(&t) {
            expected.push(t);
        }
    }
    if expected.iter().any(|x| x == "`with series [ … ]`") {
        expected.retain(|x| x != "`with`");
    }
    let found = if at_end { "" } else { found_at(text, pos) };
    let span = Span::new(pos, pos + found.len());
    let message = if found.is_empty() {
        "unexpected end of input".to_string()
    } else {
        format!("unexpected `{found}`")
    };
    let label = if expected.is_empty() {
        "not expected here".to_string()
    } else {
        format!("expected {}", join_or(&expected))
    };
    Diagnostic::error("syntax", message)
        .at(src, span, label)
        .help(syntax_hint(&src.text, pos, &rules, &tokens))
}

fn is_statement_keyword(t: &str) -> bool {
    matches!(
        t,
        "group" | "import" | "require" | "warn" | "with" | "by" | "perm" | "for" | "if" | "in"
    )
}

/// The token at `pos`: an identifier or number, else one character.
fn found_at(text: &str, pos: usize) -> &str {
    let rest = &text[pos.min(text.len())..];
    let Some(c) = rest.chars().next() else {
        return "";
    };
    if c.is_ascii_alphanumeric() || c == '_' {
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        &rest[..end]
    } else {
        &rest[..c.len_utf8()]
    }
}

fn join_or(items: &[String]) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        n => format!("{} or {}", items[..n - 1].join(", "), items[n - 1]),
    }
}

fn describe_rule(r: Rule) -> Option<&'static str> {
    Some(match r {
        Rule::ident | Rule::def_name | Rule::group_name => "a name",
        Rule::number => "a number",
        Rule::iexpr | Rule::iunary | Rule::icall | Rule::iparen => "an integer expression",
        Rule::gexpr | Rule::gprod | Rule::gpow | Rule::call | Rule::paren_group => "a group",
        Rule::presentation => "a presentation",
        Rule::pc_group => "a pc presentation",
        Rule::perm_group => "a permutation group",
        Rule::word | Rule::factor | Rule::identity | Rule::paren_word | Rule::commutator => {
            "a word"
        }
        Rule::relation => "a relator",
        Rule::exponent => "an exponent",
        Rule::cycle | Rule::perm => "a cycle such as `(1,2,3)`",
        Rule::path => "a quoted module name or path",
        Rule::message => "a quoted message",
        Rule::group_def => "`group`",
        Rule::automaton_def => "`automaton`",
        Rule::states_decl | Rule::kw_states => "`states`",
        Rule::start_decl | Rule::kw_start => "`start`",
        Rule::accept_decl | Rule::kw_accept => "`accept`",
        Rule::symbol_decl | Rule::kw_symbol => "`symbol`",
        Rule::clause | Rule::clause_list | Rule::state_cycles | Rule::identity_map => {
            "a transformation such as `p -> q, * -> r`, `(p, q)` or `id`"
        }
        Rule::state_ref | Rule::state_entry => "a state",
        Rule::state_index => "an index `[i]`",
        Rule::symbol_name => "a symbol name",
        Rule::auto_body => "`{ … }`",
        Rule::action_source | Rule::kw_acting => "`acting on points`",
        Rule::kw_on => "`on`",
        Rule::kw_points => "`points`",
        Rule::regex_source | Rule::kw_regex => "`regex \"…\"`",
        Rule::regex_str => "a quoted regular expression",
        Rule::kw_over => "`over`",
        Rule::regex_symbol => "a one-character symbol (a letter or a digit)",
        Rule::import => "`import`",
        Rule::EOI => "end of input",
        Rule::binop => "an operator",
        Rule::times => "`x`",
        Rule::action => "`by { … }`",
        Rule::series => "`with series [ … ]`",
        Rule::guard | Rule::guard_kind => "`require`",
        Rule::subgroup => "a subgroup `<…>`",
        _ => return None,
    })
}

/// What to change, judged from what the parser would have accepted.
fn syntax_hint(text: &str, pos: usize, rules: &[Rule], tokens: &[String]) -> String {
    let before = text[..pos.min(text.len())].trim_end();
    let has = |t: &str| tokens.iter().any(|x| x == t);
    let found = found_at(text, pos);
    if is_statement_keyword(found)
        && rules
            .iter()
            .any(|r| matches!(r, Rule::ident | Rule::def_name | Rule::group_name))
    {
        return format!("`{found}` is a keyword: choose another name");
    }
    if has("=") && has("require") {
        return "a definition is `group NAME = EXPR`; parameters `(n)` and `require`/`warn` guards go before the `=`".into();
    }
    if rules.contains(&Rule::action) || has("by") {
        return "a semidirect product needs its action: `N : H by { y: a -> a^-1 }` gives, for each generator y of H, the images of N's generators".into();
    }
    if before.ends_with('^') {
        return "an exponent is a number, a parameter or a parenthesised integer expression: `a^3`, `a^-1`, `a^n`, `a^(n/2)`".into();
    }
    if rules.iter().any(|r| {
        matches!(
            r,
            Rule::clause | Rule::clause_list | Rule::state_cycles | Rule::identity_map
        )
    }) {
        return "a symbol's transformation is a map `p -> q, q -> p, * -> r` (`*`: every state not listed), cycles of states `(p, q)(r, s, t)`, or `id`".into();
    }
    if rules.iter().any(|r| {
        matches!(
            r,
            Rule::states_decl | Rule::start_decl | Rule::accept_decl | Rule::symbol_decl
        )
    }) {
        return "an automaton's body is statements separated by `;`: `states q0, q1; start q0; accept q1; symbol a: q0 -> q1, q1 -> q0`".into();
    }
    if rules
        .iter()
        .any(|r| matches!(r, Rule::kw_acting | Rule::kw_on | Rule::kw_points))
    {
        return "an automaton from a group is `automaton NAME = GROUP acting on points`".into();
    }
    if rules
        .iter()
        .any(|r| matches!(r, Rule::kw_over | Rule::regex_symbol | Rule::regex_str))
    {
        return "an automaton from a regular expression is `automaton NAME = regex \"(ab)*\" over a, b`: the symbols are single letters or digits".into();
    }
    if rules.contains(&Rule::relation)
        || rules.contains(&Rule::word)
        || rules.contains(&Rule::factor)
    {
        return "relators are words such as `a^3`, `(a*b)^2`, `[a, b]` or equations `b^-1*a*b = a^-1`; letters are joined by `*`".into();
    }
    if rules.contains(&Rule::cycle) || rules.contains(&Rule::perm) {
        return "permutations are written as cycles of points from 1: `(1,2,3)(4,5)`, ranges `(1..n)`, comprehensions `(1,2,k) for k in 3..n`".into();
    }
    if rules.contains(&Rule::group_def) || rules.contains(&Rule::import) {
        return "a file is a list of `import \"module\"`, `group NAME = EXPR` and `automaton NAME { … }` statements".into();
    }
    if rules.contains(&Rule::gexpr) || rules.contains(&Rule::gpow) || rules.contains(&Rule::call) {
        return "a group is a presentation `< a | a^3 >`, a permutation group `perm { (1,2,3) }`, a name such as `C6` or `Dihedral(8)`, or a product `A x B`, `N : H by { … }`".into();
    }
    if has(">") && has(",") {
        return "separate items with `,` and close the presentation or subgroup with `>`".into();
    }
    if has(")") || has("]") || has("}") {
        return "check that every bracket is closed, and that items are separated by `,`".into();
    }
    if rules.contains(&Rule::iexpr) || rules.contains(&Rule::number) {
        return "write an integer expression: numbers, parameters, + - * / % ^, comparisons, `primroot(p)`".into();
    }
    "check the syntax near this point against the language section of the README".into()
}
