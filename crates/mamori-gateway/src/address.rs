//! Envelope addresses: the mailbox of a `MAIL FROM` or `RCPT TO` path (RFC 5321 4.1.2, with the
//! UTF-8 of RFC 6531), parsed once so that every decision reads the same local part and domain.
//!
//! The domain is what follows the local part, never what follows the last `@`: a quoted local
//! part may itself hold `@`. Some mailboxes name a route rather than a mailbox (a source route,
//! the percent hack `user%other@domain`, a bang path `other!user@domain`, or a quoted local part
//! holding `@`, `%` or `!`); a next hop that honours any of them forwards the mail elsewhere, so
//! a recipient written that way would turn an accepted domain into a relay.
//! [`Mailbox::routes_onward`] names them for the session to refuse.
//!
//! Dots in an unquoted local part are taken as they come (`taro..yamada.@docomo.ne.jp`): older
//! Japanese mobile addresses break RFC 5321's dot rules and are still in use as senders.

/// Why a path is not a usable mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressError {
    /// Not a mailbox.
    Syntax,
    /// A source route (`@relay1,@relay2:user@domain`, RFC 5321 appendix C).
    SourceRoute,
}

/// A mailbox `local@domain`, borrowed from the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mailbox<'a> {
    /// The local part as written, quotes included.
    local: &'a str,
    /// The domain as written (a trailing dot kept), or an address literal with its brackets.
    domain: &'a str,
}

/// Longest path taken (RFC 5321 4.5.3.1.3 allows 256 octets with the brackets).
const MAX_PATH: usize = 254;

impl<'a> Mailbox<'a> {
    /// Parses the inside of `<…>`.
    pub fn parse(path: &'a str) -> Result<Self, AddressError> {
        if path.starts_with('@') {
            return Err(if path.contains(':') {
                AddressError::SourceRoute
            } else {
                AddressError::Syntax
            });
        }
        if path.len() > MAX_PATH {
            return Err(AddressError::Syntax);
        }
        let local_len = if path.starts_with('"') {
            quoted_string_len(path)
        } else {
            path.find('@')
                .filter(|&n| n > 0 && path[..n].chars().all(|c| c == '.' || atext(c)))
        }
        .ok_or(AddressError::Syntax)?;
        let (local, rest) = path.split_at(local_len);
        let domain = rest.strip_prefix('@').ok_or(AddressError::Syntax)?;
        if !valid_domain(domain) {
            return Err(AddressError::Syntax);
        }
        Ok(Self { local, domain })
    }

    pub fn local(&self) -> &'a str {
        self.local
    }

    pub fn domain(&self) -> &'a str {
        self.domain
    }

    /// The domain in the form the accepted domains are kept in: lower case, no trailing dot.
    pub fn domain_key(&self) -> String {
        self.domain.trim_end_matches('.').to_lowercase()
    }

    /// Whether the local part names a further route: `%` or `!` anywhere in it, or `@` inside
    /// quotes (an escaped `\@` included).
    pub fn routes_onward(&self) -> bool {
        let quoted = self.local.starts_with('"');
        self.local
            .chars()
            .any(|c| matches!(c, '%' | '!') || (quoted && c == '@'))
    }
}

/// RFC 5322 atext, with any non-ASCII character (RFC 6531 UTF8-non-ascii).
fn atext(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || "!#$%&'*+-/=?^_`{|}~".contains(c)
        || (!c.is_ascii() && !c.is_control())
}

/// Length of the quoted string at the start of `s`, quotes included (RFC 5321 Quoted-string:
/// printable ASCII and space, `\` escaping one printable character; UTF-8 with SMTPUTF8).
fn quoted_string_len(s: &str) -> Option<usize> {
    let mut chars = s.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (i > 1).then_some(i + 1),
            '\\' => match chars.next() {
                Some((_, e)) if e == ' ' || e.is_ascii_graphic() => {}
                _ => return None,
            },
            c if c == ' ' || c.is_ascii_graphic() || (!c.is_ascii() && !c.is_control()) => {}
            _ => return None,
        }
    }
    None
}

/// Dot-separated labels of letters, digits, `-` and `_` (or U-labels with SMTPUTF8), a trailing
/// dot allowed; or an address literal `[…]`.
fn valid_domain(domain: &str) -> bool {
    if let Some(literal) = domain.strip_prefix('[') {
        let Some(inner) = literal.strip_suffix(']') else {
            return false;
        };
        return !inner.is_empty()
            && inner
                .chars()
                .all(|c| c.is_ascii_graphic() && !matches!(c, '[' | ']' | '\\'));
    }
    let name = domain.strip_suffix('.').unwrap_or(domain);
    !name.is_empty()
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.chars().all(|c| {
                    c.is_ascii_alphanumeric()
                        || c == '-'
                        || c == '_'
                        || (!c.is_ascii() && !c.is_control() && !c.is_whitespace())
                })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("user@city.example.lg.jp", "user", "city.example.lg.jp")]
    #[case("user@CITY.example.lg.jp.", "user", "CITY.example.lg.jp.")]
    #[case("first.last+tag@example.com", "first.last+tag", "example.com")]
    #[case("taro..yamada.@docomo.ne.jp", "taro..yamada.", "docomo.ne.jp")]
    #[case("\"john doe\"@example.com", "\"john doe\"", "example.com")]
    #[case("\"a\\\"b\"@example.com", "\"a\\\"b\"", "example.com")]
    #[case("三@internet.example", "三", "internet.example")]
    #[case("user@例え.jp", "user", "例え.jp")]
    #[case("user@[192.0.2.1]", "user", "[192.0.2.1]")]
    #[case("user@[IPv6:2001:db8::1]", "user", "[IPv6:2001:db8::1]")]
    fn mailboxes(#[case] path: &str, #[case] local: &str, #[case] domain: &str) {
        let m = Mailbox::parse(path).unwrap();
        assert_eq!((m.local(), m.domain()), (local, domain), "{path}");
        assert!(!m.routes_onward(), "{path}");
    }

    #[rstest]
    #[case("")]
    #[case("user")]
    #[case("user@")]
    #[case("@")]
    #[case("@example.com")]
    #[case("user@city.example.lg.jp@evil.example")]
    #[case("us er@example.com")]
    #[case("user@exa mple.com")]
    #[case("user@example..com")]
    #[case("user@.example.com")]
    #[case("user@example.com..")]
    #[case("a,b@example.com")]
    #[case("a:b@example.com")]
    #[case("a<b@example.com")]
    #[case("\"\"@example.com")]
    #[case("\"unterminated@example.com")]
    #[case("\"a\"b@example.com")]
    #[case("\"a\tb\"@example.com")]
    #[case("\"a\\\u{7}\"@example.com")]
    #[case("user\u{0}@example.com")]
    #[case("user@[192.0.2.1")]
    #[case("user@[]")]
    fn not_mailboxes(#[case] path: &str) {
        assert_eq!(Mailbox::parse(path), Err(AddressError::Syntax), "{path:?}");
    }

    #[test]
    fn over_long_paths_are_refused() {
        let long = format!("{}@example.com", "a".repeat(243));
        assert!(Mailbox::parse(&long).is_err());
        let fits = format!("{}@example.com", "a".repeat(242));
        assert!(Mailbox::parse(&fits).is_ok());
    }

    #[rstest]
    #[case("\"x@evil.example\"@city.example.lg.jp")]
    #[case("\"x\\@evil.example\"@city.example.lg.jp")]
    #[case("\"x%evil.example\"@city.example.lg.jp")]
    #[case("\"evil.example!x\"@city.example.lg.jp")]
    #[case("x%evil.example@city.example.lg.jp")]
    #[case("evil.example!x@city.example.lg.jp")]
    fn routes_in_the_local_part(#[case] path: &str) {
        let m = Mailbox::parse(path).unwrap();
        assert_eq!(m.domain_key(), "city.example.lg.jp", "{path}");
        assert!(m.routes_onward(), "{path}");
    }

    #[rstest]
    #[case("@a.example,@b.example:x@city.example.lg.jp")]
    #[case("@evil.example:x@city.example.lg.jp")]
    fn source_routes(#[case] path: &str) {
        assert_eq!(Mailbox::parse(path), Err(AddressError::SourceRoute));
    }

    proptest::proptest! {
        /// Whatever the local part, the domain read is the one after it: a path that parses
        /// ends in `@` and its domain, and its local part is never empty.
        #[test]
        fn the_domain_is_what_follows_the_local_part(path in "[\"a@%!.\\\\ ]{0,12}@[a-z.@]{0,8}") {
            if let Ok(m) = Mailbox::parse(&path) {
                proptest::prop_assert!(!m.local().is_empty());
                proptest::prop_assert_eq!(format!("{}@{}", m.local(), m.domain()), path.clone());
                proptest::prop_assert!(!m.domain().contains('@'));
            }
        }
    }
}
