//! Every SMTP reply the gateway sends, in one table: code, enhanced status code (RFC 3463) and text.
//!
//! Nothing else in the crate writes a reply code; the session returns a [`Reply`] and the driver
//! renders it.

/// One reply of the SMTP server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Greeting on connect; carries the host name.
    Greeting(String),
    /// Answer to EHLO: host name and the extension lines.
    Ehlo {
        host: String,
        extensions: Vec<String>,
    },
    /// Answer to HELO; carries the host name.
    Helo(String),
    Ok,
    SenderOk,
    RecipientOk,
    /// The message is durably spooled under this queue id.
    Queued(String),
    StartMailInput,
    ReadyToStartTls,
    Help,
    CannotVerify,
    Bye,
    IdleTimeout,
    /// The connection reached its time limit.
    SessionTimeout,
    /// The DATA phase reached its time limit.
    DataTimeout,
    /// Message content arrived more slowly than the minimum rate.
    DataTooSlow,
    TooManyErrors,
    TooManyConnections,
    TooManyConnectionsFromAddress,
    TlsNotAvailable,
    InsufficientStorage,
    TooManyRecipients,
    LocalError,
    SyntaxError,
    LineTooLong,
    ParameterSyntax,
    BadSenderAddress,
    BadRecipientAddress,
    NotImplemented,
    NeedHelo,
    NeedMail,
    NeedRecipient,
    AlreadyInTls,
    NestedMail,
    ParameterNotImplemented,
    RelayDenied,
    /// The next hop refused the recipient permanently when asked (`--verify-recipients`).
    UnknownRecipient,
    /// The next hop could not be asked about the recipient, or gave no answer yet.
    RecipientNotVerified,
    /// A recipient that routes onward from its local part (`%`, `!`, a quoted `@`) or through
    /// a source route: refused whatever its domain, as the next hop might follow the route.
    RoutedAddress,
    BareLineEnding,
    MessageTooBig,
    NeedSmtpUtf8,
}

impl Reply {
    /// The table: basic code, enhanced code (None where RFC 2034 forbids one) and text.
    pub fn parts(&self) -> (u16, Option<&'static str>, &'static str) {
        use Reply::*;
        match self {
            Greeting(_) => (220, None, "ESMTP mamori"),
            Ehlo { .. } => (250, None, ""),
            Helo(_) => (250, None, ""),
            Ok => (250, Some("2.0.0"), "OK"),
            SenderOk => (250, Some("2.1.0"), "Sender OK"),
            RecipientOk => (250, Some("2.1.5"), "Recipient OK"),
            Queued(_) => (250, Some("2.0.0"), "OK: queued as"),
            StartMailInput => (354, None, "End data with <CR><LF>.<CR><LF>"),
            ReadyToStartTls => (220, Some("2.0.0"), "Ready to start TLS"),
            Help => (
                214,
                Some("2.0.0"),
                "Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP STARTTLS",
            ),
            CannotVerify => (
                252,
                Some("2.5.0"),
                "Cannot VRFY user, but will accept message and attempt delivery",
            ),
            Bye => (221, Some("2.0.0"), "Bye"),
            IdleTimeout => (421, Some("4.4.2"), "Idle timeout, closing connection"),
            SessionTimeout => (
                421,
                Some("4.4.2"),
                "Session time limit reached, closing connection",
            ),
            DataTimeout => (
                421,
                Some("4.4.2"),
                "Message not received in time, closing connection",
            ),
            DataTooSlow => (
                421,
                Some("4.4.2"),
                "Message transfer too slow, closing connection",
            ),
            TooManyErrors => (421, Some("4.7.0"), "Too many errors, closing connection"),
            TooManyConnections => (421, Some("4.3.2"), "Too many connections, try again later"),
            TooManyConnectionsFromAddress => (
                421,
                Some("4.7.0"),
                "Too many connections from your address, try again later",
            ),
            TlsNotAvailable => (454, Some("4.7.0"), "TLS not available"),
            InsufficientStorage => (452, Some("4.3.1"), "Insufficient system storage"),
            TooManyRecipients => (452, Some("4.5.3"), "Too many recipients"),
            LocalError => (
                451,
                Some("4.3.0"),
                "Local error in processing, try again later",
            ),
            SyntaxError => (500, Some("5.5.2"), "Syntax error, command unrecognised"),
            LineTooLong => (500, Some("5.5.2"), "Line too long"),
            ParameterSyntax => (
                501,
                Some("5.5.4"),
                "Syntax error in parameters or arguments",
            ),
            BadSenderAddress => (501, Some("5.1.7"), "Bad sender address syntax"),
            BadRecipientAddress => (501, Some("5.1.3"), "Bad recipient address syntax"),
            NotImplemented => (502, Some("5.5.1"), "Command not implemented"),
            NeedHelo => (503, Some("5.5.1"), "Send EHLO or HELO first"),
            NeedMail => (503, Some("5.5.1"), "Need MAIL command first"),
            NeedRecipient => (503, Some("5.5.1"), "Need RCPT command first"),
            AlreadyInTls => (503, Some("5.5.1"), "TLS already active"),
            NestedMail => (503, Some("5.5.1"), "Sender already specified"),
            ParameterNotImplemented => (
                555,
                Some("5.5.4"),
                "MAIL or RCPT parameter not recognised or not implemented",
            ),
            RelayDenied => (550, Some("5.7.1"), "Relaying denied"),
            UnknownRecipient => (
                550,
                Some("5.1.1"),
                "Recipient address rejected: undeliverable address",
            ),
            RecipientNotVerified => (
                450,
                Some("4.1.1"),
                "Recipient address not verified yet, try again later",
            ),
            RoutedAddress => (
                550,
                Some("5.1.3"),
                "Routed addresses (source routes, %, ! or a quoted @) are not accepted",
            ),
            BareLineEnding => (
                550,
                Some("5.5.2"),
                "Bare CR or LF not allowed; lines must end with CRLF",
            ),
            MessageTooBig => (552, Some("5.3.4"), "Message size exceeds fixed limit"),
            NeedSmtpUtf8 => (553, Some("5.6.7"), "Non-ASCII address requires SMTPUTF8"),
        }
    }

    /// The basic reply code.
    pub fn code(&self) -> u16 {
        self.parts().0
    }

    /// Whether this reply counts towards the per-connection error limit.
    pub fn is_error(&self) -> bool {
        self.code() >= 500
    }

    /// The reply as it goes on the wire, CRLF-terminated, one or more lines.
    pub fn render(&self) -> Vec<u8> {
        let (code, enhanced, text) = self.parts();
        let lines: Vec<String> = match self {
            Reply::Greeting(host) => vec![format!("{host} {text}")],
            Reply::Helo(host) => vec![host.clone()],
            Reply::Ehlo { host, extensions } => std::iter::once(host.clone())
                .chain(extensions.iter().cloned())
                .collect(),
            Reply::Queued(id) => vec![format!("{text} {id}")],
            _ => vec![text.to_string()],
        };
        let mut out = Vec::new();
        let last = lines.len() - 1;
        for (i, line) in lines.iter().enumerate() {
            let sep = if i == last { ' ' } else { '-' };
            let line = match enhanced {
                Some(e) => format!("{code}{sep}{e} {line}\r\n"),
                None => format!("{code}{sep}{line}\r\n"),
            };
            out.extend_from_slice(line.as_bytes());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiline_replies_use_dashes_until_the_last_line() {
        let r = Reply::Ehlo {
            host: "gw.example".into(),
            extensions: vec!["PIPELINING".into(), "SIZE 10".into()],
        };
        assert_eq!(
            r.render(),
            b"250-gw.example\r\n250-PIPELINING\r\n250 SIZE 10\r\n".to_vec()
        );
    }

    #[test]
    fn enhanced_codes_share_the_class_of_the_basic_code() {
        let all = [
            Reply::Ok,
            Reply::SenderOk,
            Reply::RecipientOk,
            Reply::Queued("x".into()),
            Reply::ReadyToStartTls,
            Reply::Help,
            Reply::CannotVerify,
            Reply::Bye,
            Reply::IdleTimeout,
            Reply::SessionTimeout,
            Reply::DataTimeout,
            Reply::DataTooSlow,
            Reply::TooManyErrors,
            Reply::TooManyConnections,
            Reply::TooManyConnectionsFromAddress,
            Reply::TlsNotAvailable,
            Reply::InsufficientStorage,
            Reply::TooManyRecipients,
            Reply::LocalError,
            Reply::SyntaxError,
            Reply::LineTooLong,
            Reply::ParameterSyntax,
            Reply::BadSenderAddress,
            Reply::BadRecipientAddress,
            Reply::NotImplemented,
            Reply::NeedHelo,
            Reply::NeedMail,
            Reply::NeedRecipient,
            Reply::AlreadyInTls,
            Reply::NestedMail,
            Reply::ParameterNotImplemented,
            Reply::RelayDenied,
            Reply::UnknownRecipient,
            Reply::RecipientNotVerified,
            Reply::RoutedAddress,
            Reply::BareLineEnding,
            Reply::MessageTooBig,
            Reply::NeedSmtpUtf8,
        ];
        for r in all {
            let (code, enhanced, _) = r.parts();
            let class = char::from(b'0' + u8::try_from(code / 100).unwrap());
            assert_eq!(enhanced.unwrap().chars().next(), Some(class), "{r:?}");
        }
    }

    #[test]
    fn queued_reply_names_the_queue_id() {
        assert_eq!(
            Reply::Queued("abc".into()).render(),
            b"250 2.0.0 OK: queued as abc\r\n".to_vec()
        );
    }
}
