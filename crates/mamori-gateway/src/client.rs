//! A small SMTP client for delivery to the next hop.
//!
//! Our own rather than `lettre`: delivery needs the exact envelope (null sender, several
//! recipients with per-recipient results, SMTPUTF8 only when the envelope needs it), a message that
//! is already formatted bytes, and reply codes classified into temporary and permanent for the
//! retry logic. That is a hundred lines over the same strict line codec the server uses, whereas
//! lettre brings its own builder, transport and TLS stack we would not use.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::codec::{LineBuffer, MAX_LINE};

/// Where and how to deliver.
#[derive(Debug, Clone)]
pub struct NextHop {
    /// `HOST:PORT`.
    pub address: String,
    /// Name sent in EHLO.
    pub helo: String,
    /// Limit on connecting and on waiting for each reply.
    pub timeout: Duration,
}

/// A delivery that reached the end of DATA for at least one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub accepted: Vec<String>,
    /// Recipients the next hop refused permanently, with its reply.
    pub rejected: Vec<(String, String)>,
    /// The next hop's reply to the end of data.
    pub reply: String,
}

/// A delivery that did not happen.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DeliveryError {
    /// Try again later: connection failure, timeout or a 4xx reply.
    #[error("temporary failure: {0}")]
    Temporary(String),
    /// Do not try again: a 5xx reply to the whole message. Holds per-recipient replies when the
    /// next hop refused every recipient.
    #[error("permanent failure: {reply}")]
    Permanent {
        reply: String,
        rejected: Vec<(String, String)>,
    },
}

struct Reply {
    code: u16,
    text: String,
    lines: Vec<String>,
}

struct Client {
    stream: TcpStream,
    lines: LineBuffer,
    timeout: Duration,
}

impl Client {
    async fn reply(&mut self) -> Result<Reply, DeliveryError> {
        let mut lines = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            while let Some(line) = self.lines.next_line() {
                let line =
                    line.map_err(|e| DeliveryError::Temporary(format!("bad reply line: {e:?}")))?;
                let text = String::from_utf8_lossy(&line).into_owned();
                let code = text
                    .get(..3)
                    .and_then(|c| c.parse::<u16>().ok())
                    .ok_or_else(|| DeliveryError::Temporary(format!("bad reply: {text}")))?;
                let last = text.as_bytes().get(3) != Some(&b'-');
                lines.push(text.get(4..).unwrap_or("").to_string());
                if last {
                    return Ok(Reply { code, text, lines });
                }
            }
            let n = tokio::time::timeout(self.timeout, self.stream.read(&mut buf))
                .await
                .map_err(|_| DeliveryError::Temporary("timeout waiting for next hop".into()))?
                .map_err(temporary)?;
            if n == 0 {
                return Err(DeliveryError::Temporary(
                    "next hop closed the connection".into(),
                ));
            }
            self.lines.push(&buf[..n]);
        }
    }

    async fn send(&mut self, bytes: &[u8]) -> Result<(), DeliveryError> {
        tokio::time::timeout(self.timeout, self.stream.write_all(bytes))
            .await
            .map_err(|_| DeliveryError::Temporary("timeout writing to next hop".into()))?
            .map_err(temporary)
    }

    async fn command(&mut self, line: &str) -> Result<Reply, DeliveryError> {
        self.send(format!("{line}\r\n").as_bytes()).await?;
        self.reply().await
    }

    async fn quit(&mut self) {
        let _ = self.command("QUIT").await;
    }
}

fn temporary(e: io::Error) -> DeliveryError {
    DeliveryError::Temporary(e.to_string())
}

fn failure(reply: &Reply) -> DeliveryError {
    if reply.code >= 500 {
        DeliveryError::Permanent {
            reply: reply.text.clone(),
            rejected: Vec::new(),
        }
    } else {
        DeliveryError::Temporary(reply.text.clone())
    }
}

/// Delivers one message. Any 4xx for a recipient defers the whole message, so that a later
/// attempt never duplicates a delivery; a 5xx refuses only that recipient.
pub async fn deliver(
    hop: &NextHop,
    from: &str,
    recipients: &[String],
    message: &[u8],
    smtputf8: bool,
) -> Result<Delivered, DeliveryError> {
    let stream = tokio::time::timeout(hop.timeout, TcpStream::connect(&hop.address))
        .await
        .map_err(|_| DeliveryError::Temporary("timeout connecting to next hop".into()))?
        .map_err(temporary)?;
    let mut c = Client {
        stream,
        lines: LineBuffer::new(MAX_LINE),
        timeout: hop.timeout,
    };
    let greeting = c.reply().await?;
    if greeting.code != 220 {
        c.quit().await;
        return Err(failure(&greeting));
    }
    let ehlo = c.command(&format!("EHLO {}", hop.helo)).await?;
    let extensions: Vec<String> = if ehlo.code == 250 {
        ehlo.lines.iter().map(|l| l.to_ascii_uppercase()).collect()
    } else {
        let helo = c.command(&format!("HELO {}", hop.helo)).await?;
        if helo.code != 250 {
            c.quit().await;
            return Err(failure(&helo));
        }
        Vec::new()
    };
    let has = |ext: &str| extensions.iter().any(|e| e.split(' ').next() == Some(ext));
    let mut mail = format!("MAIL FROM:<{from}>");
    if has("8BITMIME") {
        mail.push_str(" BODY=8BITMIME");
    }
    if smtputf8 {
        if !has("SMTPUTF8") {
            c.quit().await;
            return Err(DeliveryError::Permanent {
                reply: "next hop does not support SMTPUTF8".into(),
                rejected: Vec::new(),
            });
        }
        mail.push_str(" SMTPUTF8");
    }
    let r = c.command(&mail).await?;
    if r.code != 250 {
        c.quit().await;
        return Err(failure(&r));
    }
    let mut accepted = Vec::new();
    let mut rejected = Vec::new();
    for rcpt in recipients {
        let r = c.command(&format!("RCPT TO:<{rcpt}>")).await?;
        match r.code {
            250 | 251 => accepted.push(rcpt.clone()),
            500.. => rejected.push((rcpt.clone(), r.text)),
            _ => {
                c.quit().await;
                return Err(DeliveryError::Temporary(format!("{rcpt}: {}", r.text)));
            }
        }
    }
    if accepted.is_empty() {
        c.quit().await;
        return Err(DeliveryError::Permanent {
            reply: "every recipient was refused".into(),
            rejected,
        });
    }
    let r = c.command("DATA").await?;
    if r.code != 354 {
        c.quit().await;
        return Err(failure(&r));
    }
    c.send(&dot_stuff(message)).await?;
    let r = c.reply().await?;
    c.quit().await;
    if r.code != 250 {
        return Err(failure(&r));
    }
    Ok(Delivered {
        accepted,
        rejected,
        reply: r.text,
    })
}

/// The message as DATA content: every line ending made CRLF, lone CRs dropped, leading dots
/// doubled, then the end-of-data line.
pub fn dot_stuff(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 50 + 5);
    let body = message.strip_suffix(b"\n").unwrap_or(message);
    if !message.is_empty() {
        for line in body.split(|&b| b == b'\n') {
            if line.first() == Some(&b'.') {
                out.push(b'.');
            }
            out.extend(line.iter().copied().filter(|&b| b != b'\r'));
            out.extend_from_slice(b"\r\n");
        }
    }
    out.extend_from_slice(b".\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_stuffing_doubles_leading_dots_and_normalises_line_ends() {
        assert_eq!(
            dot_stuff(b"a\r\n.b\nc\rd\r\n"),
            b"a\r\n..b\r\ncd\r\n.\r\n".to_vec()
        );
        assert_eq!(
            dot_stuff(b"no final newline"),
            b"no final newline\r\n.\r\n".to_vec()
        );
        assert_eq!(dot_stuff(b""), b".\r\n".to_vec());
    }
}
