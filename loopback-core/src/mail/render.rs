//! RFC 5322 / MIME rendering: header folding, RFC 2047 encoded-words, quoted-printable bodies
//! and multipart/alternative.

use base64::Engine as _;
use chrono::{DateTime, Utc};

use super::address::Mailbox;

/// Soft line limit of RFC 5322 §2.1.1; folding aims for it, the hard limit is 998.
const LINE: usize = 78;

/// A validated message with its addresses parsed, ready to render.
pub(crate) struct Parts<'a> {
    pub from: &'a Mailbox,
    pub reply_to: Option<&'a Mailbox>,
    pub to: &'a [Mailbox],
    pub cc: &'a [Mailbox],
    pub subject: &'a str,
    pub text: Option<&'a str>,
    pub html: Option<&'a str>,
    pub headers: &'a [(String, String)],
}

/// Renders the message. Bcc recipients are deliberately absent: they travel in the envelope
/// only, or every recipient would see them. Deterministic in its inputs, so tests can pin the
/// output.
pub(crate) fn render(
    p: &Parts<'_>,
    message_id: &str,
    date: DateTime<Utc>,
    boundary: &str,
) -> String {
    let mut out = String::new();
    let mut header = |name: &str, value: &str| {
        out.push_str(&fold(&format!("{name}: {value}")));
        out.push_str("\r\n");
    };
    header("Date", &date.to_rfc2822());
    header("From", &mailbox(p.from));
    if let Some(r) = p.reply_to {
        header("Reply-To", &mailbox(r));
    }
    if !p.to.is_empty() {
        header("To", &mailbox_list(p.to));
    }
    if !p.cc.is_empty() {
        header("Cc", &mailbox_list(p.cc));
    }
    header("Subject", &unstructured(p.subject));
    header("Message-ID", message_id);
    for (name, value) in p.headers {
        header(name, &unstructured(value));
    }
    header("MIME-Version", "1.0");
    match (p.text, p.html) {
        (Some(text), Some(html)) => {
            header(
                "Content-Type",
                &format!("multipart/alternative; boundary=\"{boundary}\""),
            );
            out.push_str("\r\n");
            for (subtype, body) in [("plain", text), ("html", html)] {
                out.push_str(&format!("--{boundary}\r\n"));
                out.push_str(&leaf(subtype, body, true));
            }
            out.push_str(&format!("--{boundary}--\r\n"));
        }
        (None, Some(html)) => out.push_str(&leaf("html", html, false)),
        (text, None) => out.push_str(&leaf("plain", text.unwrap_or(""), false)),
    }
    out
}

/// A text part: its Content-Type and Content-Transfer-Encoding headers, a blank line, the body.
fn leaf(subtype: &str, body: &str, in_multipart: bool) -> String {
    let body = crlf(body);
    let plain = body
        .bytes()
        .all(|b| b == b'\t' || b == b'\r' || b == b'\n' || (32..127).contains(&b))
        && body.split("\r\n").all(|l| l.len() <= LINE);
    let (encoding, encoded) = if plain {
        ("7bit", body)
    } else {
        ("quoted-printable", quoted_printable(&body))
    };
    let mut out = format!(
        "Content-Type: text/{subtype}; charset=utf-8\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n{encoded}"
    );
    // Inside a multipart the CRLF before `--boundary` belongs to the delimiter (RFC 2046
    // §5.1.1), so it is always added: otherwise a body's own final line break would be lost.
    if in_multipart || !out.ends_with("\r\n") {
        out.push_str("\r\n");
    }
    out
}

/// Normalises any mix of CRLF, CR and LF line ends to CRLF, the only line end on the wire.
fn crlf(body: &str) -> String {
    body.replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\n', "\r\n")
}

/// Quoted-printable (RFC 2045 §6.7) of CRLF text: lines stay hard breaks, long lines get soft
/// breaks at 76 characters, trailing whitespace is encoded so transports cannot strip it.
pub(crate) fn quoted_printable(body: &str) -> String {
    let mut out = String::with_capacity(body.len() + body.len() / 4);
    for (i, line) in body.split("\r\n").enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        let bytes = line.as_bytes();
        let mut width = 0;
        for (j, &b) in bytes.iter().enumerate() {
            let last = j + 1 == bytes.len();
            let token = match b {
                b'=' => format!("={b:02X}"),
                b' ' | b'\t' if last => format!("={b:02X}"),
                b' ' | b'\t' | 33..=126 => (b as char).to_string(),
                _ => format!("={b:02X}"),
            };
            // Keep room for the `=` of a soft break, unless this is the line's last token.
            let limit = if last { 76 } else { 75 };
            if width + token.len() > limit {
                out.push_str("=\r\n");
                width = 0;
            }
            width += token.len();
            out.push_str(&token);
        }
    }
    out
}

/// An unstructured header value (Subject, custom headers): as is when it is ASCII with words
/// that can be folded, otherwise RFC 2047 encoded-words.
pub(crate) fn unstructured(value: &str) -> String {
    let foldable = value.is_ascii()
        && !value.bytes().any(|b| b.is_ascii_control() && b != b'\t')
        && value.split(' ').all(|w| w.len() <= LINE - 10)
        && !value.contains("=?");
    if foldable {
        value.to_owned()
    } else {
        encoded_words(value)
    }
}

/// `=?UTF-8?B?...?=` words of at most 75 characters (RFC 2047 §2), split on character
/// boundaries so that each word decodes to valid UTF-8 on its own.
pub(crate) fn encoded_words(value: &str) -> String {
    // 39 bytes = 52 base64 characters + 12 of framing = 64, so that `Subject: ` and the first
    // word share a line of at most 78.
    const MAX_BYTES: usize = 39;
    let mut words = Vec::new();
    let mut chunk_start = 0;
    let mut end = 0;
    for (i, c) in value.char_indices() {
        if i + c.len_utf8() - chunk_start > MAX_BYTES {
            words.push(&value[chunk_start..end]);
            chunk_start = i;
        }
        end = i + c.len_utf8();
    }
    if end > chunk_start || words.is_empty() {
        words.push(&value[chunk_start..end]);
    }
    words
        .iter()
        .map(|w| {
            format!(
                "=?UTF-8?B?{}?=",
                base64::engine::general_purpose::STANDARD.encode(w)
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn mailbox(m: &Mailbox) -> String {
    match &m.name {
        // A plain phrase cannot carry non-ASCII or control characters, and an ASCII `=?` would
        // be decoded as an encoded-word by readers: both go out encoded.
        Some(name)
            if !name.is_ascii()
                || name.contains("=?")
                || name.bytes().any(|b| b.is_ascii_control() && b != b'\t') =>
        {
            format!("{} <{}>", encoded_words(name), m.address)
        }
        _ => m.to_string(),
    }
}

fn mailbox_list(list: &[Mailbox]) -> String {
    list.iter().map(mailbox).collect::<Vec<_>>().join(", ")
}

/// Folds a header line at spaces so lines stay within 78 characters where a space allows.
pub(crate) fn fold(line: &str) -> String {
    if line.len() <= LINE {
        return line.to_owned();
    }
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for (i, word) in line.split(' ').enumerate() {
        if i > 0 {
            // Never right after `Name:`: some readers keep the folded space in the value.
            if width + 1 + word.len() > LINE && i > 1 {
                out.push_str("\r\n ");
                width = 1;
            } else {
                out.push(' ');
                width += 1;
            }
        }
        out.push_str(word);
        width += word.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_printable_round_trips_and_respects_line_length() {
        let body = format!("héllo = wörld \r\n{}\r\nend\t", "x".repeat(200));
        let qp = quoted_printable(&body);
        assert!(qp.split("\r\n").all(|l| l.len() <= 76), "{qp}");
        assert!(qp.contains("h=C3=A9llo =3D w=C3=B6rld=20"));
        assert!(qp.ends_with("end=09"));
        let decoded = mailparse::parse_mail(
            format!("Content-Transfer-Encoding: quoted-printable\r\n\r\n{qp}").as_bytes(),
        )
        .unwrap()
        .get_body_raw()
        .unwrap();
        assert_eq!(String::from_utf8(decoded).unwrap(), body);
    }

    #[test]
    fn encoded_words_stay_short_and_decode() {
        let subject = "Überprüfung Ihres Kontos — bitte bestätigen Sie Ihre E-Mail-Adresse 🎉";
        let encoded = unstructured(subject);
        assert!(encoded.starts_with("=?UTF-8?B?"));
        assert!(encoded.split(' ').all(|w| w.len() <= 75));
        let header = fold(&format!("Subject: {encoded}"));
        assert!(header.split("\r\n").all(|l| l.len() <= 78), "{header}");
        let bytes = format!("{header}\r\n");
        let (parsed, _) = mailparse::parse_header(bytes.as_bytes()).unwrap();
        assert_eq!(parsed.get_value(), subject);
        assert_eq!(unstructured("Plain subject"), "Plain subject");
        // Something that merely looks like an encoded-word is encoded so it reads back verbatim.
        assert!(unstructured("=?x?=").starts_with("=?UTF-8?B?"));
    }

    #[test]
    fn folds_long_ascii_lines_at_spaces() {
        let line = format!("Subject: {}", "word ".repeat(40).trim_end());
        let folded = fold(&line);
        assert!(folded.split("\r\n").all(|l| l.len() <= 78));
        assert_eq!(folded.replace("\r\n", ""), line);
    }

    #[test]
    fn bodies_use_crlf_and_7bit_when_possible() {
        let part = leaf("plain", "a\nb\rc\r\n", false);
        assert!(part.contains("Content-Transfer-Encoding: 7bit\r\n\r\na\r\nb\r\nc\r\n"));
        let part = leaf("plain", "naïve", false);
        assert!(part.contains("quoted-printable\r\n\r\nna=C3=AFve\r\n"));
    }
}
