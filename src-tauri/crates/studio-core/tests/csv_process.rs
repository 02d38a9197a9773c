//! `csv_process` missions as validation sees them: the RustChain seed's parameters validate
//! without a single diagnostic, and mistakes in the operations are errors located at the entry
//! or argument at fault, with a suggestion.

use studio_core::{load_str, validate, Code, Diagnostic, Severity};

fn check(yaml: &str) -> Vec<Diagnostic> {
    let loaded = load_str(yaml, "m.yaml").unwrap_or_else(|e| panic!("the mission loads: {e}"));
    validate(&loaded)
}

/// The seed's two shapes (`operations: [normalize, validate]` with input/output files, and
/// `operation: statistics`), the upstream engine's `content`, and every operation with arguments.
#[test]
fn the_seed_parameters_and_every_operation_validate_without_diagnostics() {
    let diags = check(
        r#"name: "Data Processing Pipeline"
version: "1.0"
description: "Extract, transform, and analyze sales data"
config:
  timeout_seconds: 600
  fail_fast: true
steps:
  - id: "data_source"
    name: "Generate Source Data"
    step_type: "create_file"
    parameters:
      path: "sales_raw.csv"
      content: "name,value\ntest,100"
  - id: "transform_data"
    name: "Transform Data Format"
    step_type: "csv_process"
    depends_on: ["data_source"]
    parameters:
      input_file: "sales_raw.csv"
      output_file: "sales_clean.csv"
      operations: ["normalize", "validate"]
  - id: "analysis_a"
    name: "Statistical Analysis"
    step_type: "csv_process"
    depends_on: ["data_source"]
    parameters:
      input_file: "sales_raw.csv"
      operation: "statistics"
  - id: "upstream"
    name: "Inline CSV"
    step_type: "csv_process"
    parameters:
      content: "name,age,city\nJohn,30,New York"
  - id: "everything"
    name: "Every operation"
    step_type: "csv_process"
    depends_on: ["transform_data"]
    parameters:
      path: sales_clean.csv
      delimiter: ";"
      has_headers: true
      output: out/report.csv
      output_delimiter: ","
      preview_rows: 5
      operations:
        - normalize: {numbers: true, missing_values: [NA, "-"]}
        - filter: {column: region, op: "==", value: EMEA}
        - filter: {column: amount, op: ">=", value: 10}
        - filter: {column: region, op: in, value: [EMEA, APAC], ignore_case: true}
        - filter: {column: note, op: empty}
        - filter: {column: "{{data_source.output.path}}", value: "{{data_source.output.bytes}}"}
        - select: [region, amount]
        - sort: {by: amount, descending: true}
        - dedupe: {columns: [region]}
        - aggregate: {group_by: region, metrics: {amount: [sum, mean], region: count}}
        - validate: {types: {amount: number}, required: [region], unique: region, fail_on_invalid: false, drop_invalid: true, max_errors: 10}
        - {statistics: [amount]}
"#,
    );
    assert!(diags.is_empty(), "{diags:#?}");
}

fn errors(diags: &[Diagnostic]) -> Vec<(&str, usize, usize, &str, &str)> {
    diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| {
            let loc = d.location.expect("located");
            (
                d.field.as_str(),
                loc.line,
                loc.column,
                d.message.as_str(),
                d.help.as_deref().unwrap_or(""),
            )
        })
        .collect()
}

#[test]
fn mistakes_in_the_operations_are_located_errors_with_a_suggestion() {
    let diags = check(
        r#"name: bad operations
steps:
  - id: csv
    step_type: csv_process
    parameters:
      input_file: in.csv
      operations:
        - normalise
        - statstics
        - sort: {by: amount, descnding: true}
        - filter: {column: region, op: like, value: E}
        - aggregate: {metrics: {amount: avg}}
        - select: {columns: [a], by: b}
  - id: flat
    step_type: csv_process
    parameters:
      content: "a\n1"
      operation: sort
      by: a
"#,
    );
    for d in &diags {
        assert_eq!(d.code == Code::InvalidParameter, d.is_error(), "{d:?}");
    }
    let found = errors(&diags);
    let at: Vec<(&str, usize, usize)> = found.iter().map(|e| (e.0, e.1, e.2)).collect();
    assert_eq!(
        at,
        [
            ("steps[0].parameters.operations[1]", 9, 11),
            ("steps[0].parameters.operations[2].sort.descnding", 10, 30),
            ("steps[0].parameters.operations[3].filter.op", 11, 40),
            (
                "steps[0].parameters.operations[4].aggregate.metrics",
                12,
                32
            ),
            ("steps[0].parameters.operations[5].select.by", 13, 34),
            ("steps[1].parameters.operation", 18, 18),
        ],
        "{found:#?}"
    );
    assert_eq!(
        found[0].3,
        "`statstics` is not an operation of `csv_process`"
    );
    assert_eq!(found[0].4, "did you mean `statistics`?");
    assert_eq!(found[1].4, "did you mean `descending`?");
    assert!(found[2].3.contains("found `like`"), "{found:?}");
    assert!(found[3].3.contains("`amount` has `avg`"), "{found:?}");
    assert_eq!(found[4].4, "`select` takes: columns");
    assert_eq!(found[5].3, "the operation `sort` needs its `by`");
    assert!(
        found[5]
            .4
            .contains("`{sort: {by: amount, descending: true}}`")
            && found[5].4.contains("not beside it"),
        "{found:?}"
    );
    let flat = diags
        .iter()
        .find(|d| d.code == Code::UnknownParameter)
        .expect("`by` beside `operation` is also named as ignored");
    assert_eq!(flat.field, "steps[1].parameters.by");
}
