//! The output file of an export, written all or nothing.
//!
//! Rows go to a hidden temporary file in the output's directory (so the final rename stays on
//! one file system), made with a random name that did not exist before (never through a link
//! someone left at a predictable name); [`Output::commit`] flushes it to disk, renames it over
//! the output and flushes the folder. An [`Output`] dropped without a commit (an error on the
//! way) removes its temporary file, so a failed export leaves neither half a file nor a stray
//! temporary one; one left by a crash is removed by a later export to the same file once it
//! is a day old.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use tempfile::TempPath;

use fare_store::scratch::folder_of;

use super::ExportError;

/// How old a temporary file of an export must be to count as left by a crash.
const STALE: Duration = Duration::from_hours(24);

/// A temporary file that becomes the output on [`Output::commit`].
pub(super) struct Output {
    /// Where the export goes.
    path: PathBuf,
    /// The open temporary file (declared before `temp`: fields drop in order, so the file is
    /// closed before it is removed, which some systems require).
    writer: BufWriter<File>,
    /// The temporary file, removed when dropped unless it was put into place.
    temp: TempPath,
}

impl Output {
    /// Creates the temporary file next to `path`.
    pub(super) fn create(path: &Path) -> Result<Output, ExportError> {
        let io_error = |source| ExportError::Io {
            path: path.to_owned(),
            source,
        };
        let Some(name) = path.file_name() else {
            return Err(io_error(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the output path does not name a file",
            )));
        };
        let folder = folder_of(path);
        let prefix = format!(".{}.", name.to_string_lossy());
        fare_store::scratch::remove_stale(folder, &prefix, ".partial", STALE);
        let (file, temp) = tempfile::Builder::new()
            .prefix(&prefix)
            .suffix(".partial")
            .tempfile_in(folder)
            .map_err(io_error)?
            .into_parts();
        Ok(Output {
            path: path.to_owned(),
            writer: BufWriter::new(file),
            temp,
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

    /// The temporary file on disk and closed, ready to be put into place.
    fn finish(mut self) -> Result<(PathBuf, TempPath), ExportError> {
        self.writer.flush().map_err(|e| self.io_error(e))?;
        self.writer
            .get_ref()
            .sync_all()
            .map_err(|e| self.io_error(e))?;
        let Output { path, writer, temp } = self;
        drop(writer);
        Ok((path, temp))
    }

    /// Flushes the temporary file to disk and renames it over the output.
    pub(super) fn commit(self) -> Result<(), ExportError> {
        let (path, temp) = self.finish()?;
        temp.persist(&path).map_err(|e| ExportError::Io {
            path: path.clone(),
            source: e.error,
        })?;
        fare_store::scratch::sync_folder(folder_of(&path));
        Ok(())
    }

    /// [`Output::commit`] without replacing a file: [`ExportError::Exists`] when the output
    /// appeared meanwhile.
    pub(super) fn commit_new(self) -> Result<(), ExportError> {
        let (path, temp) = self.finish()?;
        match temp.persist_noclobber(&path) {
            Ok(()) => {
                fare_store::scratch::sync_folder(folder_of(&path));
                Ok(())
            }
            // The temporary file is removed as the error drops.
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists || path.exists() => {
                Err(ExportError::Exists(path))
            }
            Err(e) => Err(ExportError::Io {
                path,
                source: e.error,
            }),
        }
    }
}
