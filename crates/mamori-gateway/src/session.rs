//! The SMTP server session (RFC 5321) as a pure state machine: lines in, [`Step`]s out.
//!
//! No IO happens here. The driver in [`crate::server`] reads lines with the strict
//! [`crate::codec::LineBuffer`], feeds them in, writes the replies, streams message content into
//! the spool and performs STARTTLS.

use std::net::IpAddr;
use std::sync::Arc;

use ipnet::IpNet;
use mamori_core::segment;

use crate::address::{AddressError, Mailbox};
use crate::reply::Reply;
use crate::spool::ForwardedClient;
use crate::verify::Verdict;

/// What a session accepts; shared by every connection of one gateway.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Name the gateway gives itself in the greeting and EHLO.
    pub hostname: String,
    /// Recipient domains mail is accepted for (lower case); everything else is relaying.
    pub accept_domains: Vec<String>,
    /// Largest message accepted, in bytes (advertised as SIZE).
    pub max_message_bytes: usize,
    /// Most recipients in one transaction.
    pub max_recipients: usize,
    /// Refused commands after which the connection is closed.
    pub max_errors: u32,
    /// Whether STARTTLS can be offered (a certificate is configured).
    pub tls_available: bool,
    /// Clients allowed to report the original client with XFORWARD (the front MTA in
    /// content-filter mode); XFORWARD is neither offered nor obeyed for anyone else.
    pub xforward_hosts: Vec<AddressRange>,
    /// Clients that may send to any recipient domain (Postfix's `mynetworks`): the internal mail
    /// servers of the LGWAN side in the outbound direction. Everyone else may send only to
    /// [`SessionConfig::accept_domains`].
    pub relay_networks: Vec<AddressRange>,
    /// Ask the next hop about each recipient in [`SessionConfig::accept_domains`] before
    /// taking it ([`Step::VerifyRecipient`]).
    pub verify_recipients: bool,
}

impl SessionConfig {
    pub fn trusts_xforward(&self, ip: IpAddr) -> bool {
        self.xforward_hosts.iter().any(|r| r.contains(ip))
    }

    pub fn permits_relay(&self, ip: IpAddr) -> bool {
        self.relay_networks.iter().any(|r| r.contains(ip))
    }
}

/// An address or a CIDR block (`127.0.0.1`, `127.0.0.0/8`, `::1`, `fd00::/8`), read by the rule
/// of a segment's ranges ([`segment::parse_range`]): host bits are cleared, so `10.1.2.3/16` is
/// `10.1.0.0/16`, the block every address of which it matched before it was cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressRange(IpNet);

impl AddressRange {
    /// Whether `ip` is inside. A client seen as an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`,
    /// how a dual-stack socket sees an IPv4 peer) is the IPv4 address it carries.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.contains(&ip.to_canonical())
    }
}

impl std::fmt::Display for AddressRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for AddressRange {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        segment::parse_range(s)
            .map(Self)
            .ok_or_else(|| range_error(s))
    }
}

/// Why `s` is not an address range, in words for the command line (which shows `s` itself).
fn range_error(s: &str) -> String {
    if s.trim().is_empty() {
        return "an address or CIDR block is needed, not an empty value".to_owned();
    }
    if let Some((address, prefix)) = s.split_once('/')
        && let (Ok(address), Ok(prefix)) = (address.parse::<IpAddr>(), prefix.parse::<u32>())
    {
        let (bits, version) = if address.is_ipv4() { (32, 4) } else { (128, 6) };
        if prefix > bits {
            return format!(
                "the prefix length /{prefix} is longer than the {bits} bits of an IPv{version} address"
            );
        }
    }
    "not an address or CIDR block (e.g. 192.0.2.25, 10.0.0.0/8, fd00::/8)".to_owned()
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            hostname: "localhost".into(),
            accept_domains: Vec::new(),
            max_message_bytes: 32 * 1024 * 1024,
            max_recipients: 100,
            max_errors: 10,
            tls_available: false,
            xforward_hosts: Vec::new(),
            relay_networks: Vec::new(),
            verify_recipients: false,
        }
    }
}

/// The envelope of one accepted transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// Reverse path; empty for the null sender `<>`.
    pub from: String,
    pub recipients: Vec<String>,
    pub smtputf8: bool,
    pub helo: String,
    pub tls: bool,
    /// The original client, when a trusted front MTA reported it with XFORWARD.
    pub client: Option<ForwardedClient>,
}

/// What the driver must do after one input line.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Send this reply and read on.
    Reply(Reply),
    /// Open a spool file for this transaction, send 354 and read message lines with
    /// [`Session::data_line`]; if the spool cannot take it, call [`Session::data_refused`] and
    /// send the refusal instead of 354.
    StartData(Transaction),
    /// Send 220, drop anything buffered, and start the TLS handshake.
    StartTls,
    /// Find out whether the next hop takes this recipient, then hand the verdict to
    /// [`Session::recipient_verified`] and send the reply it gives.
    VerifyRecipient(String),
    /// Send this reply and close the connection.
    Close(Reply),
    /// Nothing to send (a message line that is being dropped, the message being refused).
    Continue,
    /// One line of message content, dot-unstuffed and without its CRLF: append it and a CRLF.
    Content(Vec<u8>),
    /// The message ended. `Ok`: commit it to the queue and send the reply that earns; `Err`:
    /// discard what was written and send this refusal.
    EndData(Result<(), Reply>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Connected, no EHLO/HELO yet (also after STARTTLS).
    Connected,
    Greeted,
    Mail,
    Data,
}

/// State of one SMTP connection.
#[derive(Debug)]
pub struct Session {
    config: Arc<SessionConfig>,
    phase: Phase,
    helo: String,
    from: String,
    smtputf8: bool,
    recipients: Vec<String>,
    tls: bool,
    errors: u32,
    /// The peer may send XFORWARD (see [`SessionConfig::xforward_hosts`]).
    xforward_trusted: bool,
    /// The peer is in [`SessionConfig::relay_networks`]: any recipient domain is accepted.
    relay_permitted: bool,
    /// What XFORWARD reported for the next transaction.
    forwarded: Option<ForwardedClient>,
    /// Bytes of the message being received (after dot-unstuffing, CRLFs included).
    data_bytes: usize,
    /// Why the message being received will be refused at its end, if it will.
    data_error: Option<Reply>,
}

impl Session {
    pub fn new(config: Arc<SessionConfig>) -> Self {
        Self {
            config,
            phase: Phase::Connected,
            helo: String::new(),
            from: String::new(),
            smtputf8: false,
            recipients: Vec::new(),
            tls: false,
            errors: 0,
            xforward_trusted: false,
            relay_permitted: false,
            forwarded: None,
            data_bytes: 0,
            data_error: None,
        }
    }

    pub fn greeting(&self) -> Reply {
        Reply::Greeting(self.config.hostname.clone())
    }

    pub fn in_data(&self) -> bool {
        self.phase == Phase::Data
    }

    pub fn tls_active(&self) -> bool {
        self.tls
    }

    /// After the TLS handshake: everything learnt in clear is forgotten (RFC 3207 section 4.2).
    pub fn tls_started(&mut self) {
        self.tls = true;
        self.phase = Phase::Connected;
        self.helo.clear();
        self.reset_transaction();
    }

    fn reset_transaction(&mut self) {
        if self.phase != Phase::Connected {
            self.phase = Phase::Greeted;
        }
        self.from.clear();
        self.smtputf8 = false;
        self.recipients.clear();
        self.forwarded = None;
        self.data_bytes = 0;
        self.data_error = None;
    }

    /// The peer is a trusted front MTA: offer and obey XFORWARD.
    pub fn trust_xforward(&mut self) {
        self.xforward_trusted = true;
    }

    /// The peer is an internal mail server allowed to relay to any domain.
    pub fn permit_relay(&mut self) {
        self.relay_permitted = true;
    }

    /// The spool could not take the message announced by [`Step::StartData`]: back to the state
    /// after HELO, as after a refused transaction.
    pub fn data_refused(&mut self) {
        self.reset_transaction();
    }

    /// One command line (without CRLF). `room` says whether the spool can take new mail; it is
    /// asked only for MAIL.
    pub fn command(&mut self, line: &[u8], room: impl FnOnce() -> bool) -> Step {
        let step = match std::str::from_utf8(line) {
            Ok(text) => self.dispatch(text, room),
            Err(_) => Step::Reply(Reply::SyntaxError),
        };
        self.count_errors(step)
    }

    /// A command line that the codec refused as too long.
    pub fn line_too_long(&mut self) -> Step {
        if self.phase == Phase::Data {
            self.data_error.get_or_insert(Reply::LineTooLong);
            return Step::Continue;
        }
        self.count_errors(Step::Reply(Reply::LineTooLong))
    }

    fn count_errors(&mut self, step: Step) -> Step {
        if let Step::Reply(r) = &step
            && r.is_error()
        {
            self.errors += 1;
            if self.errors >= self.config.max_errors {
                return Step::Close(Reply::TooManyErrors);
            }
        }
        step
    }

    fn dispatch(&mut self, line: &str, room: impl FnOnce() -> bool) -> Step {
        let (verb, arg) = match line.find(' ') {
            Some(i) => (&line[..i], line[i + 1..].trim()),
            None => (line, ""),
        };
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" => self.hello(arg, true),
            "HELO" => self.hello(arg, false),
            "MAIL" => self.mail(arg, room),
            "RCPT" => self.rcpt(arg),
            "DATA" => self.data(arg),
            "RSET" if arg.is_empty() => {
                self.reset_transaction();
                Step::Reply(Reply::Ok)
            }
            "NOOP" => Step::Reply(Reply::Ok),
            "QUIT" if arg.is_empty() => Step::Close(Reply::Bye),
            "VRFY" if !arg.is_empty() => Step::Reply(Reply::CannotVerify),
            "HELP" => Step::Reply(Reply::Help),
            "STARTTLS" => self.starttls(arg),
            "XFORWARD" if self.xforward_trusted => self.xforward(arg),
            "RSET" | "QUIT" | "VRFY" => Step::Reply(Reply::ParameterSyntax),
            "EXPN" | "TURN" | "ETRN" | "BDAT" | "AUTH" => Step::Reply(Reply::NotImplemented),
            _ => Step::Reply(Reply::SyntaxError),
        }
    }

    fn hello(&mut self, arg: &str, extended: bool) -> Step {
        if arg.is_empty() || arg.contains(char::is_whitespace) {
            return Step::Reply(Reply::ParameterSyntax);
        }
        self.phase = Phase::Greeted;
        self.reset_transaction();
        self.helo = arg.to_string();
        let host = self.config.hostname.clone();
        if !extended {
            return Step::Reply(Reply::Helo(host));
        }
        let mut extensions = vec![
            "PIPELINING".to_string(),
            format!("SIZE {}", self.config.max_message_bytes),
            "8BITMIME".into(),
            "SMTPUTF8".into(),
            "ENHANCEDSTATUSCODES".into(),
        ];
        if self.config.tls_available && !self.tls {
            extensions.push("STARTTLS".into());
        }
        if self.xforward_trusted {
            extensions.push("XFORWARD NAME ADDR PROTO HELO SOURCE PORT IDENT".into());
        }
        Step::Reply(Reply::Ehlo { host, extensions })
    }

    fn mail(&mut self, arg: &str, room: impl FnOnce() -> bool) -> Step {
        match self.phase {
            Phase::Connected => return Step::Reply(Reply::NeedHelo),
            Phase::Mail => return Step::Reply(Reply::NestedMail),
            Phase::Greeted | Phase::Data => {}
        }
        let Some(rest) = strip_prefix_ci(arg, "FROM:") else {
            return Step::Reply(Reply::ParameterSyntax);
        };
        let Some((path, params)) = split_path(rest) else {
            return Step::Reply(Reply::BadSenderAddress);
        };
        let mut smtputf8 = false;
        for param in params.split_ascii_whitespace() {
            let (key, value) = param.split_once('=').unwrap_or((param, ""));
            match key.to_ascii_uppercase().as_str() {
                "SIZE" => match value.parse::<u64>() {
                    Ok(n) if n > self.config.max_message_bytes as u64 => {
                        return Step::Reply(Reply::MessageTooBig);
                    }
                    Ok(_) => {}
                    Err(_) => return Step::Reply(Reply::ParameterSyntax),
                },
                "BODY" if matches!(value.to_ascii_uppercase().as_str(), "7BIT" | "8BITMIME") => {}
                "SMTPUTF8" if value.is_empty() => smtputf8 = true,
                _ => return Step::Reply(Reply::ParameterNotImplemented),
            }
        }
        // A source route in the reverse path is refused too; routing in a sender's local part
        // routes nothing here (a DSN goes to the next hop, which decides what to do with it).
        if !path.is_empty() && Mailbox::parse(path).is_err() {
            return Step::Reply(Reply::BadSenderAddress);
        }
        if !path.is_ascii() && !smtputf8 {
            return Step::Reply(Reply::NeedSmtpUtf8);
        }
        if !room() {
            return Step::Reply(Reply::InsufficientStorage);
        }
        self.from = path.to_string();
        self.smtputf8 = smtputf8;
        self.recipients.clear();
        self.phase = Phase::Mail;
        Step::Reply(Reply::SenderOk)
    }

    fn rcpt(&mut self, arg: &str) -> Step {
        match self.phase {
            Phase::Connected => return Step::Reply(Reply::NeedHelo),
            Phase::Greeted | Phase::Data => return Step::Reply(Reply::NeedMail),
            Phase::Mail => {}
        }
        let Some(rest) = strip_prefix_ci(arg, "TO:") else {
            return Step::Reply(Reply::ParameterSyntax);
        };
        let Some((path, params)) = split_path(rest) else {
            return Step::Reply(Reply::BadRecipientAddress);
        };
        if !params.trim().is_empty() {
            return Step::Reply(Reply::ParameterNotImplemented);
        }
        // The bare `postmaster` of RFC 5321 4.5.1 has no domain and is always taken.
        let postmaster = path.eq_ignore_ascii_case("postmaster");
        let mailbox = match Mailbox::parse(path) {
            Ok(m) => Some(m),
            Err(_) if postmaster => None,
            Err(AddressError::SourceRoute) => return Step::Reply(Reply::RoutedAddress),
            Err(AddressError::Syntax) => return Step::Reply(Reply::BadRecipientAddress),
        };
        // Before the domain is looked at, and for relay networks too: the route names a
        // destination the accepted domains never see.
        if mailbox.is_some_and(|m| m.routes_onward()) {
            return Step::Reply(Reply::RoutedAddress);
        }
        if !path.is_ascii() && !self.smtputf8 {
            return Step::Reply(Reply::NeedSmtpUtf8);
        }
        if let Some(mailbox) = mailbox
            && !self.accepts(&mailbox)
        {
            return Step::Reply(Reply::RelayDenied);
        }
        if self.recipients.len() >= self.config.max_recipients {
            return Step::Reply(Reply::TooManyRecipients);
        }
        // Only the next hop's own domains: it cannot know about anyone else's mailboxes.
        if self.config.verify_recipients
            && let Some(mailbox) = mailbox
            && self.config.accept_domains.contains(&mailbox.domain_key())
        {
            return Step::VerifyRecipient(path.to_string());
        }
        self.recipients.push(path.to_string());
        Step::Reply(Reply::RecipientOk)
    }

    /// What the next hop said of a recipient announced by [`Step::VerifyRecipient`].
    pub fn recipient_verified(&mut self, recipient: String, verdict: &Verdict) -> Step {
        let step = match verdict {
            Verdict::Deliverable if self.phase == Phase::Mail => {
                self.recipients.push(recipient);
                Step::Reply(Reply::RecipientOk)
            }
            Verdict::Deliverable => Step::Reply(Reply::NeedMail),
            Verdict::Undeliverable(_) => Step::Reply(Reply::UnknownRecipient),
            Verdict::Unknown(_) => Step::Reply(Reply::RecipientNotVerified),
        };
        self.count_errors(step)
    }

    /// Whether the recipient's domain is one the gateway serves, or the peer may relay (never an
    /// open relay).
    fn accepts(&self, mailbox: &Mailbox<'_>) -> bool {
        self.relay_permitted || self.config.accept_domains.contains(&mailbox.domain_key())
    }

    fn data(&mut self, arg: &str) -> Step {
        if !arg.is_empty() {
            return Step::Reply(Reply::ParameterSyntax);
        }
        match self.phase {
            Phase::Connected => Step::Reply(Reply::NeedHelo),
            Phase::Greeted | Phase::Data => Step::Reply(Reply::NeedMail),
            Phase::Mail if self.recipients.is_empty() => Step::Reply(Reply::NeedRecipient),
            Phase::Mail => {
                self.phase = Phase::Data;
                self.data_bytes = 0;
                self.data_error = None;
                Step::StartData(Transaction {
                    from: self.from.clone(),
                    recipients: self.recipients.clone(),
                    smtputf8: self.smtputf8,
                    helo: self.helo.clone(),
                    tls: self.tls,
                    client: self.forwarded.clone(),
                })
            }
        }
    }

    /// XFORWARD (Postfix's XFORWARD_README): attributes of the original client, kept for the
    /// next transaction. Allowed only between transactions.
    fn xforward(&mut self, arg: &str) -> Step {
        match self.phase {
            Phase::Connected => return Step::Reply(Reply::NeedHelo),
            Phase::Mail | Phase::Data => return Step::Reply(Reply::NestedMail),
            Phase::Greeted => {}
        }
        if arg.is_empty() {
            return Step::Reply(Reply::ParameterSyntax);
        }
        let mut client = self.forwarded.clone().unwrap_or_default();
        for attribute in arg.split_ascii_whitespace() {
            let Some((name, value)) = attribute.split_once('=') else {
                return Step::Reply(Reply::ParameterSyntax);
            };
            let Some(value) = xtext_decode(value) else {
                return Step::Reply(Reply::ParameterSyntax);
            };
            let value = match value.as_str() {
                "[UNAVAILABLE]" | "[TEMPUNAVAIL]" => None,
                _ => Some(value),
            };
            match name.to_ascii_uppercase().as_str() {
                "NAME" => client.name = value,
                "ADDR" => client.addr = value,
                "PROTO" => client.proto = value,
                "HELO" => client.helo = value,
                "SOURCE" | "PORT" | "IDENT" => {}
                _ => return Step::Reply(Reply::ParameterSyntax),
            }
        }
        self.forwarded = Some(client);
        Step::Reply(Reply::Ok)
    }

    fn starttls(&mut self, arg: &str) -> Step {
        if !arg.is_empty() {
            return Step::Reply(Reply::ParameterSyntax);
        }
        if self.tls {
            return Step::Reply(Reply::AlreadyInTls);
        }
        if !self.config.tls_available {
            return Step::Reply(Reply::TlsNotAvailable);
        }
        match self.phase {
            Phase::Connected => Step::Reply(Reply::NeedHelo),
            Phase::Mail | Phase::Data => Step::Reply(Reply::NestedMail),
            Phase::Greeted => Step::StartTls,
        }
    }

    /// One line of message content (without CRLF) while in DATA.
    pub fn data_line(&mut self, mut line: Vec<u8>) -> Step {
        if line == b"." {
            let refused = self.data_error.take();
            self.reset_transaction();
            return Step::EndData(refused.map_or(Ok(()), Err));
        }
        // Dot-unstuffing (RFC 5321 4.5.2).
        if line.first() == Some(&b'.') {
            line.remove(0);
        }
        self.data_bytes = self.data_bytes.saturating_add(line.len() + 2);
        if self.data_bytes > self.config.max_message_bytes {
            self.data_error.get_or_insert(Reply::MessageTooBig);
        }
        if self.data_error.is_some() {
            return Step::Continue;
        }
        Step::Content(line)
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| s[prefix.len()..].trim_start())
}

/// Splits `<path> params` into the path without brackets and the parameters.
fn split_path(s: &str) -> Option<(&str, &str)> {
    let rest = s.strip_prefix('<')?;
    let end = rest.find('>')?;
    let path = &rest[..end];
    let params = &rest[end + 1..];
    if !params.is_empty() && !params.starts_with(' ') {
        return None;
    }
    Some((path, params))
}

/// RFC 3461 xtext (`+XX` for a byte), limited to a short run of visible ASCII.
fn xtext_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = String::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let c = if bytes[i] == b'+' {
            let hex = value.get(i + 1..i + 3)?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            i += 3;
            char::from(u8::from_str_radix(hex, 16).ok()?)
        } else {
            i += 1;
            char::from(bytes[i - 1])
        };
        if !c.is_ascii_graphic() {
            return None;
        }
        out.push(c);
    }
    (!out.is_empty() && out.len() <= 255).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn session() -> Session {
        Session::new(Arc::new(SessionConfig {
            hostname: "gw.example".into(),
            accept_domains: vec!["city.example.lg.jp".into()],
            max_message_bytes: 100,
            max_recipients: 2,
            max_errors: 5,
            tls_available: true,
            xforward_hosts: vec!["127.0.0.0/8".parse().unwrap()],
            relay_networks: vec!["10.20.0.0/16".parse().unwrap()],
            verify_recipients: false,
        }))
    }

    fn cmd(s: &mut Session, line: &str) -> Step {
        s.command(line.as_bytes(), || true)
    }

    fn ready() -> Session {
        let mut s = session();
        assert!(matches!(
            cmd(&mut s, "EHLO client"),
            Step::Reply(Reply::Ehlo { .. })
        ));
        s
    }

    #[rstest]
    #[case("MAIL FROM:<a@b.example>", Reply::SenderOk)]
    #[case("mail from:<a@b.example>", Reply::SenderOk)]
    #[case("MAIL FROM: <a@b.example>", Reply::SenderOk)]
    #[case("MAIL FROM:<>", Reply::SenderOk)]
    #[case("MAIL FROM:<a@b.example> SIZE=100", Reply::SenderOk)]
    #[case("MAIL FROM:<a@b.example> SIZE=101", Reply::MessageTooBig)]
    #[case("MAIL FROM:<a@b.example> SIZE=x", Reply::ParameterSyntax)]
    #[case("MAIL FROM:<a@b.example> BODY=8BITMIME", Reply::SenderOk)]
    #[case("MAIL FROM:<a@b.example> RET=FULL", Reply::ParameterNotImplemented)]
    #[case("MAIL FROM:<ä@b.example>", Reply::NeedSmtpUtf8)]
    #[case("MAIL FROM:<ä@b.example> SMTPUTF8", Reply::SenderOk)]
    #[case("MAIL FROM:a@b.example", Reply::BadSenderAddress)]
    #[case("MAIL FROM:<a b@b.example>", Reply::BadSenderAddress)]
    #[case("MAIL FROM:<@relay:a@b.example>", Reply::BadSenderAddress)]
    #[case("MAIL TO:<a@b.example>", Reply::ParameterSyntax)]
    fn mail_from(#[case] line: &str, #[case] expected: Reply) {
        let mut s = ready();
        assert_eq!(cmd(&mut s, line), Step::Reply(expected));
    }

    #[rstest]
    #[case("RCPT TO:<user@city.example.lg.jp>", Reply::RecipientOk)]
    #[case("RCPT TO:<user@CITY.example.lg.jp.>", Reply::RecipientOk)]
    #[case("RCPT TO:<postmaster>", Reply::RecipientOk)]
    #[case("RCPT TO:<user@elsewhere.example>", Reply::RelayDenied)]
    #[case("RCPT TO:<user@sub.city.example.lg.jp>", Reply::RelayDenied)]
    #[case(
        "RCPT TO:<user@city.example.lg.jp@evil.example>",
        Reply::BadRecipientAddress
    )]
    #[case(
        "RCPT TO:<user@city.example.lg.jp> NOTIFY=NEVER",
        Reply::ParameterNotImplemented
    )]
    #[case("RCPT TO:<>", Reply::BadRecipientAddress)]
    fn rcpt_to(#[case] line: &str, #[case] expected: Reply) {
        let mut s = ready();
        cmd(&mut s, "MAIL FROM:<a@b.example>");
        assert_eq!(cmd(&mut s, line), Step::Reply(expected));
    }

    /// A quoted local part may hold `@`, and `%` or `!` in a local part route onwards on many
    /// MTAs (the percent hack, bang paths): each passed as local mail for an accepted domain, and
    /// a next hop that honours it relayed for anyone. Refused for every client, relay networks
    /// included, like source routes.
    #[rstest]
    #[case::quoted_at(r#"RCPT TO:<"x@evil.example"@city.example.lg.jp>"#)]
    #[case::quoted_escaped_at(r#"RCPT TO:<"x\@evil.example"@city.example.lg.jp>"#)]
    #[case::quoted_percent(r#"RCPT TO:<"x%evil.example"@city.example.lg.jp>"#)]
    #[case::quoted_bang(r#"RCPT TO:<"evil.example!x"@city.example.lg.jp>"#)]
    #[case::percent_hack("RCPT TO:<x%evil.example@city.example.lg.jp>")]
    #[case::bang_path("RCPT TO:<evil.example!x@city.example.lg.jp>")]
    #[case::source_route("RCPT TO:<@a.example,@b.example:x@city.example.lg.jp>")]
    #[case::source_route_one_hop("RCPT TO:<@evil.example:x@city.example.lg.jp>")]
    fn routing_in_a_recipient_does_not_pass_as_local_mail(
        #[case] line: &str,
        #[values(false, true)] relay_network: bool,
    ) {
        let mut s = ready();
        if relay_network {
            s.permit_relay();
        }
        cmd(&mut s, "MAIL FROM:<a@b.example>");
        let Step::Reply(reply) = cmd(&mut s, line) else {
            panic!("{line}: no reply");
        };
        let (code, enhanced, _) = reply.parts();
        assert_eq!((code, enhanced), (550, Some("5.1.3")), "{line}: {reply:?}");
    }

    #[test]
    fn with_verification_only_recipients_of_the_accepted_domains_are_asked_about() {
        let mut config = (*session().config).clone();
        config.verify_recipients = true;
        config.max_recipients = 10;
        let mut s = Session::new(Arc::new(config));
        s.permit_relay();
        cmd(&mut s, "EHLO c");
        cmd(&mut s, "MAIL FROM:<a@b.example>");
        let ask = |s: &mut Session, rcpt: &str| cmd(s, &format!("RCPT TO:<{rcpt}>"));
        assert_eq!(
            ask(&mut s, "u@CITY.example.lg.jp"),
            Step::VerifyRecipient("u@CITY.example.lg.jp".into())
        );
        assert_eq!(
            s.recipient_verified("u@CITY.example.lg.jp".into(), &Verdict::Deliverable),
            Step::Reply(Reply::RecipientOk)
        );
        let gone = Verdict::Undeliverable("550 5.1.1 no such user".into());
        assert!(matches!(
            ask(&mut s, "gone@city.example.lg.jp"),
            Step::VerifyRecipient(_)
        ));
        let refused = s.recipient_verified("gone@city.example.lg.jp".into(), &gone);
        assert_eq!(refused, Step::Reply(Reply::UnknownRecipient));
        assert_eq!(Reply::UnknownRecipient.parts().0, 550);
        let unknown = Verdict::Unknown("connection refused".into());
        assert!(matches!(
            ask(&mut s, "later@city.example.lg.jp"),
            Step::VerifyRecipient(_)
        ));
        let deferred = s.recipient_verified("later@city.example.lg.jp".into(), &unknown);
        assert_eq!(deferred, Step::Reply(Reply::RecipientNotVerified));
        assert_eq!(Reply::RecipientNotVerified.parts().0, 450);
        // Not asked: the bare postmaster, and a relay network's mail to other domains.
        assert_eq!(ask(&mut s, "postmaster"), Step::Reply(Reply::RecipientOk));
        assert_eq!(
            ask(&mut s, "partner@elsewhere.example"),
            Step::Reply(Reply::RecipientOk)
        );
        let Step::StartData(t) = cmd(&mut s, "DATA") else {
            panic!("no DATA");
        };
        assert_eq!(
            t.recipients,
            vec![
                "u@CITY.example.lg.jp",
                "postmaster",
                "partner@elsewhere.example"
            ]
        );
    }

    #[test]
    fn commands_out_of_order_are_refused() {
        let mut s = session();
        assert_eq!(
            cmd(&mut s, "MAIL FROM:<a@b.example>"),
            Step::Reply(Reply::NeedHelo)
        );
        let mut s = ready();
        assert_eq!(
            cmd(&mut s, "RCPT TO:<u@city.example.lg.jp>"),
            Step::Reply(Reply::NeedMail)
        );
        assert_eq!(cmd(&mut s, "DATA"), Step::Reply(Reply::NeedMail));
        cmd(&mut s, "MAIL FROM:<a@b.example>");
        assert_eq!(
            cmd(&mut s, "MAIL FROM:<a@b.example>"),
            Step::Reply(Reply::NestedMail)
        );
        let mut s = ready();
        cmd(&mut s, "MAIL FROM:<a@b.example>");
        assert_eq!(cmd(&mut s, "DATA"), Step::Reply(Reply::NeedRecipient));
    }

    #[test]
    fn too_many_errors_close_the_connection() {
        let mut s = ready();
        for _ in 0..4 {
            assert_eq!(cmd(&mut s, "BOGUS"), Step::Reply(Reply::SyntaxError));
        }
        assert_eq!(cmd(&mut s, "BOGUS"), Step::Close(Reply::TooManyErrors));
    }

    #[test]
    fn recipient_limit_gives_452() {
        let mut s = ready();
        cmd(&mut s, "MAIL FROM:<a@b.example>");
        cmd(&mut s, "RCPT TO:<a@city.example.lg.jp>");
        cmd(&mut s, "RCPT TO:<b@city.example.lg.jp>");
        assert_eq!(
            cmd(&mut s, "RCPT TO:<c@city.example.lg.jp>"),
            Step::Reply(Reply::TooManyRecipients)
        );
    }

    #[test]
    fn full_spool_gives_452_at_mail() {
        let mut s = ready();
        assert_eq!(
            s.command(b"MAIL FROM:<a@b.example>", || false),
            Step::Reply(Reply::InsufficientStorage)
        );
    }

    #[test]
    fn data_is_dot_unstuffed_and_ends_only_at_a_lone_dot() {
        let mut s = ready();
        cmd(&mut s, "MAIL FROM:<a@b.example>");
        cmd(&mut s, "RCPT TO:<u@city.example.lg.jp>");
        match cmd(&mut s, "DATA") {
            Step::StartData(t) => {
                assert_eq!(t.recipients, vec!["u@city.example.lg.jp".to_string()]);
                assert_eq!(t.from, "a@b.example");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            s.data_line(b"..leading dot".to_vec()),
            Step::Content(b".leading dot".to_vec())
        );
        assert_eq!(s.data_line(b". ".to_vec()), Step::Content(b" ".to_vec()));
        assert_eq!(s.data_line(b"".to_vec()), Step::Content(Vec::new()));
        assert_eq!(s.data_line(b".".to_vec()), Step::EndData(Ok(())));
        assert!(!s.in_data());
        assert_eq!(
            cmd(&mut s, "RCPT TO:<u@city.example.lg.jp>"),
            Step::Reply(Reply::NeedMail)
        );
    }

    #[test]
    fn oversized_data_is_refused_at_its_end() {
        let mut s = ready();
        cmd(&mut s, "MAIL FROM:<a@b.example>");
        cmd(&mut s, "RCPT TO:<u@city.example.lg.jp>");
        cmd(&mut s, "DATA");
        let steps: Vec<Step> = (0..20)
            .map(|_| s.data_line(b"0123456789".to_vec()))
            .collect();
        // 100 bytes allowed: eight lines of 12 pass, the rest are dropped.
        assert!(steps[..8].iter().all(|s| matches!(s, Step::Content(_))));
        assert!(steps[8..].iter().all(|s| *s == Step::Continue));
        assert_eq!(
            s.data_line(b".".to_vec()),
            Step::EndData(Err(Reply::MessageTooBig))
        );
    }

    #[test]
    fn a_refused_data_start_returns_to_the_greeted_state() {
        let mut s = ready();
        cmd(&mut s, "MAIL FROM:<a@b.example>");
        cmd(&mut s, "RCPT TO:<u@city.example.lg.jp>");
        assert!(matches!(cmd(&mut s, "DATA"), Step::StartData(_)));
        s.data_refused();
        assert!(!s.in_data());
        assert_eq!(
            cmd(&mut s, "RCPT TO:<u@city.example.lg.jp>"),
            Step::Reply(Reply::NeedMail)
        );
        assert_eq!(
            cmd(&mut s, "MAIL FROM:<a@b.example>"),
            Step::Reply(Reply::SenderOk)
        );
    }

    #[test]
    fn only_a_relay_network_peer_may_send_to_any_domain() {
        let config = session().config.clone();
        assert!(config.permits_relay("10.20.3.4".parse().unwrap()));
        assert!(!config.permits_relay("10.21.0.1".parse().unwrap()));
        assert!(!config.permits_relay("192.0.2.1".parse().unwrap()));

        let mut outsider = ready();
        cmd(&mut outsider, "MAIL FROM:<a@b.example>");
        assert_eq!(
            cmd(&mut outsider, "RCPT TO:<someone@elsewhere.example>"),
            Step::Reply(Reply::RelayDenied)
        );

        let mut internal = ready();
        internal.permit_relay();
        cmd(&mut internal, "MAIL FROM:<staff@city.example.lg.jp>");
        assert_eq!(
            cmd(&mut internal, "RCPT TO:<someone@elsewhere.example>"),
            Step::Reply(Reply::RecipientOk)
        );
        // Relaying lifts the domain check only: addresses are still checked.
        assert_eq!(
            cmd(&mut internal, "RCPT TO:<no-domain>"),
            Step::Reply(Reply::BadRecipientAddress)
        );
    }

    #[test]
    fn xforward_is_offered_and_obeyed_only_for_a_trusted_peer() {
        let mut s = ready();
        assert_eq!(
            cmd(&mut s, "XFORWARD ADDR=192.0.2.7"),
            Step::Reply(Reply::SyntaxError)
        );
        let mut s = session();
        s.trust_xforward();
        match cmd(&mut s, "EHLO mx.example") {
            Step::Reply(Reply::Ehlo { extensions, .. }) => {
                assert!(
                    extensions
                        .iter()
                        .any(|e| e.starts_with("XFORWARD NAME ADDR"))
                );
            }
            other => panic!("{other:?}"),
        }
        let forwarded = [
            "XFORWARD NAME=mail.sender.example ADDR=192.0.2.7 PROTO=ESMTP",
            "XFORWARD HELO=sender+2Bhost.example SOURCE=REMOTE PORT=41234 IDENT=[UNAVAILABLE]",
        ];
        for line in forwarded {
            assert_eq!(cmd(&mut s, line), Step::Reply(Reply::Ok), "{line}");
        }
        cmd(&mut s, "MAIL FROM:<a@b.example>");
        assert_eq!(
            cmd(&mut s, "XFORWARD ADDR=192.0.2.8"),
            Step::Reply(Reply::NestedMail)
        );
        cmd(&mut s, "RCPT TO:<u@city.example.lg.jp>");
        let Step::StartData(t) = cmd(&mut s, "DATA") else {
            panic!("no DATA")
        };
        assert_eq!(
            t.client,
            Some(ForwardedClient {
                name: Some("mail.sender.example".into()),
                addr: Some("192.0.2.7".into()),
                proto: Some("ESMTP".into()),
                helo: Some("sender+host.example".into()),
            })
        );
        assert_eq!(s.data_line(b".".to_vec()), Step::EndData(Ok(())));
        // Forgotten after the transaction.
        cmd(&mut s, "MAIL FROM:<a@b.example>");
        cmd(&mut s, "RCPT TO:<u@city.example.lg.jp>");
        let Step::StartData(t) = cmd(&mut s, "DATA") else {
            panic!("no DATA")
        };
        assert_eq!(t.client, None);
    }

    #[rstest]
    #[case("XFORWARD", Reply::ParameterSyntax)]
    #[case("XFORWARD ADDR", Reply::ParameterSyntax)]
    #[case("XFORWARD COLOUR=red", Reply::ParameterSyntax)]
    #[case("XFORWARD NAME=a+0Db", Reply::ParameterSyntax)]
    #[case("XFORWARD NAME=a+2", Reply::ParameterSyntax)]
    #[case("XFORWARD NAME=a++41", Reply::ParameterSyntax)]
    #[case("XFORWARD NAME=", Reply::ParameterSyntax)]
    #[case("XFORWARD NAME=ä", Reply::ParameterSyntax)]
    #[case("XFORWARD NAME=[TEMPUNAVAIL] ADDR=IPV6:2001:db8::1", Reply::Ok)]
    fn hostile_xforward_is_refused(#[case] line: &str, #[case] expected: Reply) {
        let mut s = session();
        s.trust_xforward();
        cmd(&mut s, "EHLO mx.example");
        assert_eq!(cmd(&mut s, line), Step::Reply(expected), "{line}");
    }

    #[rstest]
    #[case("127.0.0.0/8", "127.8.9.1", true)]
    #[case("127.0.0.0/8", "128.0.0.1", false)]
    #[case("127.0.0.1", "127.0.0.1", true)]
    #[case("127.0.0.1", "127.0.0.2", false)]
    #[case("0.0.0.0/0", "203.0.113.9", true)]
    #[case("127.0.0.0/8", "::ffff:127.0.0.1", true)]
    #[case("::1", "::1", true)]
    #[case("fd00::/8", "fd12::1", true)]
    #[case("fd00::/8", "fe80::1", false)]
    #[case("::1", "127.0.0.1", false)]
    fn address_ranges(#[case] range: &str, #[case] ip: &str, #[case] inside: bool) {
        let r: AddressRange = range.parse().unwrap();
        assert_eq!(r.contains(ip.parse().unwrap()), inside, "{range} {ip}");
    }

    #[rstest]
    // Host bits are cleared: the block is the one every address of which the range matched.
    #[case("10.1.2.3/16", "10.1.0.0/16")]
    #[case("192.0.2.77/24", "192.0.2.0/24")]
    #[case("fd00::1/8", "fd00::/8")]
    #[case("10.0.0.0/8", "10.0.0.0/8")]
    #[case("127.0.0.1", "127.0.0.1/32")]
    #[case("::1", "::1/128")]
    fn address_ranges_are_blocks(#[case] range: &str, #[case] block: &str) {
        let r: AddressRange = range.parse().unwrap();
        assert_eq!(r.to_string(), block);
        assert_eq!(r, block.parse().unwrap());
    }

    #[rstest]
    #[case("10.1.2.3/16", "10.1.200.9", true)]
    #[case("10.1.2.3/16", "10.2.0.1", false)]
    #[case("192.0.2.77/24", "::ffff:192.0.2.1", true)]
    #[case("::ffff:192.0.2.0/120", "192.0.2.1", false)]
    #[case("::ffff:192.0.2.0/120", "::ffff:192.0.2.1", false)]
    #[case("0.0.0.0/0", "::1", false)]
    #[case("::/0", "2001:db8::25", true)]
    #[case("::/0", "::ffff:192.0.2.1", false)]
    fn mapped_clients_are_their_ipv4_address(
        #[case] range: &str,
        #[case] ip: &str,
        #[case] inside: bool,
    ) {
        let r: AddressRange = range.parse().unwrap();
        assert_eq!(r.contains(ip.parse().unwrap()), inside, "{range} {ip}");
    }

    #[rstest]
    #[case(
        "127.0.0.0/33",
        "the prefix length /33 is longer than the 32 bits of an IPv4 address"
    )]
    #[case(
        "10.0.0.0/33",
        "the prefix length /33 is longer than the 32 bits of an IPv4 address"
    )]
    #[case(
        "::/129",
        "the prefix length /129 is longer than the 128 bits of an IPv6 address"
    )]
    #[case(
        "::1/129",
        "the prefix length /129 is longer than the 128 bits of an IPv6 address"
    )]
    #[case("localhost", "not an address or CIDR block")]
    #[case("abc", "not an address or CIDR block")]
    #[case("10.0.0.0/x", "not an address or CIDR block")]
    #[case("10.0.0.0/", "not an address or CIDR block")]
    #[case("/8", "not an address or CIDR block")]
    #[case("10.0.0/8", "not an address or CIDR block")]
    #[case("10.0.0.0/-1", "not an address or CIDR block")]
    #[case("10.0.0.0/8/8", "not an address or CIDR block")]
    #[case("", "not an empty value")]
    #[case(" ", "not an empty value")]
    fn bad_address_ranges(#[case] range: &str, #[case] message: &str) {
        let error = range.parse::<AddressRange>().unwrap_err();
        assert!(error.contains(message), "{range}: {error}");
    }

    #[test]
    fn starttls_is_offered_once_and_resets_the_session() {
        let mut s = ready();
        assert_eq!(cmd(&mut s, "STARTTLS"), Step::StartTls);
        s.tls_started();
        assert_eq!(
            cmd(&mut s, "MAIL FROM:<a@b.example>"),
            Step::Reply(Reply::NeedHelo)
        );
        match cmd(&mut s, "EHLO client") {
            Step::Reply(Reply::Ehlo { extensions, .. }) => {
                assert!(!extensions.iter().any(|e| e == "STARTTLS"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(cmd(&mut s, "STARTTLS"), Step::Reply(Reply::AlreadyInTls));
    }
}
