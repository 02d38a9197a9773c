//! A generated corpus for the recall test: 220 short documents about fictional entities of ten
//! kinds (towns, firms, animals, ships, software libraries, researchers, rivers, dishes,
//! minerals, mountains), and questions about some of them worded unlike their documents.
//!
//! Entities have invented names; the places, products and other attributes come from shared
//! pools, so many documents share words with each question, and a question's answer is the one
//! document that has all it asks about ([`Question::must_have`]). Everything comes from a fixed
//! seed: the same corpus on every run.

/// One document.
pub struct Doc {
    pub id: String,
    pub kind: &'static str,
    pub text: String,
}

/// A question and the document that answers it.
pub struct Question {
    pub text: String,
    pub answer: String,
    /// Words of the answer's document that together single it out (checked: no other
    /// document has all of them).
    pub must_have: Vec<String>,
}

/// xorshift64*: a small deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }

    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

const SYLLABLES: &[&str] = &[
    "var", "hol", "mek", "tor", "il", "qua", "ren", "sol", "dru", "nax", "pel", "or", "zan", "kes",
    "lum", "bro", "fen", "gal", "thi", "wex", "ost", "bar", "cyr", "dal", "emb", "fir",
];

const REGIONS: &[&str] = &[
    "Eldmark", "Surhaven", "Kelvoria", "Ostrand", "Maraquin", "Tellerby", "Vinhalt", "Corrowen",
    "Draskel", "Pimbria", "Ulvenor", "Hasterly",
];
const CITIES: &[&str] = &[
    "Telmarra",
    "Brisk",
    "Oldcastle",
    "Fenwick",
    "Quarrow",
    "Saltmere",
    "Ivybridge",
    "Dunmoor",
    "Ashgrove",
    "Kettering",
    "Lowmarsh",
    "Redhollow",
    "Stonebury",
    "Westerly",
    "Yarrowby",
];
const PEOPLE: &[&str] = &[
    "Ilsa Vantor",
    "Tova Brenn",
    "Marek Solvay",
    "Anneli Kross",
    "Dorian Pell",
    "Hedda Lune",
    "Oskar Thale",
    "Priya Castell",
    "Rune Maddox",
    "Selma Ortiz",
    "Viktor Hale",
    "Wenna Drury",
    "Yusuf Carrow",
    "Zelda Fenn",
    "Bram Oakes",
    "Clio Marsh",
];

/// The generator and the names it invented, so no name is invented twice.
struct Gen {
    rng: Rng,
    used: std::collections::HashSet<String>,
}

impl Gen {
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        self.rng.pick(items)
    }

    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        self.rng.range(lo, hi)
    }

    /// A new capitalised name of `syllables` syllables.
    fn invent(&mut self, syllables: u64) -> String {
        loop {
            let mut n = String::new();
            for _ in 0..syllables {
                n.push_str(self.rng.pick(SYLLABLES));
            }
            let mut c = n.chars();
            let n: String = c
                .next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default();
            if self.used.insert(n.clone()) {
                return n;
            }
        }
    }
}

/// One generated entity: its document text, a question about it, and what singles it out.
type Entity = (String, String, Vec<String>);

fn town(rng: &mut Gen, name: &str) -> Entity {
    let region = rng.pick(REGIONS);
    let coast = rng.pick(&["northern", "southern", "eastern", "western"]);
    let industry = rng.pick(&[
        "herring fishing",
        "salt panning",
        "shipbuilding",
        "wool weaving",
        "oyster farming",
        "peat cutting",
    ]);
    let month = rng.pick(&["March", "June", "August", "October", "December"]);
    let festival = format!("{}fest", name.to_lowercase());
    (
        format!("{name} is a small town on the {coast} coast of {region}. Its economy rests on {industry}, and every {month} it hosts the {festival} celebration, which draws visitors from across the country."),
        format!("Which seaside place in {region} holds {festival} each year?"),
        vec![region.to_lowercase(), festival],
    )
}

fn firm(rng: &mut Gen, name: &str) -> Entity {
    let city = rng.pick(CITIES);
    let product = rng.pick(&[
        "marine sonar equipment",
        "industrial kilns",
        "bicycle gears",
        "hearing aids",
        "solar inverters",
        "weather balloons",
        "printing presses",
        "cold storage units",
    ]);
    let year = rng.range(1900, 2015);
    let people = rng.range(40, 4000);
    let founder = rng.pick(PEOPLE);
    let product_word = product.split(' ').next_back().unwrap_or(product);
    (
        format!("{name} Industries was founded in {year} in {city} by {founder}. The company makes {product} and employs about {people} people."),
        format!("What manufacturer of {product_word} did {founder} start in {city}?"),
        vec![city.to_lowercase(), founder.split(' ').next_back().unwrap().to_lowercase(), product_word.to_string()],
    )
}

fn animal(rng: &mut Gen, name: &str) -> Entity {
    let color = rng.pick(&["crimson", "slate", "amber", "ivory", "olive", "cobalt"]);
    let kind = rng.pick(&["newt", "finch", "vole", "moth", "heron", "marten", "beetle"]);
    let habitat = rng.pick(&[
        "peat bogs",
        "limestone caves",
        "alpine meadows",
        "mangrove swamps",
        "pine forests",
        "salt marshes",
    ]);
    let food = rng.pick(&[
        "snails",
        "lichen",
        "seeds",
        "mosquito larvae",
        "berries",
        "crayfish",
    ]);
    let person = rng.pick(PEOPLE);
    let year = rng.range(1820, 1990);
    let latin = format!(
        "{}us {}ii",
        name.to_lowercase(),
        person.split(' ').next_back().unwrap().to_lowercase()
    );
    (
        format!("The {color} {kind} ({latin}) lives in the {habitat} of {region}. It feeds mainly on {food} and was first described by {person} in {year}.", region = rng.pick(REGIONS)),
        format!("Which {kind} named after {person} eats {food}?"),
        vec![kind.to_string(), person.split(' ').next_back().unwrap().to_lowercase(), food.split(' ').next_back().unwrap().to_string()],
    )
}

fn ship(rng: &mut Gen, name: &str) -> Entity {
    let kind = rng.pick(&[
        "cargo steamer",
        "whaling barque",
        "passenger liner",
        "ore carrier",
        "research schooner",
    ]);
    let port = rng.pick(CITIES);
    let year = rng.range(1850, 1960);
    let sea = rng.pick(&[
        "the Grey Sea",
        "the Amber Strait",
        "the Narrow Sound",
        "the Outer Reach",
        "the Cold Banks",
    ]);
    let hazard = rng.pick(&[
        "an iceberg",
        "a reef",
        "a sunken wreck",
        "rocks in fog",
        "a drifting mine",
    ]);
    (
        format!("The SS {name} was a {kind} launched at {port} in {year}. She sank in {sea} after striking {hazard}; most of her crew survived."),
        format!("Which vessel built at {port} went down in {sea} after hitting {hazard}?"),
        vec![port.to_lowercase(), sea.split(' ').nth(1).unwrap().to_lowercase(), hazard.split(' ').next_back().unwrap().to_string()],
    )
}

fn library(rng: &mut Gen, name: &str) -> Entity {
    let lang = rng.pick(&["Rust", "Python", "Go", "Haskell", "Kotlin", "Elixir"]);
    let task = rng.pick(&[
        "parsing spreadsheets",
        "resizing images",
        "scheduling cron jobs",
        "compressing logs",
        "validating postal codes",
        "rendering maps",
    ]);
    let major = rng.range(1, 9);
    let feature = rng.pick(&[
        "streaming input",
        "async runtimes",
        "WebAssembly targets",
        "plugin hooks",
        "colour profiles",
    ]);
    let lower = name.to_lowercase();
    (
        format!("{lower} is an open-source library written in {lang} for {task}. Version {major}.0 added support for {feature}, and its maintainers publish a release every quarter."),
        format!("Which {lang} package for {task} gained {feature} in a major release?"),
        vec![lang.to_lowercase(), task.split(' ').next_back().unwrap().to_string(), feature.split(' ').next().unwrap().to_lowercase()],
    )
}

fn researcher(rng: &mut Gen, _name: &str) -> Entity {
    let first = rng.pick(&[
        "Astrid", "Bettina", "Cora", "Daria", "Elin", "Freya", "Greta", "Hanne", "Ingrid",
        "Jolene", "Katya", "Liv",
    ]);
    let last = rng.invent(2);
    let field = rng.pick(&[
        "marine chemistry",
        "glaciology",
        "plant genetics",
        "astrophysics",
        "soil science",
        "epidemiology",
    ]);
    let city = rng.pick(CITIES);
    let discovery = format!(
        "the {} {}",
        rng.invent(2).to_lowercase(),
        rng.pick(&[
            "effect",
            "enzyme",
            "comet",
            "bacterium",
            "current",
            "isotope"
        ])
    );
    (
        format!("{first} {last} was a {field} researcher at the University of {city}. She is best known for discovering {discovery}, which now carries her name in textbooks."),
        format!("Who identified {discovery} while working in {city}?"),
        vec![discovery.split(' ').nth(1).unwrap().to_string(), city.to_lowercase()],
    )
}

fn river(rng: &mut Gen, name: &str) -> Entity {
    let mountains = format!("{} Hills", rng.invent(2));
    let km = rng.range(40, 900);
    let lake = format!("Lake {}", rng.invent(2));
    let crop = rng.pick(&["apple", "barley", "hop", "tea", "olive", "flax"]);
    (
        format!("The {name} River rises in the {mountains} and flows {km} kilometres into {lake}. Its valley is known for {crop} farms and old stone mills."),
        format!("What stream begins in the {mountains} and empties into {lake}?"),
        vec![mountains.split(' ').next().unwrap().to_lowercase(), lake.split(' ').nth(1).unwrap().to_lowercase()],
    )
}

fn dish(rng: &mut Gen, name: &str) -> Entity {
    let region = rng.pick(REGIONS);
    let a = rng.pick(&[
        "barley",
        "lentils",
        "rye bread",
        "turnips",
        "chestnuts",
        "buckwheat",
    ]);
    let b = rng.pick(&[
        "sour cream",
        "juniper",
        "dill",
        "honey",
        "mustard seed",
        "sorrel",
    ]);
    let c = rng.pick(&["eel", "mutton", "trout", "pork belly", "goat cheese"]);
    let occasion = rng.pick(&[
        "weddings",
        "harvest suppers",
        "midwinter feasts",
        "funerals",
        "market days",
    ]);
    let lower = name.to_lowercase();
    (
        format!("{lower} is a traditional dish from {region}, made of {a}, {b} and smoked {c}. It is usually served at {occasion}."),
        format!("Which recipe from {region} mixes {a} with smoked {c}?"),
        vec![region.to_lowercase(), a.split(' ').next().unwrap().to_string(), c.split(' ').next().unwrap().to_string()],
    )
}

fn mineral(rng: &mut Gen, name: &str) -> Entity {
    let color = rng.pick(&[
        "green",
        "violet",
        "honey-coloured",
        "black",
        "rose",
        "smoky",
    ]);
    let town = rng.pick(CITIES);
    let property = rng.pick(&[
        "hardness",
        "fluorescence",
        "heat resistance",
        "magnetism",
        "clarity",
    ]);
    let usage = rng.pick(&[
        "watch bearings",
        "furnace linings",
        "jewellery",
        "compass needles",
        "optical lenses",
    ]);
    (
        format!("{name}ite is a {color} mineral mined near {town}. It is prized for its {property} and used in {usage}."),
        format!("Which {color} stone dug up close to {town} is valued for {property}?"),
        vec![color.split('-').next().unwrap().to_string(), town.to_lowercase(), property.split(' ').next().unwrap().to_string()],
    )
}

fn mountain(rng: &mut Gen, name: &str) -> Entity {
    let height = rng.range(1200, 5200);
    let valley = format!("{} valley", rng.invent(2));
    let person = rng.pick(PEOPLE);
    let year = rng.range(1790, 1970);
    (
        format!("Mount {name} rises {height} metres above the {valley}. The first recorded ascent was made by {person} in {year}, by the south ridge."),
        format!("Who was the first to climb the peak that towers over the {valley}?"),
        vec![valley.split(' ').next().unwrap().to_lowercase()],
    )
}

/// Makes one entity of a kind from its invented name.
type Make = fn(&mut Gen, &str) -> Entity;

const KINDS: &[(&str, Make)] = &[
    ("town", town),
    ("firm", firm),
    ("animal", animal),
    ("ship", ship),
    ("library", library),
    ("researcher", researcher),
    ("river", river),
    ("dish", dish),
    ("mineral", mineral),
    ("mountain", mountain),
];

/// Entities per kind.
const PER_KIND: usize = 22;
/// The entities asked about, by their number within their kind: two per kind (or the next one
/// whose question has a single answer).
const ASKED: [usize; 2] = [4, 17];

/// The lower-cased words of a text.
pub fn words(text: &str) -> std::collections::HashSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The documents and the questions.
pub fn corpus() -> (Vec<Doc>, Vec<Question>) {
    let mut g = Gen {
        rng: Rng(0x9e37_79b9_7f4a_7c15),
        used: std::collections::HashSet::new(),
    };
    let mut docs = Vec::new();
    let mut candidates = Vec::new();
    for (kind, make) in KINDS {
        let mut of_kind = Vec::new();
        for i in 0..PER_KIND {
            let syllables = g.range(2, 3);
            let entity_name = g.invent(syllables);
            let (text, question, must_have) = make(&mut g, &entity_name);
            let id = format!("{kind}-{i:02}");
            of_kind.push(Question {
                text: question,
                answer: id.clone(),
                must_have,
            });
            docs.push(Doc { id, kind, text });
        }
        candidates.push(of_kind);
    }
    let doc_words: Vec<_> = docs.iter().map(|d| words(&d.text)).collect();
    let single_answer = |q: &Question| {
        doc_words
            .iter()
            .filter(|w| q.must_have.iter().all(|m| w.contains(m)))
            .count()
            == 1
    };
    let mut questions = Vec::new();
    for of_kind in candidates {
        let mut taken = Vec::new();
        for start in ASKED {
            let pick = (start..PER_KIND)
                .chain(0..start)
                .find(|i| !taken.contains(i) && single_answer(&of_kind[*i]))
                .expect("a question with a single answer");
            taken.push(pick);
        }
        let mut of_kind = of_kind;
        taken.sort_unstable();
        for i in taken.into_iter().rev() {
            questions.push(of_kind.swap_remove(i));
        }
    }
    (docs, questions)
}
