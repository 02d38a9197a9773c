//! Git step types, through the system `git`.

use super::*;

pub(super) const STEPS: &[StepParams] = &[];
