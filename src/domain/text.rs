//! Checks for short texts people type and others read back: token names, which appear in
//! the access log, in `powermap token list` and on staff pages.

use super::MAX_NAME_CHARS;

/// Why a name is refused, in words for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Nothing but spaces.
    #[error("must not be empty")]
    Empty,
    /// Past the contract's limit for `name`.
    #[error("must be at most {MAX_NAME_CHARS} characters")]
    TooLong,
    /// A control character (a newline would forge a line in the access log or the list, an
    /// escape sequence would repaint an operator's terminal) or a bidirectional override
    /// (which makes text read differently from what it is, CVE-2021-42574).
    #[error("must not contain control characters (found U+{0:04X})")]
    Control(u32),
}

/// Checks a one-line name: not blank, at most [`MAX_NAME_CHARS`] characters, no control
/// characters and no bidirectional embedding, override or isolate characters.
///
/// # Example
/// ```
/// use powermap::domain::text::{check_name, NameError};
/// assert!(check_name("山田家 (QR)").is_ok());
/// assert_eq!(check_name("a\nb"), Err(NameError::Control(0x0a)));
/// ```
pub fn check_name(name: &str) -> Result<(), NameError> {
    if name.trim().is_empty() {
        return Err(NameError::Empty);
    }
    if let Some(c) = name.chars().find(|c| c.is_control() || is_bidi_control(*c)) {
        return Err(NameError::Control(u32::from(c)));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(NameError::TooLong);
    }
    Ok(())
}

/// U+202A–U+202E (embeddings, overrides) and U+2066–U+2069 (isolates).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_line_breaks_escapes_or_overrides_are_refused() {
        for (name, code) in [("a\nb", 0x0a), ("a\rb", 0x0d), ("\u{1b}[2J", 0x1b), ("x\u{7f}", 0x7f), ("x\u{85}", 0x85)]
        {
            assert_eq!(check_name(name), Err(NameError::Control(code)), "{name:?}");
        }
        assert_eq!(check_name("abc\u{202e}txt"), Err(NameError::Control(0x202e)));
        assert_eq!(check_name("tab\there"), Err(NameError::Control(9)));
    }

    #[test]
    fn blank_and_over_long_names_are_refused_and_japanese_names_pass() {
        assert_eq!(check_name("  "), Err(NameError::Empty));
        assert_eq!(check_name(&"あ".repeat(MAX_NAME_CHARS + 1)), Err(NameError::TooLong));
        assert_eq!(check_name(&"あ".repeat(MAX_NAME_CHARS)), Ok(()));
        assert_eq!(check_name("白井市 危機管理課（夜間）"), Ok(()));
    }
}
