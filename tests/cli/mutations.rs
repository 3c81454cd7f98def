//! A seeded mutation test of the three file loaders (topology, sweep, scenario), through
//! `kernbench validate`: whatever a file holds, the binary answers 0 or 2, never panics, and
//! stays within bounded time and memory. Runs in CI in seconds; raise `MUTANTS` (or the
//! `KERNBENCH_MUTANTS` environment variable) for a longer campaign.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Mutants of each bundled file kind per run.
const MUTANTS: usize = 400;
/// The address space the binary may use (`ulimit -v`, KiB): 4 GiB.
const MEMORY_KIB: u64 = 4 << 20;

/// A tiny deterministic generator (xorshift64*): the same seed, the same mutants.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Splits RON text into tokens: words and numbers, quoted strings, single punctuation and
/// runs of white space, so that joining them gives the text back.
fn tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let mut token = c.to_string();
        if c == '"' {
            for d in chars.by_ref() {
                token.push(d);
                if d == '"' {
                    break;
                }
            }
        } else if c.is_alphanumeric() || c == '_' || c == '.' || c == '-' {
            while let Some(&d) = chars.peek() {
                if !(d.is_alphanumeric() || d == '_' || d == '.' || d == '-') {
                    break;
                }
                token.push(d);
                chars.next();
            }
        } else if c.is_whitespace() {
            while let Some(&d) = chars.peek() {
                if !d.is_whitespace() {
                    break;
                }
                token.push(d);
                chars.next();
            }
        }
        out.push(token);
    }
    out
}

const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1",
    "3",
    "65536",
    "16384",
    "4096",
    "4294967296",
    "18446744073709551616",
    "1e309",
    "NaN",
    "99999999999999999999999999",
];
const STRINGS: &[&str] = &[
    "\"\"",
    "\"0B/s\"",
    "\"0ns\"",
    "\"-5ns\"",
    "\"99999999999TiB\"",
    "\"1e400GB/s\"",
    "\"18446744073709551615ps\"",
    "\"1PB/s\"",
    "\"1B/s\"",
    "\"ring:65536\"",
    "\"torus:1x1\"",
    "\"*.ron\"",
    "\"../../../../etc/passwd\"",
    "\"ü🦀\u{202e}\"",
    "\"tcm\"",
    "\"all-to-all\"",
];
const GARBAGE: &[&str] = &[
    "(", ")", "[", "]", ",", ":", "//", "/*", "\"", "🦀", "\u{0}", "Some(",
];

/// `text` without its `//` comments, so that mutations land on what the loaders read.
fn strip_comments(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let mut in_string = false;
        let mut kept = line.len();
        let bytes = line.as_bytes();
        for i in 0..bytes.len() {
            match bytes[i] {
                b'"' => in_string = !in_string,
                b'/' if !in_string && bytes.get(i + 1) == Some(&b'/') => {
                    kept = i;
                    break;
                }
                _ => {}
            }
        }
        let line = line[..kept].trim_end();
        if !line.is_empty() {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// One mutant of `text`: one to three edits of its tokens, or a truncation.
fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut toks = tokens(text);
    if rng.below(8) == 0 {
        let cut: String = toks.concat();
        let mut end = rng.below(cut.len());
        while !cut.is_char_boundary(end) {
            end -= 1;
        }
        return cut[..end].to_owned();
    }
    for _ in 0..1 + rng.below(3) {
        if toks.is_empty() {
            break;
        }
        let i = rng.below(toks.len());
        // Values (numbers, quoted strings) get half of the edits: those reach the semantic
        // checks (units, limits, shapes, ranks) rather than the parser.
        let values: Vec<usize> = (0..toks.len())
            .filter(|&k| {
                toks[k].starts_with('"')
                    || toks[k].chars().next().is_some_and(|c| c.is_ascii_digit())
            })
            .collect();
        match rng.below(10) {
            0..=4 if !values.is_empty() => {
                let k = values[rng.below(values.len())];
                toks[k] = if toks[k].starts_with('"') {
                    rng.pick(STRINGS).to_owned()
                } else {
                    rng.pick(NUMBERS).to_owned()
                };
            }
            5 => {
                toks.remove(i);
            }
            6 => {
                let t = toks[i].clone();
                toks.insert(i, t);
            }
            7 => {
                let j = rng.below(toks.len());
                toks.swap(i, j);
            }
            _ => toks.insert(i, rng.pick(GARBAGE).to_owned()),
        }
    }
    toks.concat()
}

/// Runs `kernbench validate` on `files` under the memory cap; returns (exit code, stderr,
/// wall time).
fn validate(dir: &Path, files: &[PathBuf]) -> (Option<i32>, String, Duration) {
    let started = Instant::now();
    let script = format!("ulimit -v {MEMORY_KIB}; exec \"$0\" validate \"$@\"");
    let out = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .arg(env!("CARGO_BIN_EXE_kernbench"))
        .args(files)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run sh");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        started.elapsed(),
    )
}

fn mutants_per_kind() -> usize {
    std::env::var("KERNBENCH_MUTANTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(MUTANTS)
}

#[test]
#[cfg(unix)]
fn mutated_topology_sweep_and_scenario_files_exit_0_or_2_and_never_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("topologies");
    let dir = tempfile::tempdir().expect("temp dir");
    // The bundled files beside the mutants, so relative paths in sweeps and scenarios resolve.
    let mut seeds: Vec<(String, String)> = Vec::new();
    for entry in std::fs::read_dir(&root).expect("topologies/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "ron") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).expect("read");
            std::fs::write(dir.path().join(&name), &text).expect("copy");
            seeds.push((name, strip_comments(&text)));
        }
    }
    std::fs::create_dir(dir.path().join("scenarios")).expect("mkdir");
    for entry in std::fs::read_dir(root.join("scenarios")).expect("scenarios/") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).expect("read");
        seeds.push((format!("scenarios/{name}"), strip_comments(&text)));
    }
    seeds.sort();

    let mut rng = Rng(0x6b65_726e_6265_6e63);
    let mut files = Vec::new();
    for kind in [".sweep.ron", ".scenario.ron", ".ron"] {
        let of_kind: Vec<&(String, String)> = seeds
            .iter()
            .filter(|(name, _)| {
                name.ends_with(kind)
                    && (kind != ".ron"
                        || !(name.ends_with(".sweep.ron") || name.ends_with(".scenario.ron")))
            })
            .collect();
        assert!(!of_kind.is_empty(), "no bundled {kind} file");
        for m in 0..mutants_per_kind() {
            let (name, text) = of_kind[rng.below(of_kind.len())];
            let stem = name.strip_suffix(kind).unwrap_or(name);
            let mutant = format!("{stem}.mutant{m}{kind}");
            std::fs::write(dir.path().join(&mutant), mutate(text, &mut rng)).expect("write");
            files.push(PathBuf::from(mutant));
        }
    }

    let (code, stderr, took) = validate(dir.path(), &files);
    let bad = matches!(code, Some(0) | Some(2)) && !stderr.contains("internal error");
    if !bad {
        // Find the first file that fails on its own, to name it.
        for file in &files {
            let (code, stderr, _) = validate(dir.path(), std::slice::from_ref(file));
            assert!(
                matches!(code, Some(0) | Some(2)) && !stderr.contains("internal error"),
                "{} gave exit {code:?}: {stderr}\n--- the file ---\n{}",
                file.display(),
                std::fs::read_to_string(dir.path().join(file)).unwrap_or_default()
            );
        }
        panic!("validate of all mutants gave exit {code:?}: {stderr}");
    }
    // Every bad file gets its own one-line error naming it.
    let errors = stderr.lines().filter(|l| l.starts_with("error: ")).count();
    assert!(
        errors > files.len() / 2,
        "{errors} errors for {} mutants",
        files.len()
    );
    assert!(took < Duration::from_secs(120), "validate took {took:?}");
    if std::env::var_os("KERNBENCH_MUTANTS_SHOW").is_some() {
        eprintln!("{stderr}");
    }
    eprintln!(
        "{} mutants validated in {took:?}: {errors} refused, {} accepted",
        files.len(),
        files.len() - errors
    );
}
