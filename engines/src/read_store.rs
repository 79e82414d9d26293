//! A whole store's graph read back in its language ([`read_graph`]), and the model's graph as that store keeps it
//! ([`stored_form`]), so the two compare element by element.

use stream2neptune_graph::Graph;
use stream2neptune_plan::QueryLanguage;

use crate::{read_gremlin, read_opencypher, read_sparql};

/// The whole graph of the store of `language` at `base`, read in that language.
pub async fn read_graph(language: QueryLanguage, base: &str) -> crate::error::Result<Graph> {
    match language {
        QueryLanguage::Gremlin => read_gremlin::read_graph(base).await,
        QueryLanguage::Sparql => read_sparql::read_graph(base).await,
        QueryLanguage::OpenCypher => read_opencypher::read_graph(base).await,
    }
}

/// The model's graph as the store of `language` keeps it: Gremlin keeps a date as its instant.
pub fn stored_form(language: QueryLanguage, model: &Graph) -> Graph {
    match language {
        QueryLanguage::Gremlin => model.with_instant_dates(),
        QueryLanguage::Sparql | QueryLanguage::OpenCypher => model.clone(),
    }
}
