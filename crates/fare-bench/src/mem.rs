//! Process and file measurements: peak resident memory and the size of a project on disk.

use std::path::{Path, PathBuf};

/// The peak resident set size of this process in bytes (`VmHWM` in `/proc/self/status`);
/// `None` where the system does not report it (not Linux).
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// The size of a project on disk: the database file and its write-ahead log (absent: 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskSize {
    /// The database file.
    pub db: u64,
    /// The `-wal` file beside it.
    pub wal: u64,
}

/// The sizes of `project` and of its `-wal` file.
pub fn disk_size(project: &Path) -> DiskSize {
    let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
    let mut wal = PathBuf::from(project.as_os_str());
    wal.as_mut_os_string().push("-wal");
    DiskSize {
        db: size(project),
        wal: size(&wal),
    }
}

/// Bytes as MB (10^6), the unit of the memory goal.
pub fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_memory_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            let peak = peak_rss_bytes().unwrap();
            assert!(peak > 1 << 20, "{peak}");
        }
    }

    #[test]
    fn sizes_of_a_missing_project_are_zero() {
        let dir = tempfile::tempdir().unwrap();
        let size = disk_size(&dir.path().join("none.sqlite"));
        assert_eq!(size, DiskSize { db: 0, wal: 0 });
    }
}
