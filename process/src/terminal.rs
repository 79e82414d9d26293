//! The one owner of the terminal's stderr. Progress bars and every line written to stderr while a bar may be on
//! screen (tracing's log lines, the commands' notes, package and deploy progress) go through one
//! [`MultiProgress`]: a line is written with the bars cleared, and the bars are redrawn under it. A bar's ticker
//! thread and a log line never write over each other, and nothing holds the stderr lock for more than one write,
//! so no thread can starve another of the terminal.

use std::io::{self, Write};
use std::sync::LazyLock;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget};

static TERMINAL: LazyLock<MultiProgress> = LazyLock::new(MultiProgress::new);

/// Shows `bar` on stderr under the lines written through this module. A hidden bar (`--no-progress`, or stderr
/// is not a terminal) stays hidden.
pub fn show(bar: ProgressBar) -> ProgressBar {
    if bar.is_hidden() {
        bar
    } else {
        TERMINAL.add(bar)
    }
}

/// Writes one line to stderr above the bars.
pub fn note(line: impl AsRef<str>) {
    let mut text = line.as_ref().to_owned();
    text.push('\n');
    emit(text.as_bytes());
}

/// Stops drawing bars (after SIGHUP the terminal is gone: a draw would fail); lines still go to stderr, whose
/// write errors are ignored.
pub fn detach() {
    TERMINAL.set_draw_target(ProgressDrawTarget::hidden());
}

/// A writer to stderr through the terminal's owner, one whole line at a time: what tracing writes its log lines
/// with (`with_writer(terminal::stderr)`) and what the commands print their progress to.
pub fn stderr() -> Stderr {
    Stderr {
        pending: Vec::new(),
    }
}

/// See [`stderr`]; the end of an unfinished line is written on flush or drop.
#[derive(Debug)]
pub struct Stderr {
    pending: Vec<u8>,
}

impl Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if let Some(end) = self.pending.iter().rposition(|b| *b == b'\n') {
            let rest = self.pending.split_off(end + 1);
            emit(&std::mem::replace(&mut self.pending, rest));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            emit(&std::mem::take(&mut self.pending));
        }
        Ok(())
    }
}

impl Drop for Stderr {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

fn emit(bytes: &[u8]) {
    // A closed stderr (a hung-up terminal, a closed pipe) must not fail the command that is logging.
    TERMINAL.suspend(|| {
        let mut err = io::stderr().lock();
        let _ = err.write_all(bytes);
        let _ = err.flush();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_written_whole_and_the_rest_waits_for_its_newline() {
        let mut w = stderr();
        w.write_all(b"first line\nsecond ").unwrap();
        assert_eq!(w.pending, b"second ");
        w.write_all(b"half\n").unwrap();
        assert!(w.pending.is_empty());
    }
}
