//! CSV that a municipal office's Excel opens as meant: UTF-8 with a BOM (else Japanese is
//! mis-read as Shift_JIS), CRLF line ends (RFC 4180), and no cell Excel would run as a formula.

use std::borrow::Cow;

/// A CSV writer with CRLF line ends and RFC 4180 quoting.
pub fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new())
}

/// A free-text cell, defused: text starting with `=`, `+`, `-`, `@`, a tab or a carriage
/// return would be evaluated by Excel (a child named `=HYPERLINK(…)`, a point name from an
/// imported file), so it gets a leading apostrophe, which Excel shows as plain text (OWASP).
pub fn text_cell(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

/// The finished document: the BOM, then the rows.
pub fn finish(writer: csv::Writer<Vec<u8>>) -> Result<String, csv::Error> {
    let bytes = writer.into_inner().map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(format!("\u{feff}{}", String::from_utf8_lossy(&bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_plain_text_is_untouched() {
        assert_eq!(text_cell("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
        for risky in ["+1", "-1+2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(text_cell(risky).starts_with('\''), "{risky:?}");
        }
        assert_eq!(text_cell("白井 花子（架空）"), "白井 花子（架空）");
        assert_eq!(text_cell("047-000-0102"), "047-000-0102");
        assert_eq!(text_cell(""), "");
    }

    #[test]
    fn documents_start_with_a_bom_and_end_lines_with_crlf() {
        let mut w = writer();
        w.write_record(["氏名", "内容"]).unwrap();
        w.write_record(["a,b", "改行\nあり"]).unwrap();
        let text = finish(w).unwrap();
        assert_eq!(text, "\u{feff}氏名,内容\r\n\"a,b\",\"改行\nあり\"\r\n");
    }
}
