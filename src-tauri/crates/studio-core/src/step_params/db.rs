//! Database step types: SQL, backups, migrations, Redis.

use super::*;

pub(super) const STEPS: &[StepParams] = &[];
