//! The people of a data set, read from its vertex file, for loading them into a store.

use std::path::Path;

use crate::error::{LocalError, Result};

/// One person of the data set's vertex file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// `~id`.
    pub id: String,
    /// `name`.
    pub name: String,
    /// `firstName`.
    pub first_name: String,
    /// `lastName`.
    pub last_name: String,
}

/// Reads the people CSV (`~id,~label,name:String,firstName:String,lastName:String`, the dataset's format).
pub fn read_people(path: &Path) -> Result<Vec<Person>> {
    let text = std::fs::read_to_string(path).map_err(|source| LocalError::Io {
        action: "read",
        path: path.to_owned(),
        source,
    })?;
    text.lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .enumerate()
        .map(|(n, line)| match line.split(',').collect::<Vec<_>>()[..] {
            [id, _label, name, first, last] => Ok(Person {
                id: id.to_owned(),
                name: name.to_owned(),
                first_name: first.to_owned(),
                last_name: last.to_owned(),
            }),
            _ => Err(LocalError::Invalid {
                field: "people CSV line",
                value: format!("{}:{}: {line}", path.display(), n + 2),
                allowed: stream2neptune_workload::dataset::PEOPLE_CSV_HEADER.into(),
            }),
        })
        .collect()
}
