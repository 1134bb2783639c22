//! Errors with source spans, rendered once (by miette, in the CLI).
//!
//! Every stage reports problems as a [`Diagnostic`]: a message, the span of
//! source it concerns (when there is one), a label for the underline and a
//! hint saying what to change.

use miette::{NamedSource, SourceSpan};
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

/// Sources render with their file name, so notes in other files say where
/// they point.
impl miette::SourceCode for Source {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let c = self
            .text
            .as_str()
            .read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            c.data(),
            *c.span(),
            c.line(),
            c.column(),
            c.line_count(),
        )))
    }
}

impl miette::Diagnostic for Diagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        if self.code.is_empty() {
            return None;
        }
        Some(Box::new(self.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h.clone()) as Box<dyn std::fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.file.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.notes.is_empty() {
            return None;
        }
        Some(Box::new(
            self.notes.iter().map(|n| n as &dyn miette::Diagnostic),
        ))
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let span = self.span?;
        let label = if self.label.is_empty() {
            None
        } else {
            Some(self.label.clone())
        };
        Some(Box::new(std::iter::once(
            miette::LabeledSpan::new_with_span(label, SourceSpan::from(span.start..span.end)),
        )))
    }
}

/// Render a diagnostic as plain text (no colour), as the CLI prints it to a
/// non-terminal and as snapshot tests record it.
pub fn render_plain(d: &Diagnostic) -> String {
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_width(100);
    let mut out = String::new();
    let named;
    let report: &dyn miette::Diagnostic = match &d.file {
        Some(src) => {
            named = WithName {
                inner: d,
                src: NamedSource::new(src.name.clone(), src.text.as_ref().clone()),
            };
            &named
        }
        None => d,
    };
    if handler.render_report(&mut out, report).is_err() {
        out = d.message.clone();
    }
    out
}

/// Wraps a diagnostic so miette shows the file name beside the span.
#[derive(Debug, thiserror::Error)]
#[error("{}", inner.message)]
struct WithName<'a> {
    inner: &'a Diagnostic,
    src: NamedSource<String>,
}

impl miette::Diagnostic for WithName<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.inner.code()
    }
    fn severity(&self) -> Option<miette::Severity> {
        self.inner.severity()
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        miette::Diagnostic::help(self.inner)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.src)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        self.inner.labels()
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        miette::Diagnostic::related(self.inner)
    }
}
