//! Import errors that name the file, the place in it and the field.

use std::fmt;

/// Where in a file a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Location {
    /// The line (from 1), when the format has lines.
    pub line: Option<u64>,
    /// The record (from 0): array element, JSONL line, CSV row or Parquet row.
    pub record: Option<u64>,
}

/// A problem with an imported file: which file, where, which field, what.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, thiserror::Error)]
pub struct ImportError {
    /// The file as the user named it.
    pub file: String,
    /// Where in the file.
    pub at: Location,
    /// The field concerned, when one is.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
    /// Whether the rest of the file can still be read (a bad record, not a broken file).
    pub record_level: bool,
}

impl ImportError {
    /// A problem with the file as a whole.
    pub fn file(file: &str, message: impl Into<String>) -> Self {
        ImportError {
            file: file.to_owned(),
            at: Location::default(),
            field: None,
            message: message.into(),
            record_level: false,
        }
    }

    /// A problem in one record; reading can go on with the next one.
    pub fn record(
        file: &str,
        at: Location,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        ImportError {
            file: file.to_owned(),
            at,
            field: field.map(str::to_owned),
            message: message.into(),
            record_level: true,
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.at.line {
            write!(f, ":{line}")?;
        }
        f.write_str(": ")?;
        if let Some(record) = self.at.record {
            write!(f, "record {record}")?;
            f.write_str(if self.field.is_some() { ", " } else { ": " })?;
        }
        if let Some(field) = &self.field {
            write!(f, "field `{field}`: ")?;
        }
        f.write_str(&self.message)
    }
}

/// A conversion problem inside one record, before the file and place are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl FieldError {
    /// A problem with `field`.
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        FieldError {
            field: Some(field.to_owned()),
            message: message.into(),
        }
    }

    /// A problem with the record as a whole.
    pub fn record(message: impl Into<String>) -> Self {
        FieldError {
            field: None,
            message: message.into(),
        }
    }

    /// Places the problem in a file.
    pub fn at(self, file: &str, at: Location) -> ImportError {
        ImportError::record(file, at, self.field.as_deref(), self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_file_line_record_and_field() {
        let e = ImportError::record(
            "math.json",
            Location {
                line: Some(340),
                record: Some(17),
            },
            Some("label"),
            "7 is past the last step (the solution has 5 steps)",
        );
        assert_eq!(
            e.to_string(),
            "math.json:340: record 17, field `label`: 7 is past the last step (the solution has 5 steps)"
        );
        assert_eq!(
            ImportError::file("x.bin", "not a text file").to_string(),
            "x.bin: not a text file"
        );
    }
}
