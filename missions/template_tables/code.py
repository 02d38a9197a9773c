# Templates of the code family (compile_code, run_tests, format_code, lint_code,
# extract_functions, generate_docs). Exec'd into missions/generate_templates.py: the helpers
# (T, _step, put_file, llm, ...) and OUTPUT_FIELDS come from there.
#
# Each template ships its own small project (a Rust crate without dependencies, a Python
# package with pytest tests, a JavaScript module tested with `node --test`), written into the
# workspace by create_file steps, and runs offline: cargo builds with --offline in the
# project's own target/, npm runs only the project's scripts.

OUTPUT_FIELDS.update({
    "compile_code": ["toolchain", "success", "errors", "warnings", "diagnostics", "artifacts",
                     "duration_ms", "stdout_tail", "stderr_tail", "command"],
    "run_tests": ["toolchain", "success", "passed", "failed", "ignored", "total", "failures",
                  "tests", "diagnostics", "duration_ms", "stdout_tail", "stderr_tail", "command"],
    "format_code": ["toolchain", "formatter", "checked", "changed_files", "success",
                    "stdout_tail", "stderr_tail", "command"],
    "lint_code": ["toolchain", "linter", "success", "lints", "errors", "warnings", "diagnostics",
                  "duration_ms", "stdout_tail", "stderr_tail", "command"],
    "extract_functions": ["functions", "count", "files_parsed", "errors"],
    "generate_docs": ["markdown", "functions", "files", "undocumented", "output_file"],
})


def code_step(sid, step_type, name, after=(), timeout=300, **params):
    """A code step (a toolchain run or a parse); toolchain runs get room to build."""
    return _step(sid, step_type, name, params, after, timeout_seconds=timeout)


# --------------------------------------------------------------------------------------------- sample projects

RINGBUF_CARGO = """[package]
name = "ringbuf"
version = "0.1.0"
edition = "2021"

[dependencies]
"""

RINGBUF_LIB = """//! A fixed-capacity ring buffer.

/// A ring buffer that overwrites its oldest item when full.
pub struct RingBuffer<T> {
    items: Vec<Option<T>>,
    head: usize,
    len: usize,
}

impl<T: Clone> RingBuffer<T> {
    /// Makes an empty buffer holding at most `capacity` items.
    pub fn new(capacity: usize) -> Self {
        assert!(capacity > 0, "capacity must be at least 1");
        Self {
            items: vec![None; capacity],
            head: 0,
            len: 0,
        }
    }

    /// Adds an item, dropping the oldest one when the buffer is full.
    pub fn push(&mut self, item: T) {
        let cap = self.items.len();
        let tail = (self.head + self.len) % cap;
        self.items[tail] = Some(item);
        if self.len == cap {
            self.head = (self.head + 1) % cap;
        } else {
            self.len += 1;
        }
    }

    /// Removes and returns the oldest item.
    pub fn pop(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        let item = self.items[self.head].take();
        self.head = (self.head + 1) % self.items.len();
        self.len -= 1;
        item
    }

    pub fn len(&self) -> usize {
        return self.len;
    }

    pub fn is_empty(&self) -> bool { self.len == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_items() {
        let mut b = RingBuffer::new(2);
        b.push(1);
        b.push(2);
        b.push(3);
        assert_eq!(b.pop(), Some(2));
        assert_eq!(b.pop(), Some(3));
        assert_eq!(b.pop(), None);
    }

    #[test]
    fn counts_its_items() {
        let mut b = RingBuffer::new(3);
        assert!(b.is_empty());
        b.push("a");
        assert_eq!(b.len(), 1);
    }
}
"""

DISCOUNTS_PY = '''"""Discount rules for the shop."""


def apply_discount(price, percent):
    """Return `price` reduced by `percent` per cent, rounded to cents."""
    if not 0 <= percent <= 100:
        raise ValueError("percent must be between 0 and 100")
    return round(price * (1 - percent / 100), 2)


def bulk_price(unit_price, quantity):
    """Price of `quantity` units: 10% off from 10 units on."""
    total = unit_price * quantity
    if quantity > 10:
        total = apply_discount(total, 10)
    return round(total, 2)


def _cents(amount):
    return int(round(amount * 100))
'''

DISCOUNTS_TESTS = '''import pytest

from pricing.discounts import apply_discount, bulk_price


def test_apply_discount():
    assert apply_discount(100.0, 15) == 85.0


def test_discount_out_of_range():
    with pytest.raises(ValueError):
        apply_discount(10.0, 120)


def test_bulk_price_small_order():
    assert bulk_price(2.5, 4) == 10.0


def test_bulk_price_from_ten_units():
    assert bulk_price(2.0, 10) == 18.0
'''

CART_PACKAGE = """{
  "name": "cart",
  "version": "1.2.0",
  "private": true,
  "scripts": {"test": "node --test"}
}
"""

CART_JS = """/**
 * Adds a line to the cart, merging it with a line of the same SKU.
 * @param {Array<{sku: string, qty: number, price: number}>} lines
 */
function addLine(lines, sku, qty, price) {
  const found = lines.find((l) => l.sku === sku);
  if (found) {
    found.qty += qty;
  } else {
    lines.push({ sku, qty, price });
  }
  return lines;
}

/** The cart's total in cents. */
function total(lines) {
  return lines.reduce((sum, l) => sum + l.qty * l.price, 0);
}

function formatCents(cents) {
  return (cents / 100).toFixed(2);
}

module.exports = { addLine, total, formatCents };
"""

CART_TEST = """const test = require('node:test');
const assert = require('node:assert');
const { addLine, total, formatCents } = require('../src/cart.js');

test('merges lines of the same SKU', () => {
  const lines = addLine(addLine([], 'A1', 1, 250), 'A1', 2, 250);
  assert.deepStrictEqual(lines, [{ sku: 'A1', qty: 3, price: 250 }]);
});

test('totals in cents', () => {
  assert.strictEqual(total([{ sku: 'A1', qty: 2, price: 250 }, { sku: 'B2', qty: 1, price: 99 }]), 599);
});

test('formats cents', () => {
  assert.strictEqual(formatCents(599), '5.99');
});
"""

INVOICE_GO = """package billing

// Invoice is a bill sent to a customer.
type Invoice struct {
	Number string
	Cents  int64
}

// Overdue reports whether the invoice is unpaid past its due day.
func (i Invoice) Overdue(today, due int) bool {
	return today > due
}

// NewInvoice makes an invoice with its number.
func NewInvoice(number string, cents int64) Invoice {
	return Invoice{Number: number, Cents: cents}
}

func roundCents(c float64) int64 { return int64(c + 0.5) }
"""

TAX_RS = """/// Value-added tax on an amount in cents, rounded half up.
pub fn vat(cents: i64, rate_percent: i64) -> i64 {
    (cents * rate_percent + 50) / 100
}

pub fn gross(cents: i64, rate_percent: i64) -> i64 {
    cents + vat(cents, rate_percent)
}
"""

REPORT_PY = """import os
import json
def summarise(rows):
    '''Count rows per status.'''
    counts={}
    for row in rows:
        counts[row['status']]=counts.get(row['status'],0)+1
    return counts


def to_json(counts):
    '''The counts as sorted JSON.'''
    return json.dumps(counts,sort_keys=True)
"""

REPORT_TESTS = """from report import summarise, to_json


def test_summarise_counts_each_status():
    rows = [{"status": "open"}, {"status": "done"}, {"status": "open"}]
    assert summarise(rows) == {"open": 2, "done": 1}


def test_to_json_is_sorted():
    assert to_json({"b": 1, "a": 2}) == '{"a": 2, "b": 1}'
"""

STATS_PY = '''"""Small statistics used by the survey analysis."""
import random


def mean(values):
    """Arithmetic mean of a non-empty list."""
    return sum(values) / len(values)


def variance(values):
    """Sample variance (n - 1 in the denominator)."""
    m = mean(values)
    return sum((v - m) ** 2 for v in values) / (len(values) - 1)


def bootstrap_ci(values, rounds=200, seed=7):
    """95% bootstrap confidence interval of the mean, reproducible through `seed`."""
    rng = random.Random(seed)
    means = sorted(
        mean([rng.choice(values) for _ in values]) for _ in range(rounds)
    )
    return means[int(0.025 * rounds)], means[int(0.975 * rounds) - 1]


def trimmed_mean(values, share=0.1):
    cut = int(len(values) * share)
    kept = sorted(values)[cut:len(values) - cut]
    return mean(kept)
'''

STATS_TESTS = '''from analysis.stats import bootstrap_ci, mean, trimmed_mean, variance


def test_mean_and_variance():
    assert mean([2, 4, 6]) == 4
    assert variance([2, 4, 6]) == 4


def test_bootstrap_is_reproducible():
    data = [3, 5, 4, 6, 5, 7, 4]
    assert bootstrap_ci(data) == bootstrap_ci(data)
    low, high = bootstrap_ci(data)
    assert low <= mean(data) <= high


def test_trimmed_mean_drops_outliers():
    assert trimmed_mean([1, 5, 5, 5, 5, 5, 5, 5, 5, 100]) == 5
'''

# --------------------------------------------------------------------------------------------- Engineering

T("Engineering", "rust-crate-release-readiness", "Rust Crate Release Readiness",
  goal="Decide whether a Rust crate is ready to publish: it builds, its tests pass, clippy has nothing serious and the code is formatted.",
  objective="A go / no-go for the release with the build result, the test results, clippy's findings with file and line, and the files rustfmt would change.",
  done="The crate was built and tested with its own toolchain, every clippy finding is listed with its place, the unformatted files are named, and the report ends with a go / no-go and the fixes it needs.",
  context="The team publishes small internal crates by hand; twice a crate went out with a failing test or a warning that hid a bug. Release managers want the same four checks run the same way every time.",
  constraints="- The crate is checked where it is: nothing is published, committed or rewritten (rustfmt runs in check mode).\n- cargo runs offline; the crate has no dependencies to fetch.\n",
  depts=["engineering", "release-management"], tags=["rust", "release", "ci", "quality-gate", "clippy"], risk="low", roi=5.2, value=2500,
  steps=[
    put_file("manifest", "Write the crate's manifest", "ringbuf/Cargo.toml", RINGBUF_CARGO),
    put_file("source", "Write the crate's source", "ringbuf/src/lib.rs", RINGBUF_LIB),
    code_step("build", "compile_code", "Build the crate", after=["manifest", "source"], path="ringbuf"),
    code_step("tests", "run_tests", "Run the crate's tests", after=["build"], path="ringbuf"),
    code_step("clippy", "lint_code", "Lint with clippy", after=["build"], path="ringbuf"),
    code_step("fmt", "format_code", "Check the formatting", after=["manifest", "source"], path="ringbuf", check=True, fail_on_change=False),
    llm("verdict", "Release verdict",
        "Decide go or no-go for publishing the crate and list the fixes needed first, each with its file and line.\n\n"
        "Build succeeded: {{build.output.success}} ({{build.output.warnings}} warnings)\n"
        "Tests: {{tests.output.passed}} passed, {{tests.output.failed}} failed, failures: {{tests.output.failures}}\n"
        "Clippy findings: {{clippy.output.diagnostics}}\n"
        "Files rustfmt would change: {{fmt.output.changed_files}}",
        system="You are a release manager for Rust libraries. Be brief and concrete."),
  ],
  facts=[("Build succeeded", "{{build.output.success}}"), ("Tests passed", "{{tests.output.passed}} of {{tests.output.total}}"),
         ("Clippy findings", "{{clippy.output.lints}}"), ("Files to reformat", "{{fmt.output.changed_files}}")],
  check="headings")

T("Engineering", "python-test-failure-triage", "Python Test Failure Triage",
  goal="Triage a failing Python test suite: name each failing test, point to the function and line it exercises, and propose the smallest fix.",
  objective="The failing tests with their assertion messages, the functions under test with their signatures and line ranges, and a fix per failure.",
  done="Every test of the suite ran, each failure is named with its message, the function at fault is identified by file and line, and a one-line fix is proposed for each.",
  context="A pricing module started failing in CI after a refactor of the bulk discount rule; the developer on call needs the failure explained in terms of the code, not a stack trace.",
  constraints="- The code is not changed by the mission: fixes are proposals for the developer.\n- Tests run locally with pytest; no service is called.\n",
  depts=["engineering", "quality-assurance"], tags=["python", "pytest", "triage", "ci", "debugging"], risk="low", roi=4.6, value=1800,
  steps=[
    put_file("package", "Write the package marker", "shop/pricing/__init__.py", ""),
    put_file("module", "Write the discount rules", "shop/pricing/discounts.py", DISCOUNTS_PY),
    put_file("test_file", "Write the tests", "shop/tests/test_discounts.py", DISCOUNTS_TESTS),
    code_step("compile", "compile_code", "Byte-compile the package", after=["package", "module", "test_file"], path="shop"),
    code_step("tests", "run_tests", "Run the test suite", after=["compile"], path="shop", fail_on_failure=False),
    code_step("functions", "extract_functions", "List the functions under test", after=["package", "module"], timeout=60, path="shop/pricing"),
    llm("triage", "Failure triage",
        "For each failing test, name the function at fault with its file and line range, explain the failure from the code, and propose the smallest fix.\n\n"
        "Failures: {{tests.output.failures}}\n"
        "Passed: {{tests.output.passed}} of {{tests.output.total}}\n"
        "Functions: {{functions.output.functions}}",
        system="You are a senior Python developer triaging CI failures."),
  ],
  facts=[("Tests failed", "{{tests.output.failed}} of {{tests.output.total}}"), ("Functions read", "{{functions.output.count}}")],
  check="words")

T("Engineering", "polyglot-api-reference", "Polyglot API Reference",
  goal="Publish an up-to-date API reference for a repository mixing JavaScript, Go and Rust, and list the public functions that still lack documentation.",
  objective="docs/API.md generated from the source (signatures and doc comments per file), the JavaScript module's tests passing, and the documentation gaps by file.",
  done="docs/API.md covers every public function of the repository, the JavaScript tests pass, and each undocumented public function is listed with a suggested doc line.",
  context="Three teams share one repository; the hand-written API page is a year old and the onboarding engineers keep reading the code to find signatures.",
  constraints="- The reference is generated from the code as it is; no source file is edited.\n- Tests run with node's own test runner, offline.\n",
  depts=["engineering", "developer-experience"], tags=["documentation", "api-reference", "tree-sitter", "javascript", "go"], risk="low", roi=3.9, value=1500,
  steps=[
    put_file("package", "Write the cart module's package.json", "repo/cart/package.json", CART_PACKAGE),
    put_file("cart", "Write the cart module", "repo/cart/src/cart.js", CART_JS),
    put_file("cart_test", "Write the cart tests", "repo/cart/test/cart.test.js", CART_TEST),
    put_file("invoice", "Write the billing package", "repo/billing/invoice.go", INVOICE_GO),
    put_file("tax", "Write the tax module", "repo/tax/src/lib.rs", TAX_RS),
    code_step("tests", "run_tests", "Run the cart tests", after=["package", "cart", "cart_test"], path="repo/cart"),
    code_step("docs", "generate_docs", "Generate the API reference", after=["cart", "invoice", "tax", "package", "cart_test"], timeout=60,
              path="repo", output_file="docs/API.md", title="Repository API reference"),
    code_step("inventory", "extract_functions", "Inventory every function", after=["cart", "invoice", "tax", "package", "cart_test"], timeout=60, path="repo"),
    llm("gaps", "Documentation gaps",
        "Write one suggested doc comment per undocumented public function, and note which private helpers ({{inventory.output.count}} functions in all) deserve to be public.\n\n"
        "Undocumented: {{docs.output.undocumented}}\n"
        "Cart tests: {{tests.output.passed}} passed, {{tests.output.failed}} failed",
        system="You are a technical writer for developer documentation."),
  ],
  facts=[("Functions documented", "{{docs.output.functions}} in {{docs.output.files}} files"), ("Cart tests passed", "{{tests.output.passed}}")],
  sections=[("API reference", "{{docs.output.markdown}}")],
  extra_outputs=["docs/API.md"], check="checksum")

T("Engineering", "python-style-gate", "Python Style Gate",
  goal="Bring a Python tool to the team's style before review: lint it, reformat it with black and prove the tests still pass afterwards.",
  objective="The linter's findings with file and line, the files black reformatted, and the test results after formatting.",
  done="The linter ran and its findings are listed, black reformatted the files that needed it, and the tests pass on the reformatted code.",
  context="Reviews of small internal tools get stuck on formatting comments; the team agreed that black and a linter run before a person looks at the code.",
  constraints="- Only formatting changes are written (black); lint findings are reported, not fixed.\n- Runs offline in the read-only sandbox: nothing outside the workspace changes.\n",
  depts=["engineering", "developer-experience"], tags=["python", "black", "flake8", "code-review", "style"], risk="low", roi=3.1, value=900,
  steps=[
    put_file("module", "Write the tool", "tool/report.py", REPORT_PY),
    put_file("test_file", "Write its tests", "tool/test_report.py", REPORT_TESTS),
    code_step("lint", "lint_code", "Lint the tool", after=["module", "test_file"], path="tool"),
    code_step("check", "format_code", "Check the formatting", after=["module", "test_file"], path="tool", check=True, fail_on_change=False),
    code_step("format", "format_code", "Reformat with black", after=["check", "lint"], path="tool"),
    code_step("tests", "run_tests", "Run the tests on the reformatted code", after=["format"], path="tool"),
  ],
  facts=[("Lint findings", "{{lint.output.lints}} ({{lint.output.errors}} errors)"), ("Linter", "{{lint.output.linter}}"),
         ("Files reformatted", "{{format.output.changed_files}}"), ("Tests passed after formatting", "{{tests.output.passed}} of {{tests.output.total}}")],
  sections=[("Lint findings", "{{lint.output.diagnostics}}"), ("Files that needed formatting", "{{check.output.changed_files}}")],
  check="stamp")

# --------------------------------------------------------------------------------------------- Research

T("Research", "analysis-code-reproducibility", "Analysis Code Reproducibility Check",
  goal="Check that a study's analysis code is reproducible and documented: its tests pass, random steps are seeded, and every public function says what it computes.",
  objective="Test results of the statistics module, its function reference with docstrings, and a reproducibility review naming undocumented or unseeded functions.",
  done="The module compiles and its tests pass, a function reference is written to docs/analysis-api.md, and the review lists each function lacking a docstring or a seed.",
  context="A journal asked for the analysis code behind a survey paper; reviewers will rerun it, and the lab wants to catch undocumented or non-deterministic steps before they do.",
  constraints="- The analysis code is read and tested, not changed.\n- Results are checked with the code's own tests; no data leaves the workspace.\n",
  depts=["research", "data-science"], tags=["reproducibility", "python", "statistics", "open-science", "documentation"], risk="low", roi=3.4, value=1200,
  steps=[
    put_file("package", "Write the package marker", "study/analysis/__init__.py", ""),
    put_file("stats", "Write the statistics module", "study/analysis/stats.py", STATS_PY),
    put_file("test_file", "Write its tests", "study/tests/test_stats.py", STATS_TESTS),
    code_step("compile", "compile_code", "Byte-compile the analysis code", after=["package", "stats", "test_file"], path="study"),
    code_step("tests", "run_tests", "Run the analysis tests", after=["compile"], path="study"),
    code_step("reference", "generate_docs", "Write the function reference", after=["package", "stats"], timeout=60,
              path="study/analysis", output_file="docs/analysis-api.md", title="Analysis functions", include_private=True),
    code_step("functions", "extract_functions", "Read the public functions", after=["package", "stats"], timeout=60, path="study/analysis", include_private=False),
    llm("review", "Reproducibility review",
        "Review the analysis code for reproducibility: say which functions use randomness and whether it is seeded, which lack a docstring, and what a reviewer needs to rerun the tests.\n\n"
        "Functions: {{functions.output.functions}}\n"
        "Without docstring: {{reference.output.undocumented}}\n"
        "Tests: {{tests.output.passed}} passed of {{tests.output.total}}",
        system="You are a research software engineer reviewing code for a journal's reproducibility check."),
  ],
  facts=[("Tests passed", "{{tests.output.passed}} of {{tests.output.total}}"), ("Functions without docstring", "{{reference.output.undocumented}}")],
  extra_outputs=["docs/analysis-api.md"], check="headings")
