//! What one line of a 例規 is: a numbered heading (`1 目的`, `第1条`, `(1)`, `一`, `ア`, `(ア)`),
//! a title in parentheses (`(目的)` before `第1条`), a 附則, or plain text. Lines arrive with
//! the list markers of a web page's conversion (`- (1) …`) still on them.

/// How a section (the top level) is numbered; a document keeps to the first form it uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SectionForm {
    /// `1 目的`
    Bare,
    /// `第1 目的`
    Dai,
    /// `第1条` (条), its title on the line before.
    Article,
}

/// The kinds of item below a section. Their depth is the order in which a section first uses
/// them, so both `(1) > ア > (ア)` (基本方針) and `一 > イ > (1)` (条例) nest as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ItemForm {
    /// `(1)`, `（１）`
    Paren,
    /// `一`, `二` (号)
    Kanji,
    /// `ア`, `イ`
    Kana,
    /// `(ア)`
    ParenKana,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Line<'a> {
    Blank,
    /// `number` is as it is cited (`6`, `1の2`); `rest` is what follows the number.
    Section {
        form: SectionForm,
        number: String,
        rest: &'a str,
    },
    /// `label` is the item's number as cited in an anchor (`(3)`, `ア`, `一`).
    Item {
        form: ItemForm,
        label: String,
        rest: &'a str,
    },
    /// `(目的)` alone on a line.
    ParenTitle(&'a str),
    /// `附則`, `附 則`, `附　則`, and what follows it on the line.
    Supplementary(&'a str),
    Text(&'a str),
}

/// A line as its text is kept: trimmed, without a web page's list marker.
pub(super) fn content(raw: &str) -> &str {
    strip_list_marker(raw.trim())
}

/// Reads one line (without its line break).
pub(super) fn classify(raw: &str) -> Line<'_> {
    let line = content(raw);
    if line.is_empty() {
        return Line::Blank;
    }
    if let Some(rest) = supplementary(line) {
        return Line::Supplementary(rest);
    }
    if let Some(found) = dai(line) {
        return found;
    }
    if let Some(found) = parenthesised(line) {
        return found;
    }
    if let Some((digits, rest)) = leading(line, is_digit)
        && !rest.is_empty()
        && let Some(value) = number_value(digits)
    {
        return Line::Section {
            form: SectionForm::Bare,
            number: value.to_string(),
            rest,
        };
    }
    if let Some((numeral, rest)) = leading(line, is_kanji_numeral)
        && !rest.is_empty()
        && number_value(numeral).is_some()
    {
        return Line::Item {
            form: ItemForm::Kanji,
            label: numeral.to_owned(),
            rest,
        };
    }
    let mut chars = line.chars();
    if let Some(kana) = chars.next()
        && is_item_kana(kana)
        && let Some(rest) = after_space(chars.as_str())
        && !rest.is_empty()
    {
        return Line::Item {
            form: ItemForm::Kana,
            label: kana.to_string(),
            rest,
        };
    }
    Line::Text(line)
}

/// A web page's list markers: `- `, `* `, `+ `, `• ` (or the marker alone).
fn strip_list_marker(line: &str) -> &str {
    for marker in ['-', '*', '+', '•', '・'] {
        if let Some(rest) = line.strip_prefix(marker) {
            if rest.is_empty() {
                return rest;
            }
            if let Some(rest) = after_space(rest) {
                return rest;
            }
        }
    }
    line
}

/// `rest` without the spaces that separate it from a number, when there is at least one (or
/// nothing follows).
fn after_space(rest: &str) -> Option<&str> {
    let trimmed = rest.trim_start();
    (rest.is_empty() || trimmed.len() < rest.len()).then_some(trimmed)
}

/// The run of characters at the start of `line` that satisfy `class`, and the rest after the
/// separating spaces; `None` unless a space (or the end of the line) follows the run.
fn leading(line: &str, class: fn(char) -> bool) -> Option<(&str, &str)> {
    let len: usize = line
        .chars()
        .take_while(|c| class(*c))
        .map(char::len_utf8)
        .sum();
    if len == 0 {
        return None;
    }
    let rest = after_space(&line[len..])?;
    Some((&line[..len], rest))
}

fn supplementary(line: &str) -> Option<&str> {
    let rest = line.strip_prefix('附')?.trim_start().strip_prefix('則')?;
    let trimmed = rest.trim_start();
    (rest.is_empty() || trimmed.len() < rest.len() || trimmed.starts_with(['(', '（']))
        .then_some(trimmed)
}

/// `第1 目的`, `第1条`, `第一条の二`: numbers followed by a space or the end of the line;
/// `第244条の2第3項に定める…` is text.
fn dai(line: &str) -> Option<Line<'_>> {
    let after = line.strip_prefix('第')?;
    let digits_len = span(after, |c| is_digit(c) || is_kanji_numeral(c));
    let mut number = number_value(&after[..digits_len])?.to_string();
    let mut at = digits_len;
    let article = after[at..].starts_with('条');
    if article {
        at += '条'.len_utf8();
    }
    // 枝番号: 第1条の2, 第1の2
    while let Some(branch) = after[at..].strip_prefix('の') {
        let len = span(branch, |c| is_digit(c) || is_kanji_numeral(c));
        let value = number_value(&branch[..len])?;
        number.push_str(&format!("の{value}"));
        at += 'の'.len_utf8() + len;
    }
    let rest = after_space(&after[at..])?;
    Some(Line::Section {
        form: if article {
            SectionForm::Article
        } else {
            SectionForm::Dai
        },
        number,
        rest,
    })
}

/// `(1) …`, `（ア）…`, or `(目的)` alone.
fn parenthesised(line: &str) -> Option<Line<'_>> {
    let inner = line.strip_prefix(['(', '（'])?;
    let (label, after) = inner.split_once([')', '）'])?;
    let rest = after_space(after)?;
    if !label.is_empty() && label.chars().all(is_digit) {
        let value = number_value(label)?;
        return Some(Line::Item {
            form: ItemForm::Paren,
            label: format!("({value})"),
            rest,
        });
    }
    let mut chars = label.chars();
    if let (Some(kana), None) = (chars.next(), chars.next())
        && is_item_kana(kana)
    {
        return Some(Line::Item {
            form: ItemForm::ParenKana,
            label: format!("({kana})"),
            rest,
        });
    }
    (rest.is_empty() && !label.trim().is_empty()).then_some(Line::ParenTitle(label.trim()))
}

fn span(text: &str, class: impl Fn(char) -> bool) -> usize {
    text.chars()
        .take_while(|c| class(*c))
        .map(char::len_utf8)
        .sum()
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

fn is_kanji_numeral(c: char) -> bool {
    "一二三四五六七八九十".contains(c)
}

/// The カタカナ that number sub-items, in iroha (イロハ) or aiueo (アイウ) order: unvoiced, not
/// small, not ン.
fn is_item_kana(c: char) -> bool {
    "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヰヱヲ"
        .contains(c)
}

/// The value of a number written in ASCII, full-width or kanji digits (`12`, `１２`, `十二`,
/// `二〇`); `None` when it is empty, mixed, or above 9999.
pub(super) fn number_value(text: &str) -> Option<u32> {
    if text.is_empty() {
        return None;
    }
    if text.chars().all(is_digit) {
        if text.chars().count() > 4 {
            return None;
        }
        return text.chars().try_fold(0u32, |n, c| {
            let d = c.to_digit(10).or_else(|| {
                ('０'..='９')
                    .contains(&c)
                    .then(|| u32::from(c) - u32::from('０'))
            })?;
            Some(n * 10 + d)
        });
    }
    kanji_value(text)
}

/// 漢数字 up to 九十九 (`十`, `十二`, `二十`, `二十三`), or written digit by digit (`二〇`).
fn kanji_value(text: &str) -> Option<u32> {
    let digit = |c: char| {
        "〇一二三四五六七八九"
            .find(c)
            .map(|i| (i / '一'.len_utf8()) as u32)
    };
    let chars: Vec<char> = text.chars().collect();
    if chars.len() > 4 {
        return None;
    }
    match chars.iter().position(|c| *c == '十') {
        None => chars
            .iter()
            .try_fold(0u32, |n, c| Some(n * 10 + digit(*c)?)),
        Some(at) => {
            let tens = match &chars[..at] {
                [] => 1,
                [c] => digit(*c).filter(|d| *d >= 2)?,
                _ => return None,
            };
            let ones = match &chars[at + 1..] {
                [] => 0,
                [c] => digit(*c).filter(|d| *d >= 1)?,
                _ => return None,
            };
            Some(tens * 10 + ones)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("1", Some(1))]
    #[case("１２", Some(12))]
    #[case("十", Some(10))]
    #[case("十二", Some(12))]
    #[case("二十", Some(20))]
    #[case("二十三", Some(23))]
    #[case("三", Some(3))]
    #[case("二〇", Some(20))]
    #[case("十十", None)]
    #[case("一十", None)]
    #[case("", None)]
    #[case("12345", None)]
    fn numbers(#[case] text: &str, #[case] expected: Option<u32>) {
        assert_eq!(number_value(text), expected, "{text}");
    }

    fn section(form: SectionForm, number: &str, rest: &'static str) -> Line<'static> {
        Line::Section {
            form,
            number: number.into(),
            rest,
        }
    }

    fn item(form: ItemForm, label: &str, rest: &'static str) -> Line<'static> {
        Line::Item {
            form,
            label: label.into(),
            rest,
        }
    }

    #[rstest]
    #[case("1 目的", section(SectionForm::Bare, "1", "目的"))]
    #[case("１２\u{3000}その他", section(SectionForm::Bare, "12", "その他"))]
    #[case("第1 目的", section(SectionForm::Dai, "1", "目的"))]
    #[case("第１条　この方針は", section(SectionForm::Article, "1", "この方針は"))]
    #[case("第一条の二", section(SectionForm::Article, "1の2", ""))]
    #[case("- (1) ネットワーク", item(ItemForm::Paren, "(1)", "ネットワーク"))]
    #[case(
        "（１０）\u{3000}無害化通信",
        item(ItemForm::Paren, "(10)", "無害化通信")
    )]
    #[case("(1)", item(ItemForm::Paren, "(1)", ""))]
    #[case("一 目的", item(ItemForm::Kanji, "一", "目的"))]
    #[case("- ア ネットワーク", item(ItemForm::Kana, "ア", "ネットワーク"))]
    #[case("ロ\u{3000}帳票", item(ItemForm::Kana, "ロ", "帳票"))]
    #[case("（ア）\u{3000}文書", item(ItemForm::ParenKana, "(ア)", "文書"))]
    #[case("(目的)", Line::ParenTitle("目的"))]
    #[case("（目的）", Line::ParenTitle("目的"))]
    #[case("附則", Line::Supplementary(""))]
    #[case("附 則", Line::Supplementary(""))]
    #[case("附\u{3000}則", Line::Supplementary(""))]
    #[case(
        "附則（令和2年3月31日決定）",
        Line::Supplementary("（令和2年3月31日決定）")
    )]
    #[case("附則 この方針は", Line::Supplementary("この方針は"))]
    #[case("附則の規定により", Line::Text("附則の規定により"))]
    #[case("23特総企第263号管理者決定", Line::Text("23特総企第263号管理者決定"))]
    #[case("第244条の2第3項に定める", Line::Text("第244条の2第3項に定める"))]
    #[case(
        "インターネット接続系においては",
        Line::Text("インターネット接続系においては")
    )]
    #[case("一部を改正する", Line::Text("一部を改正する"))]
    #[case("ン 終わり", Line::Text("ン 終わり"))]
    #[case("(以下略) とする", Line::Text("(以下略) とする"))]
    #[case("-", Line::Blank)]
    #[case(" \u{3000} ", Line::Blank)]
    #[case("-ア", Line::Text("-ア"))]
    fn lines(#[case] raw: &'static str, #[case] expected: Line<'static>) {
        assert_eq!(classify(raw), expected, "{raw}");
    }
}
