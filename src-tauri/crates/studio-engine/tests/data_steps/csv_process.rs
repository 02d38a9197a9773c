//! `csv_process` on real CSV files in a run's workspace.

use super::*;

/// A column of the preview, in row order.
fn column(out: &Value, name: &str) -> Vec<String> {
    out["preview"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row[name].as_str().unwrap().to_string())
        .collect()
}

fn read(dir: &tempfile::TempDir, path: &str) -> String {
    std::fs::read_to_string(dir.path().join("workspace").join(path)).unwrap()
}

/// The workspace's files (no leftover temporary file may remain).
fn files(dir: &tempfile::TempDir) -> Vec<String> {
    let ws = dir.path().join("workspace");
    let mut found: Vec<String> = std::fs::read_dir(&ws)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    found
}

const SALES_RAW: &str = "Order ID,Region , Unit Price,Sold On\n A-1 ,EMEA,\"1,200.50\",2024-01-05\nA-2,  apac ,NA,2024-01-06\nA-3,EMEA,300,n/a\n";

#[tokio::test]
async fn csv_process_runs_the_seed_pipeline_normalize_then_validate_into_an_output_file() {
    let (result, dir) = run_in(
        &[("sales_raw.csv", SALES_RAW)],
        json!([{"id": "transform_data", "step_type": "csv_process", "parameters": {
            "input_file": "sales_raw.csv",
            "output_file": "sales_clean.csv",
            "operations": ["normalize", "validate"],
        }}]),
    )
    .await;
    assert_eq!(result.status, RunStatus::Completed);
    let out = output(&result, "transform_data");
    assert_eq!(
        read(&dir, "sales_clean.csv"),
        "order_id,region,unit_price,sold_on\nA-1,EMEA,\"1,200.50\",2024-01-05\nA-2,apac,,2024-01-06\nA-3,EMEA,300,\n"
    );
    assert_eq!(out["rows_in"], json!(3));
    assert_eq!(out["rows_out"], json!(3));
    assert_eq!(
        out["columns"],
        json!(["order_id", "region", "unit_price", "sold_on"])
    );
    assert_eq!(
        out["operations"],
        json!([
            {"operation": "normalize", "rows_in": 3, "rows_out": 3, "cells_changed": 4, "renamed": {
                "Order ID": "order_id", "Region ": "region", " Unit Price": "unit_price", "Sold On": "sold_on"}},
            {"operation": "validate", "rows_in": 3, "rows_out": 3, "problems": 0, "dropped": 0},
        ])
    );
    assert_eq!(
        out["validation"],
        json!({"valid": true, "error_count": 0, "invalid_rows": 0, "errors": [], "truncated": false})
    );
    assert_eq!(out["statistics"], Value::Null);
    assert_eq!(out["output_file"], json!("sales_clean.csv"));
    assert_eq!(
        out["preview"][1],
        json!({"order_id": "A-2", "region": "apac", "unit_price": "", "sold_on": "2024-01-06"})
    );
    assert!(result.artifacts.contains(&"sales_clean.csv".to_string()));
    assert_eq!(files(&dir), ["sales_clean.csv", "sales_raw.csv"]);
}

#[tokio::test]
async fn csv_process_statistics_infers_types_and_figures_per_column() {
    let table = "id,amount,day,active,note,blank\n1,10.5,2024-01-01,yes,a,\n2,20,2024-01-02,no,b,\n3,,2024-01-03,YES,a,\n4,30.25,2024-01-04,no,,\n";
    let (result, _dir) = run_in(
        &[("t.csv", table)],
        json!([
            {"id": "data_source", "step_type": "create_file",
             "parameters": {"path": "data.csv", "content": "name,value\ntest,100"}},
            {"id": "analysis_a", "step_type": "csv_process", "depends_on": ["data_source"],
             "parameters": {"input_file": "data.csv", "operation": "statistics"}},
            {"id": "all", "step_type": "csv_process", "parameters": {"path": "t.csv", "operation": "statistics"}},
            {"id": "some", "step_type": "csv_process", "parameters": {"file": "t.csv", "operations": [{"statistics": ["amount", "day"]}]}},
        ]),
    )
    .await;
    assert_eq!(result.status, RunStatus::Completed);
    let seed = output(&result, "analysis_a");
    assert_eq!(
        seed["statistics"],
        json!({
            "name": {"type": "string", "count": 1, "missing": 0, "distinct": 1,
                     "min": null, "max": null, "mean": null, "median": null, "stddev": null, "sum": null},
            "value": {"type": "integer", "count": 1, "missing": 0, "distinct": 1,
                      "min": 100, "max": 100, "mean": 100, "median": 100, "stddev": 0, "sum": 100},
        })
    );
    assert_eq!(
        seed["operations"],
        json!([{"operation": "statistics", "rows_in": 1, "rows_out": 1, "columns": 2}])
    );
    let stats = &output(&result, "all")["statistics"];
    let amount = &stats["amount"];
    assert_eq!(
        (
            &amount["type"],
            &amount["count"],
            &amount["missing"],
            &amount["distinct"]
        ),
        (&json!("number"), &json!(3), &json!(1), &json!(3))
    );
    assert_eq!(
        (
            &amount["min"],
            &amount["max"],
            &amount["sum"],
            &amount["mean"],
            &amount["median"]
        ),
        (
            &json!(10.5),
            &json!(30.25),
            &json!(60.75),
            &json!(20.25),
            &json!(20)
        )
    );
    let stddev = amount["stddev"].as_f64().unwrap();
    assert!((stddev - 97.5625f64.sqrt()).abs() < 1e-9, "{stddev}");
    assert_eq!(stats["id"]["type"], json!("integer"));
    assert_eq!(stats["id"]["median"], json!(2.5));
    assert_eq!(stats["day"]["type"], json!("date"));
    assert_eq!(stats["active"]["type"], json!("boolean"));
    assert_eq!(stats["day"]["min"], Value::Null);
    assert_eq!(
        (&stats["note"]["type"], &stats["note"]["distinct"]),
        (&json!("string"), &json!(2))
    );
    assert_eq!(
        (&stats["blank"]["type"], &stats["blank"]["missing"]),
        (&json!("empty"), &json!(4))
    );
    let some = &output(&result, "some")["statistics"];
    let keys: Vec<&String> = some.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["amount", "day"]);
}

const PEOPLE: &str = "id,region,revenue,owner\n1,EMEA,1200,Ana\n2,APAC,800,bob\n3,emea,,Carl\n4,AMER,n/a,Dana\n5,EMEA,95,Anders\n6,APAC,1000.0,Ann\n";

#[tokio::test]
async fn csv_process_filter_compares_numbers_as_numbers_and_text_as_text() {
    let f = |args: Value| json!({"input_file": "p.csv", "operation": {"filter": args}});
    let (result, _dir) = run_in(
        &[("p.csv", PEOPLE)],
        json!([
            {"id": "eq", "step_type": "csv_process", "parameters": f(json!({"column": "region", "value": "EMEA"}))},
            {"id": "ci", "step_type": "csv_process", "parameters": f(json!({"column": "region", "value": "emea", "ignore_case": true}))},
            {"id": "gt", "step_type": "csv_process", "parameters": f(json!({"column": "revenue", "op": ">", "value": 900}))},
            {"id": "num_eq", "step_type": "csv_process", "parameters": f(json!({"column": "revenue", "op": "==", "value": 1000}))},
            {"id": "in", "step_type": "csv_process", "parameters": f(json!({"column": "region", "op": "in", "value": ["APAC", "AMER"]}))},
            {"id": "not_in", "step_type": "csv_process", "parameters": f(json!({"column": "region", "op": "not_in", "value": ["EMEA"]}))},
            {"id": "starts", "step_type": "csv_process", "parameters": f(json!({"column": "owner", "op": "starts_with", "value": "An"}))},
            {"id": "contains", "step_type": "csv_process", "parameters": f(json!({"column": "owner", "op": "contains", "value": "n"}))},
            {"id": "empty", "step_type": "csv_process", "parameters": f(json!({"column": "revenue", "op": "empty"}))},
            {"id": "text_lt", "step_type": "csv_process", "parameters": f(json!({"column": "owner", "op": "<", "value": "B"}))},
            {"id": "le_alias", "step_type": "csv_process", "parameters": f(json!({"column": "revenue", "op": "le", "value": "800"}))},
            {"id": "both", "step_type": "csv_process", "parameters": {"input_file": "p.csv", "operations": [
                {"filter": {"column": "region", "op": "!=", "value": "APAC"}},
                {"filter": {"column": "revenue", "op": "not_empty"}},
            ]}},
        ]),
    )
    .await;
    assert_eq!(result.status, RunStatus::Completed);
    for (id, kept) in [
        ("eq", vec!["1", "5"]),
        ("ci", vec!["1", "3", "5"]),
        ("gt", vec!["1", "6"]),
        ("num_eq", vec!["6"]),
        ("in", vec!["2", "4", "6"]),
        ("not_in", vec!["2", "3", "4", "6"]),
        ("starts", vec!["1", "5", "6"]),
        ("contains", vec!["1", "4", "5", "6"]),
        ("empty", vec!["3"]),
        ("text_lt", vec!["1", "5", "6"]),
        ("le_alias", vec!["2", "5"]),
        ("both", vec!["1", "4", "5"]),
    ] {
        assert_eq!(column(output(&result, id), "id"), kept, "{id}");
    }
    let both = output(&result, "both");
    assert_eq!(both["operations"][0]["removed"], json!(2));
    assert_eq!(both["operations"][1]["removed"], json!(1));
    assert_eq!(
        (&both["rows_in"], &both["rows_out"]),
        (&json!(6), &json!(3))
    );
}

const SCORES: &str = "name,score,team\nb,10,x\na,9,y\nc,,x\na,9,y\nd,100,x\ne,abc,y\n";

#[tokio::test]
async fn csv_process_selects_sorts_and_dedupes() {
    let (result, dir) = run_in(
        &[("s.csv", SCORES)],
        json!([
            {"id": "asc", "step_type": "csv_process", "parameters": {"input_file": "s.csv", "operation": {"sort": "score"}}},
            {"id": "desc", "step_type": "csv_process", "parameters": {"input_file": "s.csv", "operation": {"sort": {"by": "score", "descending": true}}}},
            {"id": "two_keys", "step_type": "csv_process", "parameters": {"input_file": "s.csv", "operation": {"sort": {"by": ["team", "name"]}}}},
            {"id": "select", "step_type": "csv_process", "parameters": {"input_file": "s.csv", "operation": {"select": ["team", "name"]}}},
            {"id": "rows", "step_type": "csv_process", "parameters": {"input_file": "s.csv", "operation": "dedupe"}},
            {"id": "by_team", "step_type": "csv_process", "parameters": {"input_file": "s.csv", "operation": {"dedupe": {"columns": "team"}}}},
            {"id": "chain", "step_type": "csv_process", "parameters": {"input_file": "s.csv", "output_file": "out/names.csv",
                "operations": ["dedupe", {"sort": {"by": "score", "descending": true}}, {"select": {"columns": ["name"]}}]}},
        ]),
    )
    .await;
    assert_eq!(result.status, RunStatus::Completed);
    assert_eq!(
        column(output(&result, "asc"), "name"),
        ["a", "a", "b", "d", "e", "c"],
        "numbers by value, then text, then empty cells"
    );
    assert_eq!(
        column(output(&result, "desc"), "name"),
        ["e", "d", "b", "a", "a", "c"],
        "reversed, empty cells still last"
    );
    assert_eq!(
        column(output(&result, "two_keys"), "name"),
        ["b", "c", "d", "a", "a", "e"]
    );
    let select = output(&result, "select");
    assert_eq!(select["columns"], json!(["team", "name"]));
    assert_eq!(select["preview"][0], json!({"team": "x", "name": "b"}));
    let rows = output(&result, "rows");
    assert_eq!(column(rows, "name"), ["b", "a", "c", "d", "e"]);
    assert_eq!(rows["operations"][0]["duplicates"], json!(1));
    assert_eq!(column(output(&result, "by_team"), "name"), ["b", "a"]);
    assert_eq!(read(&dir, "out/names.csv"), "name\ne\nd\nb\na\nc\n");
    assert_eq!(
        output(&result, "chain")["output_file"],
        json!("out/names.csv")
    );
}

#[tokio::test]
async fn csv_process_aggregates_groups_and_names_the_cell_that_is_not_a_number() {
    let sales = "region,product,amount,units\nEMEA,a,\"1,000.50\",2\nAPAC,b,200,1\nEMEA,b,300,\nAPAC,a,,5\nEMEA,a,99.5,1\n";
    let (result, _dir) = run_in(
        &[("sales.csv", sales)],
        json!([
            {"id": "by_region", "step_type": "csv_process", "parameters": {"input_file": "sales.csv", "operations": [
                {"normalize": {"numbers": true}},
                {"aggregate": {"group_by": "region", "metrics": {"amount": ["sum", "mean", "max"], "units": ["count", "sum"]}}},
            ]}},
            {"id": "total", "step_type": "csv_process", "parameters": {"input_file": "sales.csv",
                "operation": {"aggregate": {"metrics": {"units": "sum"}}}}},
            {"id": "raw", "step_type": "csv_process", "parameters": {"input_file": "sales.csv",
                "operations": [{"aggregate": {"group_by": ["region"], "metrics": {"amount": "sum"}}}]}},
        ]),
    )
    .await;
    let out = output(&result, "by_region");
    assert_eq!(
        out["columns"],
        json!([
            "region",
            "count",
            "amount_sum",
            "amount_mean",
            "amount_max",
            "units_count",
            "units_sum"
        ])
    );
    assert_eq!(
        out["preview"],
        json!([
            {"region": "EMEA", "count": "3", "amount_sum": "1400", "amount_mean": "466.6666666667",
             "amount_max": "1000.5", "units_count": "2", "units_sum": "3"},
            {"region": "APAC", "count": "2", "amount_sum": "200", "amount_mean": "200",
             "amount_max": "200", "units_count": "2", "units_sum": "6"},
        ])
    );
    assert_eq!(out["operations"][1]["groups"], json!(2));
    assert_eq!(
        output(&result, "total")["preview"],
        json!([{"count": "5", "units_sum": "9"}])
    );
    let (error, _) = failure(&result, "raw");
    assert_eq!(
        error,
        "operations[0] (`aggregate`): row 1 (line 2), column `amount`: `1,000.50` is not a number; make it one first (`normalize` with `numbers: true` reads `1,234.50`), or leave such rows out with `filter`"
    );
}

const CONTACTS: &str = "id,email,amount,day,vip\n1,a@x.io,10,2024-01-01,yes\n2,,abc,2024-13-01,no\n2,c@x.io,5.5,,maybe\n4,d@x.io,7,2024-02-29,1\n";

#[tokio::test]
async fn csv_process_validate_locates_every_problem_and_fails_or_drops_as_asked() {
    let rules = json!({"types": {"amount": "number", "day": "date", "vip": "boolean"},
                       "required": ["email"], "unique": "id"});
    let with = |extra: Value| {
        let mut r = rules.clone();
        for (k, v) in extra.as_object().unwrap() {
            r[k] = v.clone();
        }
        json!({"validate": r})
    };
    let (result, dir) = run_in(
        &[("in/contacts.csv", CONTACTS)],
        json!([
            {"id": "report", "step_type": "csv_process", "parameters": {"input_file": "in/contacts.csv",
                "operation": with(json!({"fail_on_invalid": false}))}},
            {"id": "clean", "step_type": "csv_process", "parameters": {"input_file": "in/contacts.csv",
                "output_file": "clean.csv", "operation": with(json!({"fail_on_invalid": false, "drop_invalid": true}))}},
            {"id": "strict", "step_type": "csv_process", "parameters": {"input_file": "in/contacts.csv",
                "output_file": "strict.csv", "operations": [with(json!({"max_errors": 2}))]}},
        ]),
    )
    .await;
    let report = output(&result, "report");
    let v = &report["validation"];
    let located: Vec<(u64, u64, &str, &str)> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                e["line"].as_u64().unwrap(),
                e["column"].as_str().unwrap(),
                e["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        located,
        [
            (2, 3, "email", "is empty; the column is required"),
            (2, 3, "amount", "`abc` is not a number"),
            (2, 3, "day", "`2024-13-01` is not a date (YYYY-MM-DD)"),
            (
                3,
                4,
                "vip",
                "`maybe` is not a boolean (true, false, yes, no, 1 or 0)"
            ),
            (
                3,
                4,
                "id",
                "`2` repeats the value of row 2; the column is unique"
            ),
        ]
    );
    assert_eq!(
        (
            &v["valid"],
            &v["error_count"],
            &v["invalid_rows"],
            &v["truncated"]
        ),
        (&json!(false), &json!(5), &json!(2), &json!(false))
    );
    assert_eq!(report["rows_out"], json!(4), "reported, not dropped");

    let clean = output(&result, "clean");
    assert_eq!(
        clean["operations"][0],
        json!({"operation": "validate", "rows_in": 4, "rows_out": 2, "problems": 5, "dropped": 2})
    );
    assert_eq!(
        read(&dir, "clean.csv"),
        "id,email,amount,day,vip\n1,a@x.io,10,2024-01-01,yes\n4,d@x.io,7,2024-02-29,1\n"
    );

    let (error, out) = failure(&result, "strict");
    assert_eq!(
        error,
        "`in/contacts.csv` does not pass `validate`: row 2 (line 3), column `email`: is empty; the column is required (and 4 more problems); the output's `validation.errors` lists them (set `fail_on_invalid: false` to go on, or `drop_invalid: true` to leave those rows out)"
    );
    assert_eq!(out["validation"]["error_count"], json!(5));
    assert_eq!(out["validation"]["errors"].as_array().unwrap().len(), 2);
    assert_eq!(out["validation"]["truncated"], json!(true));
    assert_eq!(out["output_file"], Value::Null);
    assert_eq!(
        files(&dir),
        ["clean.csv", "in"],
        "a failed step writes no file and leaves no temporary one"
    );
}

#[tokio::test]
async fn csv_process_reports_rows_of_the_wrong_width_with_their_lines() {
    let bad = "a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n";
    let (result, dir) = run_in(
        &[("bad.csv", bad)],
        json!([
            {"id": "plain", "step_type": "csv_process", "parameters": {"input_file": "bad.csv", "output_file": "never.csv"}},
            {"id": "checked", "step_type": "csv_process", "parameters": {"input_file": "bad.csv", "output_file": "good.csv",
                "operations": [{"validate": {"fail_on_invalid": false}}]}},
        ]),
    )
    .await;
    let (error, out) = failure(&result, "plain");
    assert_eq!(
        error,
        "`bad.csv` is not a well-formed table: row 2 (line 3): the row has 2 fields, the header has 3 (and 1 more row like it); fix those rows, or add a `validate` operation (with `fail_on_invalid: false`) to list them and leave them out"
    );
    assert_eq!(
        out["validation"]["errors"],
        json!([
            {"row": 2, "line": 3, "column": null, "message": "the row has 2 fields, the header has 3"},
            {"row": 3, "line": 4, "column": null, "message": "the row has 4 fields, the header has 3"},
        ])
    );
    let checked = output(&result, "checked");
    assert_eq!(
        (&checked["rows_in"], &checked["rows_out"]),
        (&json!(4), &json!(2))
    );
    assert_eq!(read(&dir, "good.csv"), "a,b,c\n1,2,3\n10,11,12\n");
    assert!(!dir.path().join("workspace/never.csv").exists());
}

#[tokio::test]
async fn csv_process_keeps_quoted_commas_newlines_and_quotes_and_counts_lines() {
    let text = "id,note,amount\n1,\"Hello, world\",5\n2,\"line one\nline two\",7\n3,\"say \"\"hi\"\"\",9\n4,x,y,z\n";
    let (result, dir) = run_in(
        &[],
        json!([
            {"id": "quoted", "step_type": "csv_process", "parameters": {"content": text, "output": "q.csv",
                "operation": {"validate": {"fail_on_invalid": false}}}},
            {"id": "semicolons", "step_type": "csv_process", "parameters": {"content": "a;b\n1;2,5\n",
                "delimiter": ";", "output_file": "comma.csv", "output_delimiter": ","}},
            {"id": "tabs", "step_type": "csv_process", "parameters": {"content": "a\tb\n1\t2\n", "delimiter": "\\t"}},
            {"id": "headless", "step_type": "csv_process", "parameters": {"content": "x,1\ny,2\n", "has_headers": false,
                "output_file": "headless.csv", "operation": {"sort": {"by": "column_2", "descending": true}}}},
        ]),
    )
    .await;
    assert_eq!(result.status, RunStatus::Completed);
    let quoted = output(&result, "quoted");
    assert_eq!(
        column(quoted, "note"),
        ["Hello, world", "line one\nline two", "say \"hi\""]
    );
    assert_eq!(
        quoted["validation"]["errors"],
        json!([{"row": 4, "line": 6, "column": null, "message": "the row has 4 fields, the header has 3"}]),
        "the quoted newline counts as a line"
    );
    assert_eq!(
        read(&dir, "q.csv"),
        "id,note,amount\n1,\"Hello, world\",5\n2,\"line one\nline two\",7\n3,\"say \"\"hi\"\"\",9\n"
    );
    assert_eq!(read(&dir, "comma.csv"), "a,b\n1,\"2,5\"\n");
    assert_eq!(
        output(&result, "tabs")["preview"],
        json!([{"a": "1", "b": "2"}])
    );
    let headless = output(&result, "headless");
    assert_eq!(headless["columns"], json!(["column_1", "column_2"]));
    assert_eq!(read(&dir, "headless.csv"), "y,2\nx,1\n");
}

#[tokio::test]
async fn csv_process_refuses_unknown_columns_operations_and_escaping_paths_clearly() {
    let outside = tempfile::tempdir().unwrap();
    let escape = outside.path().join("stolen.csv");
    let (result, dir) = run_in(
        &[("s.csv", SCORES)],
        json!([
            {"id": "column", "step_type": "csv_process", "parameters": {"input_file": "s.csv",
                "operations": ["normalize", {"select": ["name", "Score"]}]}},
            {"id": "operation", "step_type": "csv_process", "parameters": {"input_file": "s.csv",
                "operations": ["normalise", "statstics"]}},
            {"id": "missing", "step_type": "csv_process", "parameters": {"input_file": "nope.csv"}},
            {"id": "up", "step_type": "csv_process", "parameters": {"input_file": "s.csv", "output_file": "../stolen.csv"}},
            {"id": "absolute", "step_type": "csv_process", "parameters": {"input_file": "s.csv",
                "output_file": escape.display().to_string()}},
            {"id": "delimiter", "step_type": "csv_process", "parameters": {"input_file": "s.csv", "delimiter": "::"}},
        ]),
    )
    .await;
    let (error, _) = failure(&result, "column");
    assert_eq!(
        error,
        "operations[1] (`select`): there is no column `Score` (did you mean `score`?); the columns at this point are: `name`, `score`, `team`"
    );
    let (error, _) = failure(&result, "operation");
    assert_eq!(
        error,
        "`operations[1]`: `statstics` is not an operation of `csv_process`; did you mean `statistics`?"
    );
    let (error, _) = failure(&result, "missing");
    assert!(error.starts_with("cannot read `nope.csv`"), "{error}");
    for id in ["up", "absolute"] {
        let (error, _) = failure(&result, id);
        assert!(error.contains("is refused"), "{id}: {error}");
    }
    assert!(!escape.exists() && !dir.path().join("stolen.csv").exists());
    let (error, _) = failure(&result, "delimiter");
    assert!(error.contains("must be one character"), "{error}");
}

#[tokio::test]
async fn csv_process_writes_under_a_read_only_sandbox_and_asks_approval_only_when_it_writes() {
    let steps = json!([
        {"id": "look", "step_type": "csv_process", "parameters": {"input_file": "s.csv", "operation": "statistics"}},
        {"id": "write", "step_type": "csv_process", "parameters": {"input_file": "s.csv", "output_file": "copy.csv"}},
    ]);
    let (sandboxed, dir) = run_with(
        &[("s.csv", SCORES)],
        json!({"perimeter": {"sandbox": "read-only"}}),
        steps.clone(),
        RunOptions::new,
    )
    .await;
    assert_eq!(
        sandboxed.status,
        RunStatus::Completed,
        "a workspace write is allowed: {sandboxed:?}"
    );
    assert_eq!(read(&dir, "copy.csv"), SCORES);

    let deny = |ws: std::path::PathBuf| {
        RunOptions::new(ws).with_governance(studio_engine::Governance {
            approver: std::sync::Arc::new(studio_engine::approval::DenyAll),
            ..Default::default()
        })
    };
    let (strict, dir) = run_with(
        &[("s.csv", SCORES)],
        json!({"perimeter": {"approval": {"mode": "strict"}}}),
        steps,
        deny,
    )
    .await;
    assert_eq!(
        strict.step_results["look"].status,
        StepStatus::Success,
        "reading changes nothing: no approval"
    );
    assert_eq!(strict.step_results["write"].status, StepStatus::Skipped);
    assert!(!dir.path().join("workspace/copy.csv").exists());
}

#[tokio::test]
async fn csv_process_streams_thousands_of_rows_through_every_batch_and_rewrites_in_place() {
    let mut big = String::from("id,group,value\n");
    for i in 1..=5000u64 {
        if i == 3000 {
            big.push_str("broken,row\n");
        }
        big.push_str(&format!("{i},g{},{i}\n", i % 5));
    }
    let (result, dir) = run_in(
        &[("big.csv", &big), ("copy.csv", &big)],
        json!([
            {"id": "pipeline", "step_type": "csv_process", "parameters": {"input_file": "big.csv", "operations": [
                {"validate": {"types": {"value": "integer"}, "unique": ["id"], "fail_on_invalid": false}},
                {"filter": {"column": "value", "op": ">", "value": 2500}},
                {"dedupe": {"columns": ["group"]}},
                {"sort": {"by": "value", "descending": true}},
            ]}},
            {"id": "sums", "step_type": "csv_process", "parameters": {"input_file": "big.csv", "operations": [
                {"validate": {"fail_on_invalid": false}},
                {"aggregate": {"group_by": "group", "metrics": {"value": ["sum", "max"]}}},
                {"statistics": ["value_sum"]},
            ]}},
            {"id": "in_place", "step_type": "csv_process", "parameters": {"input_file": "copy.csv", "output_file": "copy.csv",
                "preview_rows": 0, "operations": [{"validate": {"fail_on_invalid": false}}, {"filter": {"column": "value", "op": "<=", "value": 3}}]}},
        ]),
    )
    .await;
    let out = output(&result, "pipeline");
    assert_eq!(
        (&out["rows_in"], &out["rows_out"]),
        (&json!(5001), &json!(5))
    );
    assert_eq!(column(out, "id"), ["2505", "2504", "2503", "2502", "2501"]);
    assert_eq!(
        out["validation"]["errors"],
        json!([{"row": 3000, "line": 3001, "column": null, "message": "the row has 2 fields, the header has 3"}]),
        "a row deep in the file keeps its number and line across batches"
    );
    let counts: Vec<(u64, u64)> = out["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["rows_in"].as_u64().unwrap(),
                o["rows_out"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(counts, [(5000, 5000), (5000, 2500), (2500, 5), (5, 5)]);

    let sums = output(&result, "sums");
    let expected: Vec<Value> = [1u64, 2, 3, 4, 0]
        .iter()
        .map(|g| {
            let values: Vec<u64> = (1..=5000).filter(|i| i % 5 == *g).collect();
            json!({"group": format!("g{g}"), "count": "1000",
                   "value_sum": values.iter().sum::<u64>().to_string(),
                   "value_max": values.iter().max().unwrap().to_string()})
        })
        .collect();
    assert_eq!(sums["preview"], json!(expected));
    assert_eq!(
        sums["statistics"]["value_sum"]["sum"],
        json!(5000 * 5001 / 2),
        "statistics after aggregate sees the group rows"
    );
    assert_eq!(
        sums["operations"][1]["groups"],
        json!(5),
        "the aggregate's summary counts its groups"
    );

    let in_place = output(&result, "in_place");
    assert_eq!(in_place["preview"], json!([]));
    assert_eq!(
        read(&dir, "copy.csv"),
        "id,group,value\n1,g1,1\n2,g2,2\n3,g3,3\n"
    );
    assert_eq!(files(&dir), ["big.csv", "copy.csv"]);
}

#[tokio::test]
async fn csv_process_says_what_is_wrong_with_odd_inputs() {
    let (result, dir) = run_in(
        &[
            ("empty.csv", ""),
            ("header_only.csv", "a,b\n"),
            ("bom.csv", "\u{feff}id,name\n1,x\n"),
            ("folder/inside.txt", "x"),
        ],
        json!([
            {"id": "empty", "step_type": "csv_process", "parameters": {"input_file": "empty.csv"}},
            {"id": "header_only", "step_type": "csv_process", "parameters": {"input_file": "header_only.csv", "operation": "statistics"}},
            {"id": "bom", "step_type": "csv_process", "parameters": {"input_file": "bom.csv", "preview_rows": 1}},
            {"id": "folder", "step_type": "csv_process", "parameters": {"input_file": "folder"}},
            {"id": "both", "step_type": "csv_process", "parameters": {"input_file": "bom.csv", "operation": "statistics", "operations": ["dedupe"]}},
            {"id": "no_input", "step_type": "csv_process", "parameters": {"operation": "statistics"}},
            {"id": "no_value", "step_type": "csv_process", "parameters": {"input_file": "bom.csv", "operation": {"filter": {"column": "id", "op": ">"}}}},
        ]),
    )
    .await;
    let (error, _) = failure(&result, "empty");
    assert_eq!(
        error,
        "`empty.csv` is empty: its first row must name the columns (or set `has_headers: false`)"
    );
    let header_only = output(&result, "header_only");
    assert_eq!(header_only["rows_in"], json!(0));
    assert_eq!(header_only["statistics"]["a"]["type"], json!("empty"));
    let bom = output(&result, "bom");
    assert_eq!(
        bom["columns"],
        json!(["id", "name"]),
        "the byte-order mark is not part of a name"
    );
    let (error, _) = failure(&result, "folder");
    assert_eq!(error, "`folder` is a folder, not a CSV file");
    let (error, _) = failure(&result, "both");
    assert!(error.contains("not both"), "{error}");
    let (error, _) = failure(&result, "no_input");
    assert!(
        error.contains("`input_file`") && error.contains("`content`"),
        "{error}"
    );
    let (error, _) = failure(&result, "no_value");
    assert!(
        error.starts_with("`operation.filter`: the comparison `>` of `filter` needs a `value`"),
        "{error}"
    );
    // Not UTF-8: the line is named.
    std::fs::write(
        dir.path().join("workspace/latin1.csv"),
        b"a,b\n1,2\n3,caf\xe9\n",
    )
    .unwrap();
    let m: Mission = serde_json::from_value(json!({"name": "latin1", "steps": [
        {"id": "s", "step_type": "csv_process", "parameters": {"input_file": "latin1.csv"}}]}))
    .unwrap();
    let result = run_mission(
        &m,
        RunOptions::new(dir.path().join("workspace")),
        &mut studio_engine::NullSink,
    )
    .await
    .unwrap();
    let (error, _) = failure(&result, "s");
    assert_eq!(
        error,
        "`latin1.csv`, line 3: the text is not UTF-8; save the file as UTF-8"
    );
}
