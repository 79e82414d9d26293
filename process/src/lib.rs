//! Process handling every stream2neptune command shares, in one small crate that deploy, package, the workload
//! and local mode all use: signals and an orderly stop ([`shutdown`]), the terminal's one writer ([`terminal`]),
//! children that never outlive their parent ([`orphans`]), what Linux's /proc tells about a process
//! ([`procfs`]), and where the programs it runs are and which port a child server takes ([`tools`]).

pub mod orphans;
pub mod procfs;
pub mod shutdown;
pub mod terminal;
pub mod tools;
