//! End-to-end tests of what `--help` promises and of `kernbench completions`: the exit codes
//! listed, every flag documented in the README, completion scripts for the common shells.

use std::path::Path;

use crate::common::{kernbench, stderr, stdout};

/// Every command and the exit codes its `--help` lists, in order (DESIGN.md's meanings).
const COMMANDS: &[(&str, &[u8])] = &[
    ("validate", &[0, 2, 1]),
    ("topo", &[0, 2, 1]),
    ("run", &[0, 2, 3, 4, 1]),
    ("sweep", &[0, 2, 1]),
    ("diagnose", &[0, 2, 3, 4, 1]),
    ("merge", &[0, 2, 1]),
    ("compare", &[0, 2, 1]),
    ("completions", &[0, 2]),
    ("workload", &[0, 2, 3, 1]),
];

/// The line of `--help` for each exit code.
fn code_line(code: u8) -> &'static str {
    match code {
        0 => "  0  done",
        1 => "  1  an internal error (a bug), or the machine failed under good input (a full disk)",
        2 => "  2  bad input: the message names the file, the place and the fix",
        3 => "  3  deadlock: the report is printed",
        4 => "  4  a limit was reached first (a time limit or bound, a livelock)",
        _ => panic!("no exit code {code}"),
    }
}

fn exit_codes(codes: &[u8]) -> String {
    let mut text = "Exit codes:\n".to_owned();
    for &code in codes {
        text.push_str(code_line(code));
        text.push('\n');
    }
    text
}

#[test]
fn kernbench_help_ends_with_every_exit_code() {
    let output = kernbench(&["--help"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let help = stdout(&output);
    assert!(
        help.ends_with(&format!("\n\n{}", exit_codes(&[0, 2, 3, 4, 1]))),
        "{help}"
    );
}

#[test]
fn every_commands_help_ends_with_the_exit_codes_it_can_give() {
    for (command, codes) in COMMANDS {
        for flag in ["-h", "--help"] {
            let output = kernbench(&[command, flag]);
            assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
            let help = stdout(&output);
            assert!(
                help.ends_with(&format!("\n\n{}", exit_codes(codes))),
                "kernbench {command} {flag}:\n{help}"
            );
        }
    }
}

#[test]
fn every_flag_of_every_command_is_in_the_readme() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read README.md: {e}"));
    let mut missing = Vec::new();
    for (command, _) in COMMANDS {
        assert!(
            readme.contains(&format!("kernbench {command}")),
            "README.md never shows `kernbench {command}`"
        );
        let help = stdout(&kernbench(&[command, "--help"]));
        // The flags are the options' first words: `      --size <SIZE>`, `  -h, --help`.
        for line in help.lines() {
            let Some(flag) = line
                .trim_start()
                .trim_start_matches("-h, ")
                .split([' ', '\t'])
                .next()
                .filter(|word| word.starts_with("--") && *word != "--help")
            else {
                continue;
            };
            if !readme.contains(flag) {
                missing.push(format!("kernbench {command} {flag}"));
            }
        }
    }
    assert!(missing.is_empty(), "README.md does not mention {missing:?}");
}

#[test]
fn completions_print_a_script_for_each_common_shell() {
    for (shell, opening, has_compare) in [
        ("bash", "_kernbench() {", "compare"),
        ("zsh", "#compdef kernbench", "compare"),
        ("fish", "# Print an optspec for argparse", "-a \"compare\""),
    ] {
        let output = kernbench(&["completions", shell]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let script = stdout(&output);
        assert!(script.starts_with(opening), "{shell}:\n{script}");
        // Subcommands and their flags are completed.
        assert!(script.contains(has_compare), "{shell}:\n{script}");
        assert!(script.contains("chunk-size"), "{shell}:\n{script}");
    }
}

#[test]
fn completions_for_an_unknown_shell_are_bad_input_listing_the_shells() {
    let output = kernbench(&["completions", "tcsh"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).starts_with(
            "error: invalid value 'tcsh' for '<SHELL>'\n  [possible values: bash, elvish, fish, powershell, zsh]\n"
        ),
        "{}",
        stderr(&output)
    );
}
