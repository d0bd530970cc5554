//! The output file of an export, written all or nothing.
//!
//! Rows go to a hidden temporary file in the output's directory (so the final rename stays on
//! one file system); [`Output::commit`] flushes it to disk and renames it over the output. An
//! [`Output`] dropped without a commit (an error on the way) removes its temporary file, so a
//! failed export leaves neither half a file nor a stray temporary one.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::ExportError;

/// A temporary file that becomes the output on [`Output::commit`].
pub(super) struct Output {
    /// Where the export goes.
    path: PathBuf,
    /// The open temporary file (declared before `temp`: fields drop in order, so the file is
    /// closed before it is removed, which some systems require).
    writer: BufWriter<File>,
    /// The temporary file, removed unless committed.
    temp: TempFile,
}

/// Removes a temporary file when dropped, unless it was kept.
struct TempFile {
    /// Its path.
    path: PathBuf,
    /// Whether it was renamed into place (nothing to remove).
    kept: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.kept {
            // Best effort: the file may be gone already, and an error here has no reader.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl Output {
    /// Creates the temporary file next to `path`.
    pub(super) fn create(path: &Path) -> Result<Output, ExportError> {
        let Some(name) = path.file_name() else {
            return Err(ExportError::Io {
                path: path.to_owned(),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "the output path does not name a file",
                ),
            });
        };
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".{}.partial", std::process::id()));
        let temp = path.with_file_name(temp_name);
        let file = File::create(&temp).map_err(|source| ExportError::Io {
            path: path.to_owned(),
            source,
        })?;
        Ok(Output {
            path: path.to_owned(),
            writer: BufWriter::new(file),
            temp: TempFile {
                path: temp,
                kept: false,
            },
        })
    }

    /// The final output path, for error messages.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// The writer of the temporary file.
    pub(super) fn writer(&mut self) -> &mut BufWriter<File> {
        &mut self.writer
    }

    /// An I/O error, naming the output.
    pub(super) fn io_error(&self, source: std::io::Error) -> ExportError {
        ExportError::Io {
            path: self.path.clone(),
            source,
        }
    }

    /// Writes bytes to the temporary file.
    pub(super) fn write_all(&mut self, bytes: &[u8]) -> Result<(), ExportError> {
        self.writer.write_all(bytes).map_err(|e| self.io_error(e))
    }

    /// Flushes the temporary file to disk and renames it over the output.
    pub(super) fn commit(mut self) -> Result<(), ExportError> {
        self.writer.flush().map_err(|e| self.io_error(e))?;
        self.writer
            .get_ref()
            .sync_all()
            .map_err(|e| self.io_error(e))?;
        let Output {
            path,
            writer,
            mut temp,
        } = self;
        drop(writer);
        std::fs::rename(&temp.path, &path).map_err(|source| ExportError::Io { path, source })?;
        temp.kept = true;
        Ok(())
    }
    /// [`Output::commit`] without replacing a file: [`ExportError::Exists`] when the output
    /// appeared meanwhile (a hard link fails on an existing name; where links are not
    /// supported, a rename after one more check).
    pub(super) fn commit_new(mut self) -> Result<(), ExportError> {
        self.writer.flush().map_err(|e| self.io_error(e))?;
        self.writer
            .get_ref()
            .sync_all()
            .map_err(|e| self.io_error(e))?;
        let Output {
            path,
            writer,
            mut temp,
        } = self;
        drop(writer);
        match std::fs::hard_link(&temp.path, &path) {
            // The temporary name is removed when `temp` drops.
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(ExportError::Exists(path))
            }
            Err(_) if path.exists() => Err(ExportError::Exists(path)),
            Err(_) => {
                std::fs::rename(&temp.path, &path)
                    .map_err(|source| ExportError::Io { path, source })?;
                temp.kept = true;
                Ok(())
            }
        }
    }
}
