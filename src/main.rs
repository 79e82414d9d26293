//! The `stream2neptune` binary: everything happens in [`stream2neptune::run`].

use std::process::ExitCode;

fn main() -> ExitCode {
    match stream2neptune::run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", stream2neptune::error_text(&err));
            ExitCode::FAILURE
        }
    }
}
