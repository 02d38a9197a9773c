//! "Did you mean …?" suggestions for misspelt names.

/// The candidate closest to `input`, when it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let input_lower = input.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::jaro_winkler(&input_lower, &c.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_suggested_and_far_ones_are_not() {
        let names = ["create_file", "read_file", "command", "http"];
        assert_eq!(did_you_mean("create_fle", names), Some("create_file"));
        assert_eq!(did_you_mean("Comand", names), Some("command"));
        assert_eq!(did_you_mean("teleport", names), None);
        assert_eq!(did_you_mean("x", []), None);
    }
}
