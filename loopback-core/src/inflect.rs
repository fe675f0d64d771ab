//! English pluralisation with the rules of the `inflection` package that LoopBack 3 uses for
//! default model plurals (`Person` → `People`, `Category` → `Categories`, `Leaf` → `Leafs`).

use std::sync::OnceLock;

use regex::Regex;

/// Words whose plural is the same word (compared case-insensitively with the whole name).
const UNCOUNTABLE: &[&str] = &[
    "accommodation", "adulthood", "advertising", "advice", "aggression", "aid", "air",
    "aircraft", "alcohol", "anger", "applause", "arithmetic", "assistance", "athletics",
    "bacon", "baggage", "beef", "biology", "billiards", "blood", "botany", "bowels", "bread",
    "butter", "carbon", "cardboard", "cash", "chalk", "chaos", "chess", "crossroads",
    "countryside", "dancing", "deer", "dignity", "dirt", "dust", "economics", "education",
    "electricity", "engineering", "enjoyment", "envy", "equipment", "ethics", "evidence",
    "evolution", "fame", "fiction", "flour", "flu", "food", "fuel", "fun", "furniture",
    "gallows", "garbage", "garlic", "gas", "genetics", "gold", "golf", "gossip", "gratitude",
    "grief", "guilt", "gymnastics", "happiness", "hardware", "harm", "hate", "hatred", "health",
    "heat", "help", "homework", "honesty", "honey", "hospitality", "housework", "humour",
    "hunger", "hydrogen", "ice", "importance", "inflation", "information", "innocence", "iron",
    "irony", "jam", "jewelry", "judo", "karate", "knowledge", "lack", "laughter", "lava",
    "leather", "leisure", "lightning", "linguine", "linguini", "linguistics", "literature",
    "litter", "livestock", "logic", "loneliness", "luck", "luggage", "macaroni", "machinery",
    "magic", "management", "mankind", "marble", "mathematics", "mayonnaise", "measles",
    "methane", "milk", "minus", "money", "mud", "music", "mumps", "nature", "news", "nitrogen",
    "nonsense", "nurture", "nutrition", "obedience", "obesity", "oxygen", "pasta", "patience",
    "physics", "poetry", "pollution", "poverty", "pride", "psychology", "publicity",
    "punctuation", "quartz", "racism", "relaxation", "reliability", "research", "respect",
    "revenge", "rice", "rubbish", "rum", "safety", "scenery", "seafood", "seaside", "series",
    "shame", "sheep", "shopping", "sleep", "smoke", "smoking", "snow", "soap", "software",
    "soil", "spaghetti", "species", "steam", "stuff", "stupidity", "sunshine", "symmetry",
    "tennis", "thirst", "thunder", "timber", "traffic", "transportation", "trust", "underwear",
    "unemployment", "unity", "validity", "veal", "vegetation", "vegetarianism", "vengeance",
    "violence", "vitality", "warmth", "wealth", "weather", "welfare", "wheat", "wildlife",
    "wisdom", "yoga", "zinc", "zoology",
];

/// Rules tried in order; the first whose pattern matches decides. A rule without a replacement
/// means "already plural: keep as is".
const RULES: &[(&str, Option<&str>)] = &[
    (r"(?i)^(m|wom)en$", None),
    (r"(?i)(pe)ople$", None),
    (r"(?i)(child)ren$", None),
    (r"(?i)([ti])a$", None),
    (r"(?i)((a)naly|(b)a|(d)iagno|(p)arenthe|(p)rogno|(s)ynop|(t)he)ses$", None),
    (r"(?i)(database)s$", None),
    (r"(?i)(drive)s$", None),
    (r"(?i)(hi|ti)ves$", None),
    (r"(?i)(curve)s$", None),
    (r"(?i)([lr])ves$", None),
    (r"(?i)([^fo])ves$", None),
    (r"(?i)([^aeiouy]|qu)ies$", None),
    (r"(?i)(s)eries$", None),
    (r"(?i)(m)ovies$", None),
    (r"(?i)(x|ch|ss|sh)es$", None),
    (r"(?i)([m|l])ice$", None),
    (r"(?i)(bus)es$", None),
    (r"(?i)(o)es$", None),
    (r"(?i)(shoe)s$", None),
    (r"(?i)(cris|ax|test)es$", None),
    (r"(?i)(octop|vir)uses$", None),
    (r"(?i)(alias|canvas|status|campus)es$", None),
    (r"(?i)^(summons|bonus)es$", None),
    (r"(?i)^(ox)en", None),
    (r"(?i)(matr)ices$", None),
    (r"(?i)^feet$", None),
    (r"(?i)^teeth$", None),
    (r"(?i)^geese$", None),
    (r"(?i)(quiz)zes$", None),
    (r"(?i)^(whereas)es$", None),
    (r"(?i)^(criteri)a$", None),
    (r"(?i)^genera$", None),
    (r"(?i)^(m|wom)an$", Some("${1}en")),
    (r"(?i)(pe)rson$", Some("${1}ople")),
    (r"(?i)(child)$", Some("${1}ren")),
    (r"(?i)(drive)$", Some("${1}s")),
    (r"(?i)^(ox)$", Some("${1}en")),
    (r"(?i)(ax|test)is$", Some("${1}es")),
    (r"(?i)(octop|vir)us$", Some("${1}uses")),
    (r"(?i)(alias|status|canvas|campus)$", Some("${1}es")),
    (r"(?i)^(summons|bonus)$", Some("${1}es")),
    (r"(?i)(bu)s$", Some("${1}ses")),
    (r"(?i)(buffal|tomat|potat)o$", Some("${1}oes")),
    (r"(?i)([ti])um$", Some("${1}a")),
    (r"(?i)sis$", Some("ses")),
    (r"(?i)(?:([^f])fe|([lr])f)$", Some("${1}${2}ves")),
    (r"(?i)(hi|ti)ve$", Some("${1}ves")),
    (r"(?i)([^aeiouy]|qu)y$", Some("${1}ies")),
    (r"(?i)(matr)ix$", Some("${1}ices")),
    (r"(?i)(vert|ind)ex$", Some("${1}ices")),
    (r"(?i)(x|ch|ss|sh)$", Some("${1}es")),
    (r"(?i)([m|l])ouse$", Some("${1}ice")),
    (r"(?i)^foot$", Some("feet")),
    (r"(?i)^tooth$", Some("teeth")),
    (r"(?i)^goose$", Some("geese")),
    (r"(?i)(quiz)$", Some("${1}zes")),
    (r"(?i)^(whereas)$", Some("${1}es")),
    (r"(?i)^(criteri)on$", Some("${1}a")),
    (r"(?i)^genus$", Some("genera")),
    (r"(?i)s$", Some("s")),
    (r"(?i)$", Some("s")),
];

fn rules() -> &'static [(Regex, Option<&'static str>)] {
    static COMPILED: OnceLock<Vec<(Regex, Option<&'static str>)>> = OnceLock::new();
    COMPILED.get_or_init(|| {
        RULES
            .iter()
            .map(|(p, r)| (Regex::new(p).expect("inflection rules are valid regexes"), *r))
            .collect()
    })
}

/// The plural LoopBack 3 derives from a model name.
pub fn pluralize(word: &str) -> String {
    let lower = word.to_lowercase();
    if UNCOUNTABLE.contains(&lower.as_str()) {
        return word.to_owned();
    }
    for (re, replacement) in rules() {
        if re.is_match(word) {
            return match replacement {
                None => word.to_owned(),
                Some(r) => re.replace_all(word, *r).into_owned(),
            };
        }
    }
    word.to_owned()
}

#[cfg(test)]
mod tests {
    use super::pluralize;

    /// Expected values recorded from `inflection.pluralize` 1.13.4 (the version LoopBack 3.28
    /// resolves).
    #[test]
    fn matches_inflection() {
        let cases = [
            ("Box", "Boxes"), ("Person", "People"), ("Category", "Categories"), ("Status", "Statuses"),
            ("Quiz", "Quizzes"), ("Address", "Addresses"), ("Leaf", "Leafs"), ("Day", "Days"),
            ("AccessToken", "AccessTokens"), ("Child", "Children"), ("Mouse", "Mice"), ("Data", "Data"),
            ("Axis", "Axes"), ("Analysis", "Analyses"), ("Knife", "Knives"), ("Hero", "Heros"),
            ("Equipment", "Equipment"), ("Access", "Accesses"), ("Fish", "Fishes"), ("ACL", "ACLs"),
            ("Matrix", "Matrices"), ("Bus", "Buses"), ("Potato", "Potatoes"), ("Wife", "Wives"),
            ("Woman", "Women"), ("Index", "Indices"), ("Photo", "Photos"), ("Medium", "Media"),
            ("Series", "Series"), ("CoffeeShop", "CoffeeShops"), ("RoleMapping", "RoleMappings"),
        ];
        for (s, p) in cases {
            assert_eq!(pluralize(s), p, "{s}");
        }
    }
}
