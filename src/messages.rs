//! The command line's words, from the one message catalogue (`mamori_core::i18n`): its own rows
//! `cli.*`, and the pages' rows where the command line says the same thing.
//!
//! A message is written in Japanese with its English after it in parentheses —
//! 「初期管理者を作成しました (initial administrator created)」 — always both, whatever the locale:
//! the command line has no signed-in person whose language it could follow, its output is read by
//! operators in Japanese and matched by scripts and logs in English, and one form keeps both
//! stable. A row whose two languages are the same text (an address, a count) is written once.
//!
//! Not words, and so not here: what scripts read as data (the column names of the tab-separated
//! `quarantine list` and `token list`, the `name count` lines of `gateway status`, JSON), the
//! log records written through `tracing` (English, for log collectors), clap's own usage and
//! errors, and what the libraries' errors say after a message's colon.

use mamori_core::i18n::Lang;

/// The message of `key` with its `{name}` placeholders filled, in both languages.
pub fn fill(key: &str, args: &[(&str, String)]) -> String {
    fill_each(key, |_| args.to_vec())
}

/// The message of `key` with placeholders whose values are themselves words, given per language
/// (a refused field's reason, from the catalogue too).
pub fn fill_each<'a>(key: &str, args: impl Fn(Lang) -> Vec<(&'a str, String)>) -> String {
    let ja = Lang::Ja.fill(key, &args(Lang::Ja));
    let en = Lang::En.fill(key, &args(Lang::En));
    if ja == en { ja } else { format!("{ja} ({en})") }
}

/// `msg!("cli.key")` or `msg!("cli.key", name = value, …)`: the catalogue's message in both
/// languages, each `{name}` filled with the value's `Display`.
macro_rules! msg {
    ($key:literal) => {
        $crate::messages::fill($key, &[])
    };
    ($key:literal, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::messages::fill($key, &[$((stringify!($name), ($value).to_string())),+])
    };
}
pub(crate) use msg;

#[cfg(test)]
mod tests {
    use super::*;

    /// The sources of the binary, for the keys they name.
    const SOURCES: &[(&str, &str)] = &[
        ("main.rs", include_str!("main.rs")),
        ("demo.rs", include_str!("demo.rs")),
        ("demo/policy.rs", include_str!("demo/policy.rs")),
        ("demo/controls.rs", include_str!("demo/controls.rs")),
        ("demo/risks.rs", include_str!("demo/risks.rs")),
        ("gateway_cmd.rs", include_str!("gateway_cmd.rs")),
        ("quarantine_cmd.rs", include_str!("quarantine_cmd.rs")),
        ("sanitize_cmd.rs", include_str!("sanitize_cmd.rs")),
        ("serve_gateway.rs", include_str!("serve_gateway.rs")),
        ("serve_directory.rs", include_str!("serve_directory.rs")),
        ("policy_cmd.rs", include_str!("policy_cmd.rs")),
        ("controls_cmd.rs", include_str!("controls_cmd.rs")),
        ("training_cmd.rs", include_str!("training_cmd.rs")),
        ("demo/training.rs", include_str!("demo/training.rs")),
        ("demo/monitor.rs", include_str!("demo/monitor.rs")),
    ];

    /// Every key a `msg!` names, and every `"cli.…"` literal (the keys chosen in a `match`, or
    /// given to `fill_each`), has its row.
    #[test]
    fn every_message_the_command_line_names_is_in_the_catalogue() {
        let mut named = 0;
        for (file, source) in SOURCES {
            let by_macro = source
                .split("msg!(")
                .skip(1)
                .filter_map(|rest| rest.trim_start().strip_prefix('"'));
            let literal = source.split("\"cli.").skip(1);
            for (prefix, rest) in by_macro
                .map(|rest| ("", rest))
                .chain(literal.map(|rest| ("cli.", rest)))
            {
                let key = format!("{prefix}{}", rest.split('"').next().unwrap_or_default());
                assert!(Lang::has(&key), "{file}: {key} is not in the catalogue");
                named += 1;
            }
        }
        assert!(named > 100, "found {named} messages");
    }

    /// The command line says nothing in one language only: no text of its own in the calls that
    /// print or fail, except what is not words (see the module's documentation).
    #[test]
    fn no_message_is_written_outside_the_catalogue() {
        let calls = [
            "\nprintln!(\"",
            " println!(\"",
            "eprintln!(\"",
            "bail!(\"",
            "anyhow!(\"",
            "context(\"",
        ];
        for (file, source) in SOURCES {
            let code = source.split("#[cfg(test)]").next().unwrap_or_default();
            for call in calls {
                for rest in code.split(call).skip(1) {
                    let text = rest.split('"').next().unwrap_or_default();
                    // What is written, placeholders (`{name}`) left out.
                    let written: String = text
                        .split('{')
                        .enumerate()
                        .map(|(i, piece)| match i {
                            0 => piece,
                            _ => piece.split_once('}').map_or("", |(_, after)| after),
                        })
                        .collect();
                    let words = written
                        .split(|c: char| !c.is_alphabetic())
                        .filter(|w| w.chars().count() > 2 || !w.is_ascii())
                        .count();
                    assert!(
                        words == 0 || ALLOWED.iter().any(|a| text.starts_with(a)),
                        "{file}: {call}{text}\" is not from the catalogue"
                    );
                }
            }
        }
    }

    /// Texts of the binary that are data rather than words: the column names of tab-separated
    /// listings, as their source spells them, the spool's states in `gateway status`, and the
    /// program's name before a message.
    const ALLOWED: &[&str] = &[
        "mamori sanitize: {}",
        "ID\\tUSER\\tNAME",
        "ID\\tRECEIVED\\tFROM",
        "queued ",
        "deferred ",
        "delivered ",
        "failed ",
        "incoming ",
    ];

    #[test]
    fn japanese_comes_first_and_english_follows_in_parentheses() {
        assert_eq!(
            fill("cli.token.none", &[]),
            format!(
                "{} ({})",
                Lang::Ja.t("cli.token.none"),
                Lang::En.t("cli.token.none")
            )
        );
        let filled = msg!("cli.no_user", user = "\"nobody\"");
        assert!(filled.contains("\"nobody\""), "{filled}");
        assert!(filled.ends_with("(no user \"nobody\")"), "{filled}");
    }
}
