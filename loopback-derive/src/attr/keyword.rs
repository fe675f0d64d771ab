//! Every keyword of `#[model(...)]`, declared once with the syntax that error messages show,
//! and the walker that maps the items of one group onto them.

use crate::attr::meta::Meta;
use crate::ctxt::Ctxt;

/// A closed set of keywords valid in one place (the struct, a field, a `relation(...)` group...).
pub(crate) trait KeywordSet: Copy + Eq + Sized + 'static {
    /// How the place is named in messages: "model attribute", "relation option", ...
    const WHAT: &'static str;
    /// Each keyword with its name, the syntax shown in errors, and whether it may repeat.
    const ALL: &'static [(Self, &'static str, &'static str, bool)];

    /// The keyword spelled `name`.
    fn lookup(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(_, n, _, _)| *n == name)
            .map(|(k, ..)| *k)
    }

    /// The keyword's spelling.
    fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(k, ..)| *k == self)
            .map_or("", |(_, n, _, _)| n)
    }

    /// The correct syntax, as shown in errors.
    fn syntax(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(k, ..)| *k == self)
            .map_or("", |(_, _, s, _)| s)
    }

    /// Whether the keyword may appear more than once.
    fn repeatable(self) -> bool {
        Self::ALL.iter().any(|(k, _, _, r)| *k == self && *r)
    }
}

/// Declares a keyword enum and its [`KeywordSet`] table in one place.
macro_rules! keywords {
    (
        $(#[$attr:meta])*
        enum $name:ident in $what:literal {
            $( $(#[$vattr:meta])* $variant:ident = $spelling:literal, $syntax:literal $(, $repeat:ident)?; )*
        }
    ) => {
        $(#[$attr])*
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        pub(crate) enum $name {
            $( $(#[$vattr])* $variant, )*
        }

        impl $crate::attr::keyword::KeywordSet for $name {
            const WHAT: &'static str = $what;
            const ALL: &'static [(Self, &'static str, &'static str, bool)] = &[
                $( ($name::$variant, $spelling, $syntax, keywords!(@repeat $($repeat)?)), )*
            ];
        }
    };
    (@repeat repeatable) => { true };
    (@repeat) => { false };
}
pub(crate) use keywords;

/// Maps each item of a group onto its keyword and hands it to `each`. Reports, and skips,
/// bare literals, unknown keywords (with a suggestion when one is close) and repeats of
/// keywords that may appear once. `hint` may supply a better message for an unknown item.
pub(crate) fn walk<K: KeywordSet>(
    cx: &Ctxt,
    items: Vec<Meta>,
    hint: impl Fn(&Meta) -> Option<String>,
    mut each: impl FnMut(K, Meta),
) {
    let mut seen: Vec<K> = Vec::new();
    for item in items {
        let Some(key) = item.key() else {
            cx.error_spanned_by(
                &item,
                format!(
                    "unexpected literal; expected a {}: {}",
                    K::WHAT,
                    expected_list::<K>()
                ),
            );
            continue;
        };
        let name = key.to_string();
        let name = name.strip_prefix("r#").unwrap_or(&name);
        let Some(kw) = K::lookup(name) else {
            let message = hint(&item).unwrap_or_else(|| unknown_message::<K>(name));
            cx.error_spanned_by(key, message);
            continue;
        };
        if !kw.repeatable() && seen.contains(&kw) {
            cx.error_spanned_by(
                key,
                format!(
                    "duplicate {} `{name}`: it may appear only once (`{}`)",
                    K::WHAT,
                    kw.syntax()
                ),
            );
            continue;
        }
        seen.push(kw);
        each(kw, item);
    }
}

/// "unknown model attribute `nmae`; did you mean `name`?"
pub(crate) fn unknown_message<K: KeywordSet>(name: &str) -> String {
    match closest::<K>(name) {
        Some(kw) if kw.syntax() == kw.name() => {
            format!(
                "unknown {} `{name}`; did you mean `{}`?",
                K::WHAT,
                kw.name()
            )
        }
        Some(kw) => format!(
            "unknown {} `{name}`; did you mean `{}`? (`{}`)",
            K::WHAT,
            kw.name(),
            kw.syntax()
        ),
        None => format!(
            "unknown {} `{name}`; expected one of: {}",
            K::WHAT,
            expected_list::<K>()
        ),
    }
}

/// The keywords of `K`, for messages.
pub(crate) fn expected_list<K: KeywordSet>() -> String {
    K::ALL
        .iter()
        .map(|(_, n, _, _)| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The keyword closest to a misspelling, if one is close enough to be a likely typo.
fn closest<K: KeywordSet>(name: &str) -> Option<K> {
    let lower = name.to_ascii_lowercase().replace('-', "_");
    K::ALL
        .iter()
        .map(|(k, n, _, _)| {
            let d = if lower == *n || lower.replace('_', "") == n.replace('_', "") {
                0
            } else {
                edit_distance(&lower, n)
            };
            (d, *k, n.len())
        })
        .filter(|(d, _, len)| *d <= (*len).max(name.len()) / 3 + 1 && *d < (*len).max(name.len()))
        .min_by_key(|(d, _, _)| *d)
        .map(|(_, k, _)| k)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitution = prev[j] + usize::from(ca != *cb);
            cur.push(substitution.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::edit_distance;

    #[test]
    fn distance() {
        assert_eq!(edit_distance("nmae", "name"), 2);
        assert_eq!(edit_distance("hiden", "hidden"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
