//! What an error in a sweep's folders means to the person running it: the exit code and the
//! fix. A folder the user can fix (a corrupt or foreign results file, a read-only `--out`)
//! is bad input, exit 2; a machine that fails under a good input (a full disk) is exit 1,
//! not reported as a bug; anything else is a bug.

use std::io::ErrorKind;
use std::path::Path;

use kernbench_reports::ReportError;

use crate::Failure;

/// Whose folder a file that failed to read is in, which decides the fix to name.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Folder {
    /// The `--out` folder of `kernbench sweep`, which it resumes.
    SweepOut,
    /// A shard folder given to `kernbench merge`.
    Shard,
}

/// A results file (`what`: "result" or "link" rows) of `folder` that could not be read.
pub(crate) fn read_failure(error: ReportError, what: &str, folder: Folder) -> Failure {
    let fix = match (folder, what) {
        (Folder::SweepOut, "result") => {
            "delete that line (the sweep runs its point again), or move the folder away or \
             choose another --out"
        }
        (Folder::SweepOut, _) => "move the folder away or choose another --out",
        (Folder::Shard, "result") => {
            "repair or delete that line (`kernbench sweep` into that folder runs a deleted point \
             again), or leave the folder out"
        }
        (Folder::Shard, _) => "repair or delete that line, or leave the folder out",
    };
    match error {
        ReportError::Json { path, line, source } if line > 0 => Failure::BadInput(format!(
            "{}:{line}: not a {what} row ({source}); {fix}",
            path.display()
        )),
        ReportError::Io {
            action,
            path,
            source,
        } if user_fixable(source.kind()) => Failure::BadInput(format!(
            "cannot {action} {}: {source}; {fix}",
            path.display()
        )),
        other => output_failure(other),
    }
}

/// A file of the output folder that could not be opened, appended to or written.
pub(crate) fn output_failure(error: ReportError) -> Failure {
    match error {
        ReportError::HeaderMismatch {
            path,
            found,
            expected,
        } => Failure::BadInput(format!(
            "{}: the header is `{found}`, not the `{expected}` this version writes; move the \
             folder away or choose another --out",
            path.display()
        )),
        ReportError::Io {
            action,
            path,
            source,
        } if user_fixable(source.kind()) => Failure::BadInput(format!(
            "cannot {action} {}: {source}; choose a writable --out or make {} writable",
            path.display(),
            path.parent().unwrap_or(Path::new(".")).display()
        )),
        ReportError::Io { ref source, .. } if disk_full(source.kind()) => {
            Failure::Environment(error.to_string())
        }
        other => Failure::Internal(other.to_string()),
    }
}

/// A write that failed during a sweep, after `safe` of its `total` points were committed
/// to `results`: the machine's fault (a full disk, a folder that became read-only), not the
/// input's, so exit 1; the message says what is safe.
pub(crate) fn write_failure(
    error: ReportError,
    results: &Path,
    safe: usize,
    total: usize,
) -> Failure {
    let then = match &error {
        ReportError::Io { source, .. } if disk_full(source.kind()) => {
            "there is space on the disk again"
        }
        _ => "the cause is fixed",
    };
    Failure::Environment(format!(
        "{error}. The sweep stopped: {safe} of {total} points are safe in {} (a point is kept \
         only once all its rows are written); run the same command again once {then} and it \
         runs the other {}",
        results.display(),
        total - safe
    ))
}

/// Errors whose fix is the user's: a folder or file they can make writable, move or rename.
fn user_fixable(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::PermissionDenied
            | ErrorKind::ReadOnlyFilesystem
            | ErrorKind::IsADirectory
            | ErrorKind::NotADirectory
            | ErrorKind::NotFound
    )
}

fn disk_full(kind: ErrorKind) -> bool {
    matches!(kind, ErrorKind::StorageFull | ErrorKind::QuotaExceeded)
}
