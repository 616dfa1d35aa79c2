//! Reading the CSV files cities and divisions send: encoding detection (UTF-8 with or without
//! BOM, else Shift_JIS via encoding_rs), header names as Excel users type them, records with
//! the line they start on, and cells as numbers and coordinates. Shared by every CSV import.

use std::path::Path;

use unicode_normalization::UnicodeNormalization;

/// One refused file: the 1-based line and what is wrong there, in words an operator can fix.
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    /// Line in the file where the record starts (0 when the whole file is wrong).
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

impl RowError {
    /// The one-line reason the command prints: file, line, what is wrong, nothing imported.
    pub fn refuse(self, file: &Path) -> anyhow::Error {
        let at = if self.line > 0 { format!(" {} 行目:", self.line) } else { String::new() };
        anyhow::anyhow!("{}:{at} {}（何も取り込んでいません）", file.display(), self.message)
    }
}

/// A [`RowError`] at `line`.
pub fn fail(line: u64, message: impl Into<String>) -> RowError {
    RowError { line, message: message.into() }
}

/// UTF-8 (a BOM is dropped) when the bytes are valid UTF-8, otherwise Shift_JIS; anything
/// that is neither is refused rather than imported as mojibake. Takes the bytes so valid
/// UTF-8 is not copied (the national files run to hundreds of thousands of rows).
pub fn decode(bytes: Vec<u8>) -> Result<String, RowError> {
    match String::from_utf8(bytes) {
        Ok(mut text) => {
            if text.starts_with('\u{feff}') {
                text.drain(..'\u{feff}'.len_utf8());
            }
            Ok(text)
        }
        Err(e) => {
            let (text, _, had_errors) = encoding_rs::SHIFT_JIS.decode(e.as_bytes());
            if had_errors {
                return Err(fail(0, "UTF-8 でも Shift_JIS でもありません"));
            }
            Ok(text.into_owned())
        }
    }
}

/// A cell as numbers and flags are read: NFKC (full-width digits, signs and letters become
/// ASCII, as Excel users type them) and trimmed.
pub fn nfkc(value: &str) -> String {
    value.trim().nfkc().collect::<String>().trim().to_owned()
}

/// A header cell as columns are looked up: BOM, spaces and full-width forms do not matter.
pub fn header_name(h: &str) -> String {
    nfkc(h.trim_start_matches('\u{feff}'))
}

/// A number cell (`1,200` and full-width digits allowed); `column` names it in the error.
pub fn number(column: &str, value: &str, line: u64) -> Result<f64, RowError> {
    nfkc(value)
        .replace(',', "")
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| fail(line, format!("{column}: 「{value}」は数値ではありません")))
}

/// (lon, lat) from the 緯度 and 経度 cells: both blank is `None`; one of them, a
/// non-number or a value out of range is an error naming the column.
pub fn position(lat: (&str, &str), lon: (&str, &str), line: u64) -> Result<Option<(f64, f64)>, RowError> {
    let ((lat_col, lat_v), (lon_col, lon_v)) = (lat, lon);
    match (lat_v.trim().is_empty(), lon_v.trim().is_empty()) {
        (true, true) => return Ok(None),
        (false, true) => {
            return Err(fail(line, format!("{lon_col}: 空欄です（{lat_col} だけでは位置が決まりません）")));
        }
        (true, false) => {
            return Err(fail(line, format!("{lat_col}: 空欄です（{lon_col} だけでは位置が決まりません）")));
        }
        (false, false) => {}
    }
    let (y, x) = (number(lat_col, lat_v, line)?, number(lon_col, lon_v, line)?);
    let swapped =
        if (-90.0..=90.0).contains(&x) { "（緯度と経度が入れ替わっていませんか）" } else { "" };
    if !(-90.0..=90.0).contains(&y) {
        return Err(fail(line, format!("{lat_col}: {y} は -90〜90 の範囲外です{swapped}")));
    }
    if !(-180.0..=180.0).contains(&x) {
        return Err(fail(line, format!("{lon_col}: {x} は -180〜180 の範囲外です")));
    }
    Ok(Some((x, y)))
}

/// The 1-based line each record starts on, counted from the text itself (csv's own count
/// lags by one after CRLF line ends, and spreadsheets write CRLF). Records come in order, so
/// counting resumes where the last one stopped: linear in the file, not quadratic.
pub struct Lines<'a> {
    bytes: &'a [u8],
    at: usize,
    line: u64,
}

impl<'a> Lines<'a> {
    /// Counts over `text`.
    pub fn new(text: &'a str) -> Self {
        Lines { bytes: text.as_bytes(), at: 0, line: 1 }
    }

    /// The line of the record at `position` (0 when unknown).
    pub fn of(&mut self, position: Option<&csv::Position>) -> u64 {
        let Some(p) = position else { return 0 };
        let mut target = (p.byte() as usize).min(self.bytes.len());
        while target < self.bytes.len() && matches!(self.bytes[target], b'\r' | b'\n') {
            target += 1;
        }
        if target < self.at {
            self.at = 0;
            self.line = 1;
        }
        self.line += self.bytes[self.at..target].iter().filter(|b| **b == b'\n').count() as u64;
        self.at = target;
        self.line
    }
}

/// A CSV file's records, each with the line it starts on, read one at a time into one
/// buffer (the national files run to hundreds of thousands of rows); blank rows are skipped.
pub struct Records<'a> {
    text: &'a str,
    reader: csv::Reader<&'a [u8]>,
    lines: Lines<'a>,
    record: csv::StringRecord,
    progress: indicatif::ProgressBar,
}

impl<'a> Records<'a> {
    /// The reader and the header row.
    pub fn new(text: &'a str) -> Result<(Self, csv::StringRecord), RowError> {
        if text.trim().is_empty() {
            return Err(fail(0, "ファイルが空です"));
        }
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
        let headers = reader.headers().map_err(|e| fail(1, format!("見出し行: {e}")))?.clone();
        let progress = crate::cli::progress::reading(text.len());
        let records = Records { text, reader, lines: Lines::new(text), record: csv::StringRecord::new(), progress };
        Ok((records, headers))
    }

    /// The next non-blank record and its line; a malformed record is an error at its line.
    pub fn next_record(&mut self) -> Result<Option<(u64, &csv::StringRecord)>, RowError> {
        loop {
            match self.reader.read_record(&mut self.record) {
                Err(e) => return Err(fail(Lines::new(self.text).of(e.position()), e.to_string())),
                Ok(false) => {
                    self.progress.finish_and_clear();
                    return Ok(None);
                }
                Ok(true) => {
                    self.progress.set_position(self.record.position().map_or(0, csv::Position::byte));
                    if !self.record.iter().all(|f| f.trim().is_empty()) {
                        let line = self.lines.of(self.record.position());
                        return Ok(Some((line, &self.record)));
                    }
                }
            }
        }
    }
}
