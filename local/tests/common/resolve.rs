//! A region's parameters from the generator, as the root binary passes them to local mode
//! (shared by the tests and the examples): the generator is a dev-dependency here, since its binary
//! depends on this crate.

pub use stream2neptune::local::resolve;
