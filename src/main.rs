//! The `s1557` command: parse the arguments, run, map the outcome to an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    s1557::cli::main()
}
