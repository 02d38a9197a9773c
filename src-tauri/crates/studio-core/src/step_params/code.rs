//! Code step types: build, test, format, lint, parse.

use super::*;

pub(super) const STEPS: &[StepParams] = &[];
