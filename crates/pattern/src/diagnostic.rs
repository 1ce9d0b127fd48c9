//! Diagnostics: a span and a message naming what was expected, and a caret renderer for people.

use std::fmt;

use crate::ast::Span;

/// A problem found in pattern text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Diagnostic {
    /// Where the problem is, as byte offsets into the pattern text.
    pub span: Span,
    /// What is wrong, e.g. "expected `]`, found end of pattern".
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic at `span`.
    pub fn new(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic { span, message: message.into() }
    }

    /// Renders the diagnostic under the line of `text` it points into, with carets under the span:
    ///
    /// ```text
    /// error: expected `]`, found end of pattern
    ///   [file:name = 'a.exe'
    ///                       ^
    /// ```
    pub fn render(&self, text: &str) -> String {
        let start = (self.span.start as usize).min(text.len());
        let end = (self.span.end as usize).clamp(start, text.len());
        let line_start = text[..floor_char(text, start)].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let line = &text[line_start..line_end];
        let column = text[line_start..floor_char(text, start)].chars().count();
        let width = text[floor_char(text, start)..floor_char(text, end.min(line_end))]
            .chars()
            .count()
            .max(1);
        format!(
            "error: {}\n  {}\n  {}{}",
            self.message,
            line,
            " ".repeat(column),
            "^".repeat(width)
        )
    }
}

fn floor_char(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error {}..{}: {}", self.span.start, self.span.end, self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_points_at_span() {
        let text = "[file:name = 'a.exe'";
        let diagnostic = Diagnostic::new(Span::new(20, 20), "expected `]`");
        insta::assert_snapshot!(diagnostic.render(text), @r"
        error: expected `]`
          [file:name = 'a.exe'
                              ^
        ");
        let diagnostic = Diagnostic::new(Span::new(1, 5), "unknown");
        insta::assert_snapshot!(diagnostic.render("[é   \nx"), @r"
        error: unknown
          [é   
           ^^^
        ");
    }
}
