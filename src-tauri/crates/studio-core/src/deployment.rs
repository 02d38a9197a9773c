//! Where and how a mission is meant to be deployed (Spark `deployment:`). Runs are local and
//! ignore it; `mission check` reads it to say whether this machine is ready for the target.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The mission's deployment block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    /// development | staging | production.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<DeploymentTarget>,
    /// How many copies are meant to run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<u32>,
    /// What each copy needs: `cpu` (cores, `"2"` or `"500m"`), `memory` (`"4Gi"`, `"512Mi"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    /// Seconds between health checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_interval: Option<u64>,
    /// always | on-failure | never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<String>,
    /// Environment variables the deployment sets; an empty value must come from the host.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, String>,
}

/// The deployment's target environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeploymentTarget {
    Development,
    Staging,
    Production,
}

impl DeploymentTarget {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Staging => "staging",
            Self::Production => "production",
        }
    }

    /// Reads `development`, `dev`, `staging`, `stage`, `production`, `prod`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "development" | "dev" => Some(Self::Development),
            "staging" | "stage" => Some(Self::Staging),
            "production" | "prod" => Some(Self::Production),
            _ => None,
        }
    }
}

/// Resources each copy needs, Kubernetes style quantities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<String>,
}

impl Resources {
    /// CPU cores asked for: `"2"` → 2.0, `"500m"` → 0.5.
    pub fn cpu_cores(&self) -> Option<f64> {
        let text = self.cpu.as_deref()?.trim();
        match text.strip_suffix('m') {
            Some(milli) => milli.trim().parse::<f64>().ok().map(|m| m / 1000.0),
            None => text.parse().ok(),
        }
    }

    /// Memory asked for in bytes: `"4Gi"`, `"512Mi"`, `"1G"`, `"1024"`.
    pub fn memory_bytes(&self) -> Option<u64> {
        parse_quantity(self.memory.as_deref()?)
    }
}

/// A memory quantity in bytes (binary `Ki Mi Gi Ti` and decimal `K M G T` suffixes).
pub fn parse_quantity(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor: f64 = match unit.trim() {
        "" => 1.0,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        "K" | "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        _ => return None,
    };
    let bytes = number * factor;
    (bytes.is_finite() && bytes >= 0.0).then_some(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_read_like_kubernetes() {
        assert_eq!(parse_quantity("4Gi"), Some(4 << 30));
        assert_eq!(parse_quantity("512Mi"), Some(512 << 20));
        assert_eq!(parse_quantity("1G"), Some(1_000_000_000));
        assert_eq!(parse_quantity("lots"), None);
        let r = Resources {
            cpu: Some("500m".into()),
            ..Default::default()
        };
        assert_eq!(r.cpu_cores(), Some(0.5));
        assert_eq!(
            DeploymentTarget::parse("prod"),
            Some(DeploymentTarget::Production)
        );
    }
}
