use super::*;

#[test]
fn libtest_lines_and_failure_sections_of_several_binaries() {
    let out = "\
{\"reason\":\"compiler-artifact\"}
running 3 tests
test tests::adds ... ok
test tests::slow ... ignored, takes a minute
test tests::fails ... FAILED

failures:

---- tests::fails stdout ----

thread 'tests::fails' panicked at src/lib.rs:12:9:
assertion `left == right` failed
  left: 4
 right: 5
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace


failures:
    tests::fails

test result: FAILED. 1 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s

running 1 test
test src/lib.rs - add (line 3) ... ok

test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s
";
    let r = libtest(out);
    assert_eq!(
        (
            r.count(Outcome::Passed),
            r.count(Outcome::Failed),
            r.count(Outcome::Ignored)
        ),
        (2, 1, 1)
    );
    let failures = r.failures();
    assert_eq!(failures[0].name, "tests::fails");
    let message = failures[0].message.as_deref().unwrap();
    assert!(message.starts_with("thread 'tests::fails' panicked at src/lib.rs:12:9:"));
    assert!(message.contains("left: 4"), "{message}");
    assert!(!message.contains("RUST_BACKTRACE"), "{message}");
    assert!(r
        .tests
        .iter()
        .any(|t| t.name == "src/lib.rs - add (line 3)"));
}

#[test]
fn junit_cases_with_pytest_names_failures_errors_and_skips() {
    let xml = r#"<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="5">
<testcase classname="tests.test_calc" name="test_add" file="tests/test_calc.py" line="3" time="0.001" />
<testcase classname="tests.test_calc.TestCalc" name="test_sub" file="tests/test_calc.py" line="9" time="0.001"><failure message="assert 1 == 2&#10; +  where 1 = sub(3, 2)">def test_sub():
&gt;       assert sub(3, 2) == 2
E       assert 1 == 2</failure></testcase>
<testcase classname="tests.test_calc" name="test_later" file="tests/test_calc.py" line="12" time="0"><skipped type="pytest.skip" message="later">skipped</skipped></testcase>
<testcase classname="" name="tests.test_broken" file="tests/test_broken.py" time="0"><error message="collection failure">ImportError while importing test module
E   ModuleNotFoundError: No module named 'nope'</error></testcase>
</testsuite></testsuites>"#;
    let r = junit(xml).unwrap();
    let names: Vec<&str> = r.tests.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "tests/test_calc.py::test_add",
            "tests/test_calc.py::TestCalc::test_sub",
            "tests/test_calc.py::test_later",
            "tests/test_broken.py"
        ]
    );
    let outcomes: Vec<Outcome> = r.tests.iter().map(|t| t.outcome).collect();
    assert_eq!(
        outcomes,
        [
            Outcome::Passed,
            Outcome::Failed,
            Outcome::Ignored,
            Outcome::Failed
        ]
    );
    assert!(r.tests[1]
        .message
        .as_deref()
        .unwrap()
        .starts_with("assert 1 == 2"));
    assert_eq!(
        r.tests[3].message.as_deref(),
        Some("ModuleNotFoundError: No module named 'nope'")
    );
    assert!(junit("<testsuites><testcase name=\"a\"></oops>").is_err());
}

#[test]
fn tap_from_node_test_with_suites_skips_and_yaml_errors() {
    let out = "\
> n@1.0.0 test
> node --test

TAP version 13
# Subtest: adds
ok 1 - adds
  ---
  duration_ms: 1.3
  ...
# Subtest: fails
not ok 2 - fails
  ---
  duration_ms: 1.4
  failureType: 'testCodeFailure'
  error: |-
    Expected values to be strictly equal:

    3 !== 4

  code: 'ERR_ASSERTION'
  ...
# Subtest: skipped
ok 3 - skipped # SKIP later
  ---
  duration_ms: 0.1
  ...
# Subtest: group
    # Subtest: inner ok
    ok 1 - inner ok
      ---
      duration_ms: 0.1
      ...
    # Subtest: inner bad
    not ok 2 - inner bad
      ---
      duration_ms: 0.1
      error: 'it''s boom'
      code: 'ERR_TEST_FAILURE'
      ...
    1..2
not ok 4 - group
  ---
  duration_ms: 0.6
  type: 'suite'
  error: '1 subtest failed'
  ...
1..4
# tests 5
# pass 2
# fail 2
";
    let r = tap(out).unwrap();
    let got: Vec<(&str, Outcome)> = r
        .tests
        .iter()
        .map(|t| (t.name.as_str(), t.outcome))
        .collect();
    assert_eq!(
        got,
        [
            ("adds", Outcome::Passed),
            ("fails", Outcome::Failed),
            ("skipped", Outcome::Ignored),
            ("group > inner ok", Outcome::Passed),
            ("group > inner bad", Outcome::Failed),
        ]
    );
    assert_eq!(
        r.tests[1].message.as_deref(),
        Some("Expected values to be strictly equal:\n3 !== 4")
    );
    assert_eq!(r.tests[4].message.as_deref(), Some("it's boom"));
    assert!(tap("no tap here\n").is_none());
    assert_eq!(
        r.failing_names(1),
        "fails (Expected values to be strictly equal:); and 1 more"
    );
}
