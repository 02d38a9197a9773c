//! How well a template's name answers a text search, so that typing part of a name finds it
//! first. The library's UI ranks with the same rules (`ui/src/pages/library/filter.ts`).
//!
//! Every word of the search must occur somewhere (name, goal, tags, sector, departments or id)
//! for a template to match at all; among the matches, the better [`Relevance`] comes first:
//! the whole search equal to the name, then the name starting with it, then every word of the
//! search starting a word of the name, then the rest (a match inside a word or in another
//! field). Ties keep the list's sort (by name unless another sort is asked for).

/// The rank of a match, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Relevance {
    /// The search is the name ("nda triage" for NDA Triage).
    ExactName,
    /// The name starts with the search ("nda" for NDA Triage).
    NamePrefix,
    /// Every word of the search starts a word of the name ("tri" for NDA Triage).
    NameWordPrefix,
    /// The words occur elsewhere: inside a word of the name ("nda" in Agenda), or in the goal,
    /// tags, sector, departments or id.
    Elsewhere,
}

/// The words of a lower-cased name: runs of letters and digits.
pub fn name_words(name: &str) -> Vec<String> {
    name.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// A search's words, lower-cased, and the words joined by one space.
#[derive(Debug, Clone, Default)]
pub struct SearchText {
    pub words: Vec<String>,
    phrase: String,
}

impl SearchText {
    pub fn new(search: &str) -> Self {
        let words: Vec<String> = search.split_whitespace().map(str::to_lowercase).collect();
        let phrase = words.join(" ");
        Self { words, phrase }
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// How well a name (lower-cased, with its [`name_words`]) answers the search.
    pub fn relevance(&self, name: &str, words_of_name: &[String]) -> Relevance {
        let collapsed = name.split_whitespace().collect::<Vec<_>>().join(" ");
        if collapsed == self.phrase {
            Relevance::ExactName
        } else if collapsed.starts_with(&self.phrase) {
            Relevance::NamePrefix
        } else if self
            .words
            .iter()
            .all(|w| words_of_name.iter().any(|n| n.starts_with(w.as_str())))
        {
            Relevance::NameWordPrefix
        } else {
            Relevance::Elsewhere
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{TemplateSource, TemplateSummary};
    use crate::query::{Snapshot, SortKey, TemplateQuery};
    use std::path::PathBuf;

    fn rel(search: &str, name: &str) -> Relevance {
        let name = name.to_lowercase();
        SearchText::new(search).relevance(&name, &name_words(&name))
    }

    #[test]
    fn ranks_exact_then_prefix_then_word_prefix_then_the_rest() {
        assert_eq!(rel("NDA  triage", "NDA Triage"), Relevance::ExactName);
        assert_eq!(rel("nda", "NDA Triage"), Relevance::NamePrefix);
        assert_eq!(rel("nda tri", "NDA Triage"), Relevance::NamePrefix);
        assert_eq!(rel("tri", "NDA Triage"), Relevance::NameWordPrefix);
        assert_eq!(rel("triage nda", "NDA Triage"), Relevance::NameWordPrefix);
        assert_eq!(
            rel("gdpr", "Vendor (GDPR) check"),
            Relevance::NameWordPrefix
        );
        assert_eq!(rel("nda", "Agenda Builder"), Relevance::Elsewhere);
        assert_eq!(rel("contract", "NDA Triage"), Relevance::Elsewhere);
    }

    fn t(id: &str, name: &str, goal: &str, roi: f64) -> TemplateSummary {
        let summary = serde_json::json!({
            "id": id,
            "name": name,
            "sector": "Legal",
            "goal": goal,
            "required_depts": ["legal"],
            "risk": "low",
            "est_roi": roi,
            "value_usd": 10.0,
            "tags": ["contracts"],
            "logic_hash": format!("sha256:{id}"),
            "path": PathBuf::from(format!("/lib/{id}.yaml")),
            "source": TemplateSource::Builtin,
            "stats": null,
            "badges": [],
            "roi": roi,
            "roi_is_estimate": true,
            "risk_level": "low",
        });
        serde_json::from_value(summary).unwrap()
    }

    fn library() -> Snapshot {
        Snapshot::from_summaries(vec![
            t("agenda", "Agenda Builder", "Plan a meeting", 9.0),
            t("calendar", "Content Calendar Plan", "Plan posts", 8.0),
            t(
                "mandatory",
                "Mandatory Training Chaser",
                "Chase trainings",
                7.0,
            ),
            t(
                "review",
                "Contract Review",
                "Review an NDA or a contract",
                6.0,
            ),
            t("triage", "NDA Triage", "Sort incoming agreements", 1.0),
            t("nda-exact", "NDA", "The bare name", 0.5),
            t(
                "vendor",
                "Vendor NDA Tracker",
                "Track signed agreements",
                2.0,
            ),
        ])
    }

    fn ids(lib: &Snapshot, search: &str, sort: SortKey) -> Vec<String> {
        lib.query(&TemplateQuery {
            search: Some(search.into()),
            sort,
            ..TemplateQuery::default()
        })
        .into_iter()
        .map(|s| s.id)
        .collect()
    }

    #[test]
    fn searching_nda_ranks_the_names_that_start_with_it_first() {
        let lib = library();
        assert_eq!(
            ids(&lib, "nda", SortKey::Name),
            [
                "nda-exact", // exact name
                "triage",    // name prefix
                "vendor",    // word prefix in the name
                "agenda",    // inside a word of the name, then other fields, by name
                "calendar",
                "review",
                "mandatory",
            ]
        );
        assert_eq!(ids(&lib, "nda tri", SortKey::Name), ["triage"]);
    }

    #[test]
    fn a_sort_orders_within_each_rank() {
        let lib = library();
        assert_eq!(
            ids(&lib, "nda", SortKey::Roi),
            [
                "nda-exact",
                "triage",
                "vendor",
                "agenda",
                "calendar",
                "mandatory",
                "review"
            ]
        );
        // Without a search, the sort alone decides.
        assert_eq!(
            ids(&lib, "", SortKey::Roi)[..3],
            ["agenda", "calendar", "mandatory"]
        );
    }

    #[test]
    fn departments_are_searched_like_the_ui_does() {
        let lib = library();
        assert_eq!(ids(&lib, "legal", SortKey::Name).len(), 7);
    }
}
