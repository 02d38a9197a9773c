//! System step types: archives, processes, resources, health checks.

use super::*;

pub(super) const STEPS: &[StepParams] = &[];
