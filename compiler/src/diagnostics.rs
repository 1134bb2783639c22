//! Errors with source spans, rendered once (by miette, in the CLI).
//!
//! Every stage reports problems as a [`Diagnostic`]: a message, the span of
//! source it concerns (when there is one), a label for the underline and a
//! hint saying what to change.
//!
//! [`render_plain`] is the one place diagnostics become text. It never hands
//! miette a whole source: it cuts an excerpt of the lines around the span,
//! each at most a few hundred characters wide, so a diagnostic in an
//! 8 MB one-line file renders in a few lines (miette's column arithmetic
//! goes through `format!` widths, which panic past 65,535), while the
//! header still gives the span's true line and column.

use miette::{MietteSpanContents, SourceCode, SourceSpan, SpanContents};
use std::sync::Arc;

/// Byte range in a source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }
}

/// A source file: its display name and text.
#[derive(Clone, Debug)]
pub struct Source {
    pub name: String,
    pub text: Arc<String>,
}

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Source {
        Source {
            name: name.into(),
            text: Arc::new(text.into()),
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let before = &self.text[..floor_boundary(&self.text, offset)];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }
}

/// A compile error (or warning) pointing into the source.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Diagnostic {
    pub message: String,
    pub code: &'static str,
    pub label: String,
    pub help: Option<String>,
    pub span: Option<Span>,
    pub file: Option<Source>,
    pub severity: miette::Severity,
    /// Further places that explain this one (e.g. the definition a failing
    /// call leads into), rendered after it.
    pub notes: Vec<Diagnostic>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            message: message.into(),
            code,
            label: String::new(),
            help: None,
            span: None,
            file: None,
            severity: miette::Severity::Error,
            notes: Vec::new(),
        }
    }
    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: miette::Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }
    pub fn at(mut self, source: &Source, span: Span, label: impl Into<String>) -> Diagnostic {
        self.file = Some(source.clone());
        self.span = Some(span);
        self.label = label.into();
        self
    }
    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }
    /// A note pointing at another span (rendered after this diagnostic).
    pub fn note(mut self, source: &Source, span: Span, message: impl Into<String>) -> Diagnostic {
        let mut n = Diagnostic::error("", message).at(source, span, "");
        n.severity = miette::Severity::Advice;
        self.notes.push(n);
        self
    }
}

/// Characters of a long line shown before and after the span.
const CONTEXT_CHARS: usize = 100;
/// Characters of a span shown on its first line; the rest is cut.
const MAX_SPAN_CHARS: usize = 200;
/// Lines of a multi-line span shown; the rest is cut.
const MAX_SPAN_LINES: usize = 12;
/// Lines up to this many characters are shown whole.
const MAX_WHOLE_LINE: usize = 2 * CONTEXT_CHARS + MAX_SPAN_CHARS;
/// Longest message, label or hint rendered: names and expressions quoted
/// from the source can be arbitrarily long.
const MAX_TEXT_CHARS: usize = 1000;
/// Marks text left out of an excerpt.
const CUT: &str = "…";

/// Render a diagnostic as plain text (no colour), as the CLI prints it to a
/// non-terminal and as snapshot tests record it.
pub fn render_plain(d: &Diagnostic) -> String {
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_width(100);
    let mut out = String::new();
    if handler.render_report(&mut out, &Shown::new(d)).is_err() {
        out = cap(&d.message);
    }
    out
}

/// `s`, cut to [`MAX_TEXT_CHARS`] characters.
fn cap(s: &str) -> String {
    match s.char_indices().nth(MAX_TEXT_CHARS) {
        None => s.to_string(),
        Some((i, _)) => format!("{}{CUT}", &s[..i]),
    }
}

/// A diagnostic as handed to miette: texts capped, the span's source cut
/// down to an [`Excerpt`], notes likewise.
#[derive(Debug)]
struct Shown<'a> {
    d: &'a Diagnostic,
    message: String,
    help: Option<String>,
    label: Option<String>,
    excerpt: Option<Excerpt>,
    notes: Vec<Shown<'a>>,
}

impl<'a> Shown<'a> {
    fn new(d: &'a Diagnostic) -> Shown<'a> {
        let excerpt = match (&d.file, d.span) {
            (Some(src), Some(span)) => Some(Excerpt::new(src, span)),
            _ => None,
        };
        Shown {
            d,
            message: cap(&d.message),
            help: d.help.as_deref().map(cap),
            label: (!d.label.is_empty()).then(|| cap(&d.label)),
            excerpt,
            notes: d.notes.iter().map(Shown::new).collect(),
        }
    }
}

impl std::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Shown<'_> {}

impl miette::Diagnostic for Shown<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        if self.d.code.is_empty() {
            return None;
        }
        Some(Box::new(self.d.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.d.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.excerpt.as_ref().map(|e| e as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let e = self.excerpt.as_ref()?;
        Some(Box::new(std::iter::once(
            miette::LabeledSpan::new_with_span(
                self.label.clone(),
                SourceSpan::from(e.label.0..e.label.1),
            ),
        )))
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.notes.is_empty() {
            return None;
        }
        Some(Box::new(
            self.notes.iter().map(|n| n as &dyn miette::Diagnostic),
        ))
    }
}

/// The lines of a source around a span, each cut to a window around the
/// span where it is long, with the span's position in the excerpt and its
/// true line and column in the source.
#[derive(Debug, Clone, PartialEq)]
struct Excerpt {
    name: String,
    text: String,
    /// 0-based line of the source where `text` begins.
    first_line: usize,
    /// The span, as byte offsets into `text`.
    label: (usize, usize),
    /// 0-based line and column (in characters) of the span's start in the
    /// source.
    line: usize,
    column: usize,
}

/// One line of the source: the byte range of its text (without the line
/// break) and where the next line begins.
#[derive(Clone, Copy, Debug)]
struct LineRange {
    start: usize,
    end: usize,
    next: usize,
}

impl LineRange {
    fn at(text: &str, start: usize) -> LineRange {
        let brk = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let next = (brk + 1).min(text.len());
        // In a CRLF break the '\r' belongs to the break, as miette reads it.
        let end = if text[start..brk].ends_with('\r') {
            brk - 1
        } else {
            brk
        };
        LineRange { start, end, next }
    }
}

/// Largest char boundary at or below `i`.
fn floor_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Byte offset `n` characters before `i` in `s` (0 if there are fewer).
fn chars_back(s: &str, i: usize, n: usize) -> usize {
    if n == 0 {
        return i;
    }
    s[..i].char_indices().rev().nth(n - 1).map_or(0, |(j, _)| j)
}

/// Byte offset `n` characters after `i` in `s` (its end if there are fewer).
fn chars_forward(s: &str, i: usize, n: usize) -> usize {
    s[i..].char_indices().nth(n).map_or(s.len(), |(j, _)| i + j)
}

/// One line as shown: where it starts in the excerpt, the byte window
/// `lo..hi` of the line's text it shows, and the length of the cut mark
/// before it.
struct ShownLine {
    line: LineRange,
    base: usize,
    prefix: usize,
    lo: usize,
    hi: usize,
}

impl ShownLine {
    /// Excerpt offset of source offset `x` on this line, clamped to what is
    /// shown.
    fn map(&self, x: usize) -> usize {
        let l = &self.line;
        let text_end = self.base + self.prefix + (self.hi - self.lo);
        if x <= l.start + self.hi {
            self.base + self.prefix + (x.max(l.start + self.lo) - (l.start + self.lo))
        } else if self.hi < l.end - l.start {
            text_end
        } else {
            // Inside the line break, which the excerpt keeps as it is.
            text_end + (x.min(l.next) - l.end)
        }
    }
}

impl Excerpt {
    fn new(src: &Source, span: Span) -> Excerpt {
        let text = src.text.as_str();
        let start = floor_boundary(text, span.start);
        let end = floor_boundary(text, span.end).max(start);
        let first = LineRange::at(text, text[..start].rfind('\n').map_or(0, |i| i + 1));
        let b = text.as_bytes();
        let line = text[..first.start].matches('\n').count();
        // Both bytes of a CRLF break are at the line's last column, as
        // miette counts them.
        let column = text[first.start..start.min(first.end)].chars().count();

        // The span's lines: up to the one holding its last byte, at most
        // MAX_SPAN_LINES of them. A span that ends with a line break ends,
        // as miette reads it, on the line after.
        let last_byte = match end.checked_sub(1).map(|i| b[i]) {
            _ if end == start => start,
            Some(b'\n') => end,
            Some(b'\r') if b.get(end) == Some(&b'\n') => end + 1,
            _ => end - 1,
        };
        let mut lines = vec![first];
        let mut cut = false;
        loop {
            let l = lines[lines.len() - 1];
            if last_byte < l.next || l.next >= text.len() {
                break;
            }
            if lines.len() == MAX_SPAN_LINES {
                cut = true;
                break;
            }
            lines.push(LineRange::at(text, l.next));
        }
        let last = lines[lines.len() - 1];
        // One line of context either side, as miette shows.
        let before = (first.start > 0).then(|| {
            LineRange::at(
                text,
                text[..first.start - 1].rfind('\n').map_or(0, |i| i + 1),
            )
        });
        let after = (!cut && last.next < text.len()).then(|| LineRange::at(text, last.next));

        // What each line must show: (line, focus start, focus end).
        let mut plan: Vec<(LineRange, usize, usize)> = Vec::new();
        if let Some(b) = before {
            plan.push((b, b.start, b.start));
        }
        let n = lines.len();
        for (k, &l) in lines.iter().enumerate() {
            let focus = if n == 1 {
                let a = start.min(l.end);
                let most =
                    l.start + chars_forward(&text[l.start..l.end], a - l.start, MAX_SPAN_CHARS);
                (a, end.min(l.end).min(most))
            } else if k == 0 {
                (start, start)
            } else if k == n - 1 && !cut {
                (end.min(l.end), end.min(l.end))
            } else {
                (l.start, l.start)
            };
            plan.push((l, focus.0, focus.1));
        }
        if let Some(a) = after {
            plan.push((a, a.start, a.start));
        }

        let mut out = String::new();
        let mut shown: Vec<ShownLine> = Vec::with_capacity(plan.len());
        for (l, a, b) in plan {
            let s = &text[l.start..l.end];
            let (lo, hi) = if s.chars().nth(MAX_WHOLE_LINE).is_none() {
                (0, s.len())
            } else {
                let a = a.clamp(l.start, l.end) - l.start;
                let b = b.clamp(l.start, l.end).max(l.start + a) - l.start;
                (
                    chars_back(s, a, CONTEXT_CHARS),
                    chars_forward(s, b, CONTEXT_CHARS),
                )
            };
            let base = out.len();
            if lo > 0 {
                out.push_str(CUT);
            }
            let prefix = out.len() - base;
            // Control characters other than tabs would move the terminal's
            // cursor (and miette reads a lone '\r' as a line break): blank
            // them, byte for byte.
            out.extend(s[lo..hi].chars().map(|c| {
                if c.is_ascii_control() && c != '\t' {
                    ' '
                } else {
                    c
                }
            }));
            if hi < s.len() {
                out.push_str(CUT);
            }
            // The break as in the source ("\n" or "\r\n"), so offsets in it
            // map one to one.
            out.push_str(&text[l.end..l.next]);
            shown.push(ShownLine {
                line: l,
                base,
                prefix,
                lo,
                hi,
            });
        }
        let k0 = usize::from(before.is_some());
        let label_start = shown[k0].map(start);
        let end_line = &shown[k0 + n - 1];
        let label_end = if cut {
            end_line.map(last.end)
        } else {
            end_line.map(end)
        };
        Excerpt {
            name: src.name.clone(),
            text: out,
            first_line: line - k0,
            label: (label_start, label_end.max(label_start)),
            line,
            column,
        }
    }
}

/// miette reads the excerpt like a source file, with line numbers and the
/// header's position translated back to the source.
impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, miette::MietteError> {
        let c = self
            .text
            .as_str()
            .read_span(span, context_lines_before, context_lines_after)?;
        // The header reads the label's own span without context.
        let (line, column) = if span.offset() == self.label.0 && context_lines_before == 0 {
            (self.line, self.column)
        } else {
            (c.line() + self.first_line, c.column())
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            c.data(),
            *c.span(),
            line,
            column,
            c.line_count(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A diagnostic with the whole source handed to miette, as rendered
    /// before excerpts: for short lines the excerpt must not change a thing.
    #[derive(Debug)]
    struct Whole<'a>(&'a Diagnostic, miette::NamedSource<String>);

    impl std::fmt::Display for Whole<'_> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(&self.0.message)
        }
    }

    impl std::error::Error for Whole<'_> {}

    impl miette::Diagnostic for Whole<'_> {
        fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
            self.0
                .help
                .as_ref()
                .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
        }
        fn source_code(&self) -> Option<&dyn SourceCode> {
            Some(&self.1)
        }
        fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
            let s = self.0.span?;
            Some(Box::new(std::iter::once(
                miette::LabeledSpan::new_with_span(
                    Some(self.0.label.clone()),
                    SourceSpan::from(s.start..s.end),
                ),
            )))
        }
    }

    fn whole(d: &Diagnostic) -> String {
        let handler =
            miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
                .with_width(100);
        let src = d.file.as_ref().unwrap();
        let w = Whole(
            d,
            miette::NamedSource::new(src.name.clone(), src.text.to_string()),
        );
        let mut out = String::new();
        handler.render_report(&mut out, &w).unwrap();
        out
    }

    fn at(text: &str, start: usize, end: usize) -> Diagnostic {
        let src = Source::new("t.gssm", text);
        Diagnostic::error("", "m")
            .at(&src, Span::new(start, end), "here")
            .help("h")
    }

    #[test]
    fn short_lines_render_as_the_whole_source_would() {
        let sources = [
            "group G = < a, b | a^3, c^2 >\n",
            "group G = < a | a^2 >",
            "import \"seed\"\n\ngroup G = C2 x\n  C3\n\n// end\n",
            "a\nb\nc\nd\ne\nf\ng\n",
            "\tgroup\tG = < a | a^2 >\n\n\n",
            "x = (1,2)\r\ny = (2,3)\r\n",
            "",
        ];
        for text in sources {
            let n = text.len();
            for start in 0..=n {
                for end in start..=n.min(start + 24) {
                    let d = at(text, start, end);
                    assert_eq!(render_plain(&d), whole(&d), "{text:?} at {start}..{end}");
                }
            }
        }
    }

    /// The excerpt line holding `needle`, the underline below it, and the
    /// header's position.
    fn parts(out: &str, needle: &str) -> (String, String) {
        let lines: Vec<&str> = out.lines().collect();
        let i = lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle:?} not in\n{out}"));
        (lines[i].to_string(), lines[i + 1].to_string())
    }

    fn col(line: &str, c: char) -> usize {
        line.chars().position(|x| x == c).unwrap()
    }

    #[test]
    fn long_lines_show_a_window_around_the_span() {
        // 100 000 characters, some of them two bytes wide; the span is `XYZ`.
        let mut text = "é".repeat(60_000);
        let start = text.len();
        text.push_str("XYZ");
        text.push_str(&"b".repeat(40_000));
        text.push('\n');
        let d = at(&text, start, start + 3);
        let out = render_plain(&d);
        assert!(out.len() < 2000, "{} bytes:\n{out}", out.len());
        assert!(out.contains("[t.gssm:1:60001]"), "{out}");
        let (line, marks) = parts(&out, "XYZ");
        assert!(line.contains(&format!("…{}XYZ{}…", "é".repeat(100), "b".repeat(100))));
        // Underline: `─┬─` under `XYZ`.
        assert_eq!(col(&marks, '┬'), col(&line, 'Y'));
        assert_eq!(col(&marks, '─'), col(&line, 'X'));
    }

    #[test]
    fn long_spans_are_cut() {
        // A span of 8 million characters on one line, starting at column 11.
        let text = format!("group G = <{}>\nnext line\n", "a*".repeat(4_000_000));
        let d = at(&text, 10, text.find('\n').unwrap());
        let out = render_plain(&d);
        assert!(out.len() < 3000, "{} bytes:\n{out}", out.len());
        assert!(out.contains("[t.gssm:1:11]"), "{out}");
        let (line, marks) = parts(&out, "group G = <");
        assert!(line.ends_with('…'), "{line}");
        assert_eq!(col(&marks, '─'), col(&line, '<'));
        // The underline stops at the cut.
        assert_eq!(marks.trim_end().chars().count(), line.chars().count() - 1);
        assert!(out.contains("next line"), "{out}");
    }

    #[test]
    fn spans_over_many_long_lines_are_cut() {
        let long = "x".repeat(100_000);
        let text = format!("{long}\n").repeat(1000);
        // From column 50 001 of line 2 to column 10 of line 900.
        let start = long.len() + 1 + 50_000;
        let end = 899 * (long.len() + 1) + 9;
        let out = render_plain(&at(&text, start, end));
        assert!(out.len() < 16_000, "{} bytes:\n{out}", out.len());
        assert!(out.contains("[t.gssm:2:50001]"), "{out}");
        assert!(out.contains(" 1 │ "), "{out}");
        assert!(out.contains(&format!(" {MAX_SPAN_LINES} │ ")), "{out}");
        assert!(
            !out.contains(&format!(" {} │ ", MAX_SPAN_LINES + 2)),
            "{out}"
        );
    }

    #[test]
    fn spans_past_the_end_and_control_characters() {
        let out = render_plain(&at("ab", 5, 9));
        assert!(out.contains("[t.gssm:1:3]"), "{out}");
        let out = render_plain(&at("a\rb\x1bc d", 6, 7));
        assert!(out.contains("a b c d"), "{out:?}");
        assert!(out.contains("[t.gssm:1:7]"), "{out}");
        // Inside a two-byte character: the span starts at the character.
        let out = render_plain(&at("xé y", 2, 4));
        assert!(out.contains("[t.gssm:1:2]"), "{out}");
    }

    #[test]
    fn long_texts_are_cut() {
        let name = "n".repeat(5000);
        let src = Source::new("t.gssm", "group G = x\n");
        let d = Diagnostic::error("c", format!("unknown `{name}`"))
            .at(&src, Span::new(10, 11), name.clone())
            .help(name.clone())
            .note(&src, Span::new(0, 5), name);
        let out = render_plain(&d);
        assert!(
            out.len() < 4 * (MAX_TEXT_CHARS + 500),
            "{} bytes",
            out.len()
        );
        assert!(out.contains('…'));
    }
}
