//! Active missions on a real SQLite file: deploy checks the hard caps, saves once per template,
//! perimeter and inputs, and survives a re-index that drops and re-adds its template.

use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};
use studio_core::{parse_perimeter, Perimeter};
use studio_registry::active::{self, ActiveError};
use studio_store::{Store, TemplateRecord};

fn record(id: &str, valid: bool) -> TemplateRecord {
    TemplateRecord {
        template_id: id.into(),
        path: format!("/library/{id}.yaml"),
        source: "builtin".into(),
        name: format!("Template {id}"),
        sector: Some("HR".into()),
        risk: Some("low".into()),
        goal: Some("Find people".into()),
        tags: vec![],
        required_depts: vec!["hr".into()],
        est_roi: Some(2.0),
        value_usd: Some(10.0),
        logic_hash: format!("sha256:{id}"),
        content_hash: format!("sha256:c-{id}"),
        valid,
        diagnostics: json!([]),
        needs: Vec::new(),
    }
}

fn store_with(ids: &[(&str, bool)]) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("history.db")).unwrap();
    let records: Vec<TemplateRecord> = ids.iter().map(|(id, v)| record(id, *v)).collect();
    let keep: HashSet<String> = ids.iter().map(|(id, _)| id.to_string()).collect();
    store.upsert_templates(&records, &keep).unwrap();
    (dir, store)
}

fn perimeter(yaml: &str) -> Perimeter {
    parse_perimeter(yaml).unwrap()
}

fn inputs(pairs: &[(&str, &str)]) -> BTreeMap<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect()
}

#[test]
fn deploying_the_same_template_perimeter_and_inputs_twice_returns_the_same_active_mission() {
    let (_dir, mut store) = store_with(&[("hr.burnout", true)]);
    let global = perimeter("budget: {max_cost_usd: 10, max_steps: 50}");
    let p = perimeter("budget: {max_cost_usd: 2}\nconnected_sectors: [Legal, Finance]");
    let first = active::deploy(
        &mut store,
        "hr.burnout",
        &p,
        &inputs(&[("team", "ops")]),
        Some("Ops burnout watch"),
        &global,
    )
    .unwrap();
    assert!(first.created);
    assert_eq!(first.active.name, "Ops burnout watch");
    assert_eq!(first.active.logic_hash, "sha256:hr.burnout");
    assert_eq!(
        first.active.perimeter.connected_sectors,
        vec!["Finance", "Legal"],
        "stored in canonical order"
    );

    let reordered = perimeter("connected_sectors: [Finance, Legal]\nbudget: {max_cost_usd: 2.0}");
    let second = active::deploy(
        &mut store,
        "hr.burnout",
        &reordered,
        &inputs(&[("team", "ops")]),
        Some("another name"),
        &global,
    )
    .unwrap();
    assert!(!second.created, "the same triple is not saved twice");
    assert_eq!(second.active, first.active);

    let other = active::deploy(
        &mut store,
        "hr.burnout",
        &p,
        &inputs(&[("team", "sales")]),
        None,
        &global,
    )
    .unwrap();
    assert!(other.created);
    assert_ne!(other.active.id, first.active.id);
    assert_eq!(
        other.active.name, "Template hr.burnout",
        "default name: the template's"
    );
    assert_eq!(active::list(&store).unwrap().len(), 2);
    assert_eq!(
        active::get(&store, &first.active.id).unwrap().inputs,
        inputs(&[("team", "ops")])
    );
}

#[test]
fn a_perimeter_above_a_hard_cap_is_refused_naming_field_value_and_cap() {
    let (_dir, mut store) = store_with(&[("hr.burnout", true)]);
    let global = perimeter("budget: {max_cost_usd: 10, max_llm_calls: 20}\nsandbox: read-only");
    let p = perimeter("budget: {max_cost_usd: 50, max_llm_calls: 20}\nsandbox: full-access");
    let err = active::deploy(
        &mut store,
        "hr.burnout",
        &p,
        &BTreeMap::new(),
        None,
        &global,
    )
    .unwrap_err();
    let ActiveError::AboveCap(violations) = &err else {
        panic!("expected AboveCap, got {err:?}")
    };
    assert_eq!(violations.len(), 2, "{violations:?}");
    assert_eq!(violations[0].field, "budget.max_cost_usd");
    assert_eq!(
        (violations[0].value.as_str(), violations[0].cap.as_str()),
        ("50", "10")
    );
    assert_eq!(violations[1].field, "sandbox");
    let message = err.to_string();
    assert!(
        message.contains("`budget.max_cost_usd` is 50, above the global hard cap 10"),
        "{message}"
    );
    assert!(
        active::list(&store).unwrap().is_empty(),
        "nothing saved, nothing clamped"
    );
}

#[test]
fn unknown_invalid_and_missing_ids_are_reported() {
    let (_dir, mut store) = store_with(&[("ok", true), ("broken", false)]);
    let none = Perimeter::default();
    assert!(matches!(
        active::deploy(&mut store, "nope", &none, &BTreeMap::new(), None, &none),
        Err(ActiveError::UnknownTemplate(id)) if id == "nope"
    ));
    assert!(matches!(
        active::deploy(&mut store, "broken", &none, &BTreeMap::new(), None, &none),
        Err(ActiveError::InvalidTemplate { .. })
    ));
    assert!(matches!(
        active::get(&store, "am-0000"),
        Err(ActiveError::NotFound(_))
    ));
    assert!(matches!(
        active::delete(&mut store, "am-0000"),
        Err(ActiveError::NotFound(_))
    ));
}

#[test]
fn an_active_mission_keeps_its_template_through_a_re_index_and_can_be_deleted() {
    let (_dir, mut store) = store_with(&[("ok", true)]);
    let none = Perimeter::default();
    let saved = active::deploy(&mut store, "ok", &none, &BTreeMap::new(), None, &none)
        .unwrap()
        .active;
    // The template file disappears from the index, then comes back.
    store.upsert_templates(&[], &HashSet::new()).unwrap();
    assert_eq!(
        active::get(&store, &saved.id).unwrap().template_id,
        "ok",
        "the link survives the row's deletion"
    );
    store
        .upsert_templates(&[record("ok", true)], &HashSet::from(["ok".to_string()]))
        .unwrap();
    assert_eq!(active::get(&store, &saved.id).unwrap(), saved);
    active::delete(&mut store, &saved.id).unwrap();
    assert!(active::list(&store).unwrap().is_empty());
}

#[test]
fn an_active_mission_is_edited_in_place_within_the_hard_caps() {
    let (_dir, mut store) = store_with(&[("hr.burnout", true)]);
    let global = perimeter("budget: {max_cost_usd: 10, max_tokens: 5000}");
    let saved = active::deploy(
        &mut store,
        "hr.burnout",
        &perimeter("budget: {max_tokens: 300}"),
        &inputs(&[("team", "ops")]),
        Some("Burnout watch"),
        &global,
    )
    .unwrap()
    .active;

    let edited = active::update(
        &mut store,
        &saved.id,
        Some("Burnout watch (raised)"),
        &perimeter("budget: {max_tokens: 400, max_cost_usd: 0.005}"),
        &inputs(&[("team", "sales")]),
        &global,
    )
    .unwrap();
    assert_eq!(edited.id, saved.id, "the id and the runs linked to it stay");
    assert_eq!(edited.name, "Burnout watch (raised)");
    let budget = edited.perimeter.budget.clone().unwrap();
    assert_eq!(budget.max_tokens, Some(400));
    assert_eq!(
        budget.max_cost_usd,
        Some(0.005),
        "a sub-cent cap is kept exactly"
    );
    assert_eq!(edited.inputs, inputs(&[("team", "sales")]));
    assert_eq!(active::list(&store).unwrap().len(), 1);

    let too_high = active::update(
        &mut store,
        &saved.id,
        None,
        &perimeter("budget: {max_tokens: 9000}"),
        &BTreeMap::new(),
        &global,
    );
    assert!(
        matches!(too_high, Err(ActiveError::AboveCap(_))),
        "{too_high:?}"
    );
    assert_eq!(
        active::get(&store, &saved.id).unwrap().name,
        "Burnout watch (raised)",
        "a refused edit changes nothing"
    );
    assert!(matches!(
        active::update(
            &mut store,
            "am-missing",
            None,
            &Perimeter::default(),
            &BTreeMap::new(),
            &global
        ),
        Err(ActiveError::NotFound(_))
    ));
}
