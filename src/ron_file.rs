//! Reading the binary's own RON files (sweeps, scenarios) with errors that name the place.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::Failure;

/// Reads `file` as RON into `T`. A syntax error, an unknown or missing field names the file,
/// line and column, and points to `example` (a complete file of the same kind).
pub(crate) fn read<T: DeserializeOwned>(
    file: &Path,
    what: &str,
    example: &str,
) -> Result<T, Failure> {
    let text = kernbench_model::read_input_file(file)?;
    parse(file, &text, what, example)
}

/// [`read`] of `text`, already read from `file`.
pub(crate) fn parse<T: DeserializeOwned>(
    file: &Path,
    text: &str,
    what: &str,
    example: &str,
) -> Result<T, Failure> {
    ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .from_str(text)
        .map_err(|e| {
            Failure::BadInput(format!(
                "{}:{}:{}: {}; fix the {what} file at that place ({example})",
                file.display(),
                e.span.start.line,
                e.span.start.col,
                e.code
            ))
        })
}

/// A semantic error in `file`: the field and what is wrong with it.
pub(crate) fn bad(file: &Path, field: &str, message: impl std::fmt::Display) -> Failure {
    Failure::BadInput(format!("{}: {field}: {message}", file.display()))
}

/// [`bad`] with the line of `place` in `text` (the file's contents) when it can be found:
/// `FILE:LINE: faults[1]: message`.
pub(crate) fn bad_at(
    file: &Path,
    text: &str,
    place: &str,
    message: impl std::fmt::Display,
) -> Failure {
    match line_of(text, place) {
        Some(line) => Failure::BadInput(format!("{}:{line}: {place}: {message}", file.display())),
        None => bad(file, place, message),
    }
}

/// A token of RON, as far as finding a place needs: brackets, separators and names.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Open(char),
    Close,
    Comma,
    Colon,
    Name(String),
    Other,
}

/// The tokens of `text` with their lines (from 1); strings and comments are skipped.
fn tokens(text: &str) -> Vec<(Token, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '\n' => line += 1,
            '/' if next == Some('/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            '/' if next == Some('*') => {
                // Block comments nest in RON.
                let mut depth = 0;
                while i < chars.len() {
                    match (chars[i], chars.get(i + 1).copied()) {
                        ('/', Some('*')) => {
                            depth += 1;
                            i += 1;
                        }
                        ('*', Some('/')) => {
                            depth -= 1;
                            i += 1;
                        }
                        ('\n', _) => line += 1,
                        _ => {}
                    }
                    i += 1;
                    if depth == 0 {
                        break;
                    }
                }
                continue;
            }
            '"' => {
                let start = line;
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    match chars[i] {
                        '\\' => i += 1,
                        '\n' => line += 1,
                        _ => {}
                    }
                    i += 1;
                }
                out.push((Token::Other, start));
            }
            '(' | '[' | '{' => out.push((Token::Open(c), line)),
            ')' | ']' | '}' => out.push((Token::Close, line)),
            ',' => out.push((Token::Comma, line)),
            ':' => out.push((Token::Colon, line)),
            c if c.is_alphanumeric() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                out.push((Token::Name(chars[start..i].iter().collect()), line));
                continue;
            }
            c if c.is_whitespace() => {}
            _ => out.push((Token::Other, line)),
        }
        i += 1;
    }
    out
}

/// The line on which `place` is written in the RON `text`, if it can be found: a field of the
/// top-level struct (`size`), an element of a list field (`faults[2]`), or a field inside one
/// (`overrides[0].size`).
pub(crate) fn line_of(text: &str, place: &str) -> Option<usize> {
    let tokens = tokens(text);
    // The top-level struct's contents: after its first opening bracket.
    let open = tokens
        .iter()
        .position(|(t, _)| matches!(t, Token::Open(_)))?;
    let mut range = (open + 1, tokens.len());
    let mut line = None;
    for part in place.split('.') {
        let (field, index) = match part.split_once('[') {
            Some((field, rest)) => (field, rest.strip_suffix(']')?.parse::<usize>().ok()),
            None => (part, None),
        };
        // The field's value, among the fields of `range`.
        let at = (range.0..range.1).find(|&i| {
            depth_within(&tokens, range.0, i) == 0
                && tokens[i].0 == Token::Name(field.to_string())
                && tokens.get(i + 1).map(|t| &t.0) == Some(&Token::Colon)
        })?;
        line = Some(tokens[at].1);
        range = (at + 2, value_end(&tokens, at + 2, range.1));
        if let Some(index) = index {
            // The list's elements start after `[` and after each comma at its top level.
            if !matches!(tokens.get(range.0), Some((Token::Open('['), _))) {
                return line;
            }
            let inner = (range.0 + 1, range.1.saturating_sub(1));
            let mut start = inner.0;
            for _ in 0..index {
                start = value_end(&tokens, start, inner.1) + 1;
            }
            if start >= inner.1 {
                return line;
            }
            line = Some(tokens[start].1);
            let end = value_end(&tokens, start, inner.1);
            // Inside the element's brackets, for a field after it.
            let open = (start..end).find(|&i| matches!(tokens[i].0, Token::Open(_)));
            range = match open {
                Some(open) => (open + 1, end.saturating_sub(1)),
                None => (start, end),
            };
        } else if let Some((Token::Open(_), _)) = tokens.get(range.0) {
            range = (range.0 + 1, range.1.saturating_sub(1));
        }
    }
    line
}

/// The bracket depth of token `i` counted from `start`.
fn depth_within(tokens: &[(Token, usize)], start: usize, i: usize) -> i64 {
    tokens[start..i].iter().fold(0, |d, (t, _)| match t {
        Token::Open(_) => d + 1,
        Token::Close => d - 1,
        _ => d,
    })
}

/// Where the value starting at `start` ends: the comma or closing bracket after it at its
/// own depth, or `limit`.
fn value_end(tokens: &[(Token, usize)], start: usize, limit: usize) -> usize {
    let mut depth = 0i64;
    for (i, (t, _)) in tokens.iter().enumerate().take(limit).skip(start) {
        match t {
            Token::Open(_) => depth += 1,
            Token::Close if depth == 0 => return i,
            Token::Close => {
                depth -= 1;
                if depth == 0 {
                    // The value may go on (`Name(...)` is one value); stop at what follows.
                    continue;
                }
            }
            Token::Comma if depth == 0 => return i,
            _ => {}
        }
    }
    limit
}

#[cfg(test)]
mod tests {
    use super::line_of;

    const TEXT: &str = r#"// a comment with faults: [ in it
Scenario(
    name: "x, (y)",
    size: "4KiB", /* faults: */
    overrides: [(rank: 1, size: "1KiB"),
        (rank: 2,
         memory: "tcm")],
    faults: [
        NeverJoins(rank: 3),
        WrongPeer(rank: 2, sends_to: 5),
    ],
)"#;

    #[test]
    fn places_are_found_on_their_lines_past_strings_and_comments() {
        assert_eq!(line_of(TEXT, "size"), Some(4));
        assert_eq!(line_of(TEXT, "faults"), Some(8));
        assert_eq!(line_of(TEXT, "faults[0]"), Some(9));
        assert_eq!(line_of(TEXT, "faults[1]"), Some(10));
        assert_eq!(line_of(TEXT, "overrides[1]"), Some(6));
        assert_eq!(line_of(TEXT, "overrides[1].memory"), Some(7));
        assert_eq!(line_of(TEXT, "overrides[0].size"), Some(5));
        // Not written: no line, and no panic.
        assert_eq!(line_of(TEXT, "pes"), None);
        assert_eq!(line_of(TEXT, "faults[5]"), Some(8));
        assert_eq!(line_of("", "size"), None);
    }
}
