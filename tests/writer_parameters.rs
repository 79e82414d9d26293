//! The stack parameters the template hands to the writer (`VAR: !Ref Param` in
//! templates/partials/writer.yaml.j2) accept exactly what the writer accepts: the catalog (plan
//! crate) and the writer's environment table (function/src/environment.rs) cannot drift apart.

use stream2neptune_plan::catalog::{CATALOG, Kind};
use stream2neptune_writer::environment::{self, Variable};

/// The parameters the template passes to the writer as `VAR: !Ref Param` accept what the writer
/// accepts: the same range, the same words (the writer's table is function/src/environment.rs).
#[test]
fn parameters_passed_to_the_writer_accept_what_the_writer_accepts() {
    let template = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/partials/writer.yaml.j2"),
    )
    .unwrap();
    let mut checked = 0;
    for line in template.lines() {
        let Some((var, param)) = line.trim().split_once(": !Ref ") else {
            continue;
        };
        let (Some(variable), Some(param)) = (
            environment::variable(var),
            CATALOG.iter().find(|p| p.name.as_str() == param),
        ) else {
            continue;
        };
        match (variable, &param.kind) {
            (Variable::Integer(v), Kind::Integer { min, max }) => {
                assert_eq!(
                    (*min as u64, *max as u64),
                    (v.min, v.max),
                    "{} ({}) and the writer's {var} differ in range",
                    param.name,
                    "plan/src/catalog.rs"
                );
            }
            (Variable::Choice(v), Kind::Choice(words)) => {
                assert_eq!(*words, v.choices, "{} and {var} differ", param.name)
            }
            (Variable::Flag(_), Kind::Bool) => {}
            // Free text (MetricsNamespace) is checked by the writer where it is used.
            (Variable::Text(_), Kind::Text { .. }) => continue,
            (variable, kind) => panic!("{} is {kind:?} but {var} is {variable:?}", param.name),
        }
        checked += 1;
    }
    // QueryLanguage, ConditionalCreate, GremlinUpsertStyle, IamAuth, BatchWriteSize, WriteConcurrency.
    assert!(checked >= 6, "{checked}");
}
