//! The step graph, compiled once per run into flat arrays (compressed adjacency lists) so the
//! scheduler walks it without hashing or allocating per step.

use crate::EngineError;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use studio_core::Step;

/// Step ids to their indexes, hashed with [`IdHasher`].
pub(crate) type IdIndex<'a> = HashMap<&'a str, u32, IdHashState>;

/// The index of `steps` by id (ids are unique once the graph is sealed).
pub(crate) fn id_index(steps: &[Step]) -> IdIndex<'_> {
    let mut index = IdIndex::with_capacity_and_hasher(steps.len(), IdHashState::new());
    for (i, s) in steps.iter().enumerate() {
        index.insert(s.id.as_str(), i as u32);
    }
    index
}

/// A multiply-rotate hash of step ids, 8 bytes per round (the default SipHash costs more than
/// the rest of sealing a graph). It starts from a per-process random seed, so the bucket
/// layout cannot be chosen by whoever writes a mission file.
#[derive(Clone, Copy)]
pub(crate) struct IdHashState(u64);

impl IdHashState {
    pub(crate) fn new() -> Self {
        static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
        Self(*SEED.get_or_init(|| {
            std::collections::hash_map::RandomState::new().hash_one(0x5EED_u64) | 1
        }))
    }
}

impl BuildHasher for IdHashState {
    type Hasher = IdHasher;

    fn build_hasher(&self) -> IdHasher {
        IdHasher(self.0)
    }
}

pub(crate) struct IdHasher(u64);

impl IdHasher {
    const K: u64 = 0xf135_7aea_2e62_a9c5;

    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0 ^ word).wrapping_mul(Self::K).rotate_left(26);
    }
}

impl Hasher for IdHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes([
                c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
            ]));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
        }
    }

    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // A last multiply spreads the rotation into the high bits the table reads.
        self.0.wrapping_mul(Self::K)
    }
}

/// A sealed dependency graph over a mission's steps, indexed by declaration order.
#[derive(Debug, Clone)]
pub struct Dag {
    len: usize,
    /// `dependents[dependents_at[i]..dependents_at[i + 1]]` are the steps that wait for step `i`.
    dependents_at: Vec<u32>,
    dependents: Vec<u32>,
    /// Number of dependencies of each step (duplicates in `depends_on` count once).
    indegree: Vec<u32>,
    /// `dependencies[dependencies_at[i]..dependencies_at[i + 1]]` are the steps in step `i`'s
    /// `depends_on`, as written (duplicates included).
    dependencies_at: Vec<u32>,
    dependencies: Vec<u32>,
}

impl Dag {
    /// Builds the graph, refusing duplicate ids, unknown dependencies and cycles (with the path).
    pub fn build(steps: &[Step]) -> Result<Self, EngineError> {
        let len = steps.len();
        let mut index = IdIndex::with_capacity_and_hasher(len, IdHashState::new());
        for (i, step) in steps.iter().enumerate() {
            if index.insert(step.id.as_str(), i as u32).is_some() {
                return Err(EngineError::DuplicateStep(step.id.clone()));
            }
        }
        let mut indegree = vec![0u32; len];
        let mut out_count = vec![0u32; len + 1];
        let mut edges: Vec<(u32, u32)> = Vec::with_capacity(len);
        let mut dependencies_at = Vec::with_capacity(len + 1);
        let mut dependencies = Vec::with_capacity(len);
        dependencies_at.push(0);
        for (i, step) in steps.iter().enumerate() {
            let first_edge = edges.len();
            for dep in &step.depends_on {
                let Some(&d) = index.get(dep.as_str()) else {
                    return Err(EngineError::UnknownDependency {
                        step: step.id.clone(),
                        missing: dep.clone(),
                    });
                };
                dependencies.push(d);
                // A dependency listed twice is one edge.
                if edges[first_edge..].iter().any(|&(from, _)| from == d) {
                    continue;
                }
                edges.push((d, i as u32));
                out_count[d as usize] += 1;
                indegree[i] += 1;
            }
            dependencies_at.push(dependencies.len() as u32);
        }
        // Prefix sums give each step its slice of dependents; filling in edge order keeps each
        // slice in declaration order of the dependents.
        let mut dependents_at = vec![0u32; len + 1];
        for i in 0..len {
            dependents_at[i + 1] = dependents_at[i] + out_count[i];
        }
        let mut fill = dependents_at.clone();
        let mut dependents = vec![0u32; edges.len()];
        for &(from, to) in &edges {
            dependents[fill[from as usize] as usize] = to;
            fill[from as usize] += 1;
        }
        let dag = Self {
            len,
            dependents_at,
            dependents,
            indegree,
            dependencies_at,
            dependencies,
        };
        if let Some(cycle) = dag.find_cycle() {
            return Err(EngineError::Cycle(
                cycle
                    .into_iter()
                    .map(|i| steps[i as usize].id.clone())
                    .collect(),
            ));
        }
        Ok(dag)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The steps that depend on step `i`.
    pub fn dependents(&self, i: usize) -> &[u32] {
        &self.dependents[self.dependents_at[i] as usize..self.dependents_at[i + 1] as usize]
    }

    /// The steps that step `i` depends on, as its `depends_on` lists them.
    pub fn dependencies(&self, i: usize) -> &[u32] {
        &self.dependencies[self.dependencies_at[i] as usize..self.dependencies_at[i + 1] as usize]
    }

    /// The number of distinct dependencies of each step.
    pub fn indegrees(&self) -> &[u32] {
        &self.indegree
    }

    /// A topological order (Kahn), preferring declaration order among ready steps.
    pub fn topo_order(&self) -> Vec<u32> {
        let mut remaining = self.indegree.clone();
        let mut ready: std::collections::BinaryHeap<std::cmp::Reverse<u32>> = (0..self.len as u32)
            .filter(|&i| remaining[i as usize] == 0)
            .map(std::cmp::Reverse)
            .collect();
        let mut order = Vec::with_capacity(self.len);
        while let Some(std::cmp::Reverse(i)) = ready.pop() {
            order.push(i);
            for &d in self.dependents(i as usize) {
                remaining[d as usize] -= 1;
                if remaining[d as usize] == 0 {
                    ready.push(std::cmp::Reverse(d));
                }
            }
        }
        order
    }

    /// Whether every step can be ordered (Kahn's count, any order: no priority queue).
    fn is_acyclic(&self) -> bool {
        let mut remaining = self.indegree.clone();
        let mut stack: Vec<u32> = (0..self.len as u32)
            .filter(|&i| remaining[i as usize] == 0)
            .collect();
        let mut seen = 0;
        while let Some(i) = stack.pop() {
            seen += 1;
            for &d in self.dependents(i as usize) {
                remaining[d as usize] -= 1;
                if remaining[d as usize] == 0 {
                    stack.push(d);
                }
            }
        }
        seen == self.len
    }

    /// Returns one cycle as a closed path (`a, b, c, a`), if the graph has one.
    fn find_cycle(&self) -> Option<Vec<u32>> {
        // Kahn first: linear, and most graphs have no cycle.
        if self.is_acyclic() {
            return None;
        }
        // Iterative DFS with colours to extract the path.
        const WHITE: u8 = 0;
        const GREY: u8 = 1;
        const BLACK: u8 = 2;
        let mut colour = vec![WHITE; self.len];
        let mut stack: Vec<(u32, usize)> = Vec::new();
        for start in 0..self.len as u32 {
            if colour[start as usize] != WHITE {
                continue;
            }
            stack.push((start, 0));
            colour[start as usize] = GREY;
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                let deps = self.dependents(node as usize);
                if *next < deps.len() {
                    let child = deps[*next];
                    *next += 1;
                    match colour[child as usize] {
                        WHITE => {
                            colour[child as usize] = GREY;
                            stack.push((child, 0));
                        }
                        GREY => {
                            let from = stack.iter().position(|&(n, _)| n == child).unwrap_or(0);
                            // Edges point from a dependency to its dependent; the path reads
                            // in `depends_on` direction, so reverse it.
                            let mut path: Vec<u32> =
                                stack[from..].iter().map(|&(n, _)| n).collect();
                            path.reverse();
                            path.push(path[0]);
                            return Some(path);
                        }
                        _ => {}
                    }
                } else {
                    colour[node as usize] = BLACK;
                    stack.pop();
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn steps(spec: &[(&str, &[&str])]) -> Vec<Step> {
        spec.iter()
            .map(|(id, deps)| {
                serde_json::from_value(json!({"id": id, "step_type": "noop", "depends_on": deps}))
                    .unwrap()
            })
            .collect()
    }

    #[test]
    fn dependents_are_listed_per_step_in_declaration_order() {
        let dag = Dag::build(&steps(&[("a", &[]), ("b", &["a"]), ("c", &["a", "a"])])).unwrap();
        assert_eq!(dag.dependents(0), &[1, 2]);
        assert_eq!(
            dag.indegrees(),
            &[0, 1, 1],
            "a duplicated dependency counts once"
        );
        assert_eq!(dag.topo_order(), vec![0, 1, 2]);
    }

    #[test]
    fn a_cycle_is_refused_with_its_path() {
        let err = Dag::build(&steps(&[
            ("a", &["c"]),
            ("b", &["a"]),
            ("c", &["b"]),
            ("d", &[]),
        ]))
        .unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(err, EngineError::Cycle(ref p) if p.len() == 4),
            "{msg}"
        );
        assert!(
            msg.contains("a -> c -> b -> a") || msg.contains("c -> b -> a -> c"),
            "{msg}"
        );
    }

    #[test]
    fn unknown_dependencies_and_duplicates_are_refused() {
        let err = Dag::build(&steps(&[("a", &["zz"])])).unwrap_err();
        assert!(err.to_string().contains("`zz`"), "{err}");
        let err = Dag::build(&steps(&[("a", &[]), ("a", &[])])).unwrap_err();
        assert!(
            matches!(err, EngineError::DuplicateStep(ref id) if id == "a"),
            "{err}"
        );
    }
}
