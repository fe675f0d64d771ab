//! The `loopback` command line: `loopback --help` lists the commands, `loopback help COMMAND`
//! (or `loopback COMMAND --help`) explains one. `docs/cli.md` is the guide.
//!
//! Exit codes: 0 when the operation succeeded, 1 when it failed (an invalid file, a database
//! error), 2 for a usage error (an unknown command or flag, a missing argument).

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
