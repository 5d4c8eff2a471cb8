//! The command line's words, from the one message catalogue (`mamori_core::i18n`): its own rows
//! `cli.*`, and the pages' rows where the command line says the same thing.
//!
//! A message is written in Japanese with its English after it in parentheses —
//! 「初期管理者を作成しました (initial administrator created)」 — always both, whatever the locale:
//! the command line has no signed-in person whose language it could follow, its output is read by
//! operators in Japanese and matched by scripts and logs in English, and one form keeps both
//! stable. A row whose two languages are the same text (an address, a count) is written once.

use mamori_core::i18n::Lang;

/// The message of `key` with its `{name}` placeholders filled, in both languages.
pub fn fill(key: &str, args: &[(&str, String)]) -> String {
    let ja = Lang::Ja.fill(key, args);
    let en = Lang::En.fill(key, args);
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
        ("gateway_cmd.rs", include_str!("gateway_cmd.rs")),
        ("quarantine_cmd.rs", include_str!("quarantine_cmd.rs")),
        ("sanitize_cmd.rs", include_str!("sanitize_cmd.rs")),
        ("serve_gateway.rs", include_str!("serve_gateway.rs")),
    ];

    #[test]
    fn every_message_the_command_line_names_is_in_the_catalogue() {
        let mut named = 0;
        for (file, source) in SOURCES {
            for chunk in source.split("msg!(\"").skip(1) {
                let key = chunk.split('"').next().unwrap_or_default();
                assert!(Lang::has(key), "{file}: {key} is not in the catalogue");
                named += 1;
            }
        }
        assert!(named > 10, "found {named} messages");
    }

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
