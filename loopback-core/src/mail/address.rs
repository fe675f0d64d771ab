//! Mailbox syntax: `ann@example.com`, `Ann <ann@example.com>`, `"Lee, Ann" <ann@example.com>`,
//! and comma-separated lists of those.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One mailbox: an address with an optional display name, as in `Ann <ann@example.com>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Mailbox {
    /// The display name, unquoted (`Lee, Ann` for `"Lee, Ann" <ann@example.com>`).
    pub name: Option<String>,
    /// The bare address, `local@domain`.
    pub address: String,
}

impl Mailbox {
    /// A mailbox from its parts. Fails when the address is not a syntactically valid
    /// `local@domain`, or either part contains a line break.
    pub fn new(name: Option<String>, address: impl Into<String>) -> Result<Self, String> {
        let address = address.into();
        if let Some(n) = &name {
            reject_line_breaks(n)?;
        }
        reject_line_breaks(&address)?;
        validate_address(&address)?;
        let name = name.filter(|n| !n.trim().is_empty());
        Ok(Mailbox { name, address })
    }

    /// Parses `a@b` or `Name <a@b>` (the name may be a quoted string).
    pub fn parse(text: &str) -> Result<Self, String> {
        reject_line_breaks(text)?;
        let s = text.trim();
        if s.is_empty() {
            return Err("empty address".into());
        }
        if !s.ends_with('>') {
            if s.contains(['<', '>']) {
                return Err(format!("`{s}` has an unbalanced `<`/`>`"));
            }
            return Mailbox::new(None, s);
        }
        let lt = match s.rfind('<') {
            Some(i) => i,
            None => return Err(format!("`{s}` has an unbalanced `<`/`>`")),
        };
        let address = s[lt + 1..s.len() - 1].trim();
        let raw_name = s[..lt].trim();
        let name = if raw_name.len() >= 2 && raw_name.starts_with('"') && raw_name.ends_with('"') {
            unquote(&raw_name[1..raw_name.len() - 1])?
        } else if raw_name.contains(['"', '<', '>']) {
            return Err(format!("`{s}` has a malformed display name"));
        } else {
            raw_name.to_owned()
        };
        Mailbox::new(Some(name), address)
    }

    /// Parses a comma-separated list; commas inside quotes or `<...>` do not split. Empty items
    /// (a trailing comma) are skipped.
    pub fn parse_list(text: &str) -> Result<Vec<Self>, String> {
        reject_line_breaks(text)?;
        split_list(text)
            .into_iter()
            .filter(|item| !item.trim().is_empty())
            .map(Mailbox::parse)
            .collect()
    }

    /// The part after the `@`.
    pub fn domain(&self) -> &str {
        self.address.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

impl std::str::FromStr for Mailbox {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Mailbox::parse(s)
    }
}

/// The RFC 5322 form for ASCII names; non-ASCII names are shown as they are (the renderer
/// encodes them as encoded-words).
impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            None => f.write_str(&self.address),
            Some(name) if needs_quoting(name) => {
                write!(
                    f,
                    "\"{}\" <{}>",
                    name.replace('\\', "\\\\").replace('"', "\\\""),
                    self.address
                )
            }
            Some(name) => write!(f, "{name} <{}>", self.address),
        }
    }
}

/// Whether a display name must be a quoted-string to be an RFC 5322 phrase.
pub(crate) fn needs_quoting(name: &str) -> bool {
    name.starts_with(' ')
        || name.ends_with(' ')
        || name.contains("  ")
        || name
            .chars()
            .any(|c| "()<>[]:;@\\,.\"".contains(c) || c == '\t')
}

/// Header injection guard: a CR or LF would end the header line and let the value add headers
/// (or a body) of its own.
pub(crate) fn reject_line_breaks(value: &str) -> Result<(), String> {
    if value.contains(['\r', '\n']) {
        Err("line breaks (CR/LF) are not allowed in a header value".into())
    } else {
        Ok(())
    }
}

fn unquote(inner: &str) -> Result<String, String> {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped) => out.push(escaped),
                None => return Err("display name ends with a lone backslash".into()),
            },
            '"' => return Err("unescaped `\"` inside a quoted display name".into()),
            c => out.push(c),
        }
    }
    Ok(out)
}

fn split_list(text: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut in_quotes, mut in_angle, mut escaped) = (false, false, false);
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            '<' if !in_quotes => in_angle = true,
            '>' if !in_quotes => in_angle = false,
            ',' if !in_quotes && !in_angle => {
                items.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&text[start..]);
    items
}

const ATEXT_SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~";

/// Checks `local@domain` against RFC 5321's dot-atom local part and hostname / address-literal
/// domain. Quoted local parts and internationalised addresses are refused: few servers accept
/// them without SMTPUTF8, and a clear error beats a bounce.
fn validate_address(address: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("`{address}` is not a valid email address: {why}"));
    if !address.is_ascii() {
        return bad("non-ASCII addresses are not supported");
    }
    if address.len() > 254 {
        return bad("longer than 254 characters");
    }
    let (local, domain) = match address.rsplit_once('@') {
        Some(parts) => parts,
        None => return bad("missing `@`"),
    };
    if local.is_empty() || local.len() > 64 {
        return bad("the part before `@` must have 1 to 64 characters");
    }
    let local_ok = local.split('.').all(|atom| {
        !atom.is_empty()
            && atom
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ATEXT_SPECIALS.contains(c))
    });
    if !local_ok {
        return bad("invalid character or dot placement before `@`");
    }
    if domain.starts_with('[') && domain.ends_with(']') {
        let literal = &domain[1..domain.len() - 1];
        let ok = match literal.strip_prefix("IPv6:") {
            Some(v6) => v6.parse::<std::net::Ipv6Addr>().is_ok(),
            None => literal.parse::<std::net::Ipv4Addr>().is_ok(),
        };
        return if ok {
            Ok(())
        } else {
            bad("invalid address literal")
        };
    }
    let domain_ok = !domain.is_empty()
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if !domain_ok {
        return bad("invalid domain");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bare_and_named_forms() {
        let m = Mailbox::parse(" ann@example.com ").unwrap();
        assert_eq!((m.name, m.address.as_str()), (None, "ann@example.com"));
        let m = Mailbox::parse("Ann Lee <ann@example.com>").unwrap();
        assert_eq!(m.name.as_deref(), Some("Ann Lee"));
        assert_eq!(m.address, "ann@example.com");
        let m = Mailbox::parse(r#""Lee, \"Ann\"" <ann@example.com>"#).unwrap();
        assert_eq!(m.name.as_deref(), Some(r#"Lee, "Ann""#));
        assert_eq!(m.to_string(), r#""Lee, \"Ann\"" <ann@example.com>"#);
        let m = Mailbox::parse("<ann@example.com>").unwrap();
        assert_eq!(m.name, None);
        assert!(Mailbox::parse("x@[127.0.0.1]").is_ok());
        assert!(Mailbox::parse("x@[IPv6:::1]").is_ok());
        assert!(Mailbox::parse("o'brien+tag@sub.example-mail.org").is_ok());
        assert!(Mailbox::parse("root@localhost").is_ok());
    }

    #[test]
    fn rejects_invalid_addresses() {
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@@example.com",
            "a..b@example.com",
            ".a@example.com",
            "ann@exa mple.com",
            "ann@-example.com",
            "ann@example..com",
            "Ann <ann@example.com",
            "Ann ann@example.com>",
            "ann@[1.2.3]",
            "anné@example.com",
            "a\"b <ann@example.com>",
        ] {
            assert!(Mailbox::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn rejects_line_breaks_anywhere() {
        for bad in [
            "ann@example.com\r\nBcc: victim@example.com",
            "Ann\n <ann@example.com>",
            "ann@example.com\r",
        ] {
            let err = Mailbox::parse(bad).unwrap_err();
            assert!(err.contains("CR/LF"), "{bad:?}: {err}");
        }
        assert!(Mailbox::new(Some("A\nB".into()), "a@b.c").is_err());
    }

    #[test]
    fn splits_lists_outside_quotes_and_brackets() {
        let list = Mailbox::parse_list(r#"a@x.org, "Lee, Ann" <ann@x.org>,b@x.org,"#).unwrap();
        let addrs: Vec<_> = list.iter().map(|m| m.address.as_str()).collect();
        assert_eq!(addrs, ["a@x.org", "ann@x.org", "b@x.org"]);
        assert_eq!(list[1].name.as_deref(), Some("Lee, Ann"));
        assert!(Mailbox::parse_list("").unwrap().is_empty());
        assert!(Mailbox::parse_list("a@x.org, nope").is_err());
    }
}
