//! The order of the run's results: step ids sorted as text, without comparing strings.

use super::StepSpec;

/// An id's first 8 bytes as one big-endian integer: ids compare as these integers first (a
/// short id padded with zeros sorts before its extensions, as text does).
pub(super) fn id_prefix(id: &str) -> u64 {
    let mut bytes = [0u8; 8];
    let n = id.len().min(8);
    bytes[..n].copy_from_slice(&id.as_bytes()[..n]);
    u64::from_be_bytes(bytes)
}

/// Step indexes in the order of their ids: a radix sort of the id prefixes (read once, when
/// the run starts), then ids that share a prefix compared as text.
pub(super) fn sorted_by_id(specs: &[StepSpec]) -> Vec<u32> {
    let keyed: Vec<(u64, u32)> = specs
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id_prefix, i as u32))
        .collect();
    let mut keyed = radix_sort_by_key(keyed);
    let mut at = 0;
    while at < keyed.len() {
        let end = at
            + keyed[at..]
                .iter()
                .take_while(|k| k.0 == keyed[at].0)
                .count();
        if end - at > 1 {
            keyed[at..end]
                .sort_unstable_by(|a, b| specs[a.1 as usize].id.cmp(&specs[b.1 as usize].id));
        }
        at = end;
    }
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// Sorts `(key, index)` pairs by key, least significant byte first (stable), one pass per byte
/// in which the keys differ.
pub(super) fn radix_sort_by_key(mut items: Vec<(u64, u32)>) -> Vec<(u64, u32)> {
    if items.len() < 64 {
        items.sort_unstable();
        return items;
    }
    let (all_or, all_and) = items
        .iter()
        .fold((0u64, u64::MAX), |(o, a), &(k, _)| (o | k, a & k));
    let differ = all_or ^ all_and;
    let mut scratch = vec![(0u64, 0u32); items.len()];
    for byte in 0..8 {
        let shift = byte * 8;
        if (differ >> shift) & 0xff == 0 {
            continue;
        }
        let mut counts = [0usize; 257];
        for &(k, _) in &items {
            counts[((k >> shift) & 0xff) as usize + 1] += 1;
        }
        for b in 0..256 {
            counts[b + 1] += counts[b];
        }
        for &item in &items {
            let b = ((item.0 >> shift) & 0xff) as usize;
            scratch[counts[b]] = item;
            counts[b] += 1;
        }
        std::mem::swap(&mut items, &mut scratch);
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_radix_sort_orders_keys_as_a_comparison_sort_does() {
        let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for len in [0, 1, 63, 64, 1000] {
            let items: Vec<(u64, u32)> = (0..len)
                .map(|i| (next() & 0x00ff_00ff_0000_ffff, i as u32))
                .collect();
            let mut expected = items.clone();
            expected.sort();
            assert_eq!(radix_sort_by_key(items), expected);
        }
    }
}
