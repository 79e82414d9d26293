//! Where a resolved value came from: the named layers of [`crate::config`], the catalog's built-in default, or a
//! value derived from others. Errors and the resolved plan both name it.

use std::fmt;

/// Where a resolved value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// The catalog's built-in default.
    BuiltIn,
    /// The config file's `defaults:` table.
    ConfigDefaults,
    /// The config file's table for the region being rendered.
    Region,
    /// A `--set Key=Value` argument.
    Set,
    /// Computed from other values (ShardCount from the writer's vCPUs), or by `deploy` from what AWS offers (the
    /// subnets' Availability Zones).
    Derived,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Origin::BuiltIn => "built-in default",
            Origin::ConfigDefaults => "config defaults",
            Origin::Region => "region",
            Origin::Set => "--set",
            Origin::Derived => "derived",
        })
    }
}
