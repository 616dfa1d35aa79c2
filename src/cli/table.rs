//! Aligned columns for a terminal: Japanese characters take two columns, so widths are
//! measured as a terminal draws them (Unicode East Asian Width), not in characters.

use unicode_width::UnicodeWidthStr;

/// Lines of `rows` under `headers`, each column as wide as its widest cell plus two spaces;
/// the last column is not padded.
pub fn render(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.width()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let last = cells.len().saturating_sub(1);
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            out.push_str(cell);
            if i < last {
                out.push_str(&" ".repeat(w - cell.width() + 2));
            }
        }
        out
    };
    let mut out = line(headers.to_vec());
    for row in rows {
        out.push('\n');
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_under_japanese_headers() {
        let rows = vec![
            vec!["tok-1".to_owned(), "危機管理課".to_owned(), "x".to_owned()],
            vec!["tok-22".to_owned(), "ab".to_owned(), "y".to_owned()],
        ];
        let text = render(&["ID", "名前", "状態"], &rows);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "ID      名前        状態");
        assert_eq!(lines[1], "tok-1   危機管理課  x");
        assert_eq!(lines[2], "tok-22  ab          y");
        let col = |l: &str| l[..l.rfind(' ').unwrap() + 1].width();
        assert!(lines.iter().all(|l| col(l) == col(lines[0])), "{text}");
    }
}
