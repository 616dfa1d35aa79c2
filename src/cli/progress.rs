//! Progress on long imports, on standard error and only when it is a terminal (indicatif
//! hides itself otherwise, so scripts and tests see just the summary line).

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// Below this many bytes a file reads too fast for a bar to help (a few thousand rows).
const SHOW_ABOVE_BYTES: usize = 256 * 1024;

/// A bar over the bytes of the file being read.
pub fn reading(total_bytes: usize) -> ProgressBar {
    if total_bytes < SHOW_ABOVE_BYTES {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total_bytes as u64);
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message("読み込み中 / reading");
    bar
}

/// A spinner while the rows are written in one transaction.
pub fn writing(rows: usize) -> ProgressBar {
    if rows < 5_000 {
        return ProgressBar::hidden();
    }
    let spinner = ProgressBar::new_spinner();
    spinner
        .set_message(format!("{rows} 件を1つのトランザクションで書き込み中 / writing {rows} rows in one transaction"));
    spinner.enable_steady_tick(Duration::from_millis(120));
    spinner
}
