use super::*;
use proptest::prelude::*;

/// The 基本方針 of 特別区人事・厚生事務組合 as converted from its web page, kept beside the
/// repository (`../shared/seed`).
const SEED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/seed/000_d561eb961f93c129.txt"
);

pub(super) fn seed() -> String {
    std::fs::read_to_string(SEED).unwrap_or_else(|e| {
        panic!("the seed policy must be at {SEED} (the repository's ../shared/seed): {e}")
    })
}

fn anchors(policy: &PolicyText) -> Vec<&str> {
    policy.clauses().map(|c| c.anchor.as_str()).collect()
}

fn dates(policy: &PolicyText) -> Vec<Option<String>> {
    policy
        .supplementary
        .iter()
        .map(|s| s.effective_from.map(|d| d.to_string()))
        .collect()
}

#[test]
fn the_seed_policy_reads_into_its_twelve_sections() {
    let policy = parse_policy(&seed()).expect("the seed parses");
    assert_eq!(
        policy.title,
        "特別区人事・厚生事務組合情報セキュリティ基本方針"
    );
    assert_eq!(
        policy.preamble[..2],
        ["平成24年3月13日", "23特総企第263号管理者決定"]
    );
    let titles: Vec<(&str, Option<&str>)> = policy
        .sections
        .iter()
        .map(|s| (s.anchor.as_str(), s.title.as_deref()))
        .collect();
    assert_eq!(
        titles,
        [
            ("1", Some("目的")),
            ("2", Some("定義")),
            ("3", Some("対象とする脅威")),
            ("4", Some("適用範囲")),
            ("5", Some("職員の遵守義務")),
            ("6", Some("情報セキュリティ対策")),
            ("7", Some("情報セキュリティ監査及び自己点検の実施")),
            ("8", Some("情報セキュリティポリシーの見直し")),
            ("9", Some("情報セキュリティ対策基準の策定")),
            ("10", Some("情報セキュリティ実施手順の策定")),
            ("11", Some("指定管理者への対応")),
            ("12", Some("その他")),
        ]
    );
}

#[test]
fn the_seed_policy_section_6_has_items_1_to_9_and_6_3_a() {
    let policy = parse_policy(&seed()).unwrap();
    let six = policy.clause("6").unwrap();
    assert!(six.text.starts_with("上記3の脅威から"), "{}", six.text);
    let items: Vec<&str> = six.children.iter().map(|c| c.anchor.as_str()).collect();
    assert_eq!(
        items,
        [
            "6(1)", "6(2)", "6(3)", "6(4)", "6(5)", "6(6)", "6(7)", "6(8)", "6(9)"
        ]
    );
    let three = policy.clause("6(3)").unwrap();
    assert_eq!(
        three.title.as_deref(),
        Some("情報システム全体の強靱性の向上")
    );
    let a = policy.clause("6(3)ア").unwrap();
    assert!(a.text.starts_with("LGWAN接続系においては"), "{}", a.text);
    // The paragraph after the sub-item belongs to it.
    assert!(
        a.text.ends_with("インターネット接続系においては、不正通信の監視機能の強化等の高度な情報セキュリティ対策を実施する。"),
        "{}",
        a.text
    );
    // `- (4) 物理的セキュリティ` after the sub-item is the next item of section 6.
    let four = policy.clause("6(4)").unwrap();
    assert_eq!(four.title.as_deref(), Some("物理的セキュリティ"));
    assert!(four.text.starts_with("サーバ、サーバ室"), "{}", four.text);
    let eight = policy.clause("6(8)").unwrap();
    assert_eq!(eight.text.lines().count(), 3, "{}", eight.text);
}

#[test]
fn the_seed_policy_definitions_and_threats() {
    let policy = parse_policy(&seed()).unwrap();
    let two = policy.clause("2").unwrap();
    assert_eq!(two.children.len(), 12);
    let network = policy.clause("2(1)").unwrap();
    assert_eq!(network.title.as_deref(), Some("ネットワーク"));
    assert!(network.text.starts_with("コンピュータ等を相互に接続"));
    // A title, a blank line, then its text.
    let twelve = policy.clause("2(12)").unwrap();
    assert_eq!(twelve.title.as_deref(), Some("無害化通信"));
    assert!(twelve.text.starts_with("インターネットメール本文"));
    // Items that are a list of threats have text and no title.
    let threats = policy.clause("3").unwrap();
    assert_eq!(threats.children.len(), 5);
    assert!(threats.children.iter().all(|c| c.title.is_none()));
    assert_eq!(
        policy.clause("3(3)").unwrap().text,
        "地震、落雷、火災等の災害によるサービス及び業務の停止等"
    );
    let assets = policy.clause("4(2)").unwrap();
    let subs: Vec<&str> = assets.children.iter().map(|c| c.anchor.as_str()).collect();
    assert_eq!(subs, ["4(2)ア", "4(2)イ", "4(2)ウ"]);
}

#[test]
fn the_seed_policy_supplementary_provisions_take_effect_on_their_dates() {
    let policy = parse_policy(&seed()).unwrap();
    assert_eq!(
        dates(&policy),
        [
            Some("2012-04-01".to_owned()),
            Some("2015-08-16".to_owned()),
            Some("2020-04-01".to_owned()),
            Some("2021-03-01".to_owned()),
            Some("2022-04-01".to_owned()),
            Some("2026-04-01".to_owned()),
        ]
    );
    assert_eq!(
        policy.supplementary[5].text,
        "この基本方針は、令和8年4月1日から施行する。"
    );
    let twelve = policy.clause("12").unwrap();
    assert!(twelve.children.is_empty());
    assert!(!twelve.text.contains("附"), "{}", twelve.text);
}

const ARTICLES: &str = "\
○○市情報セキュリティ基本方針
令和２年３月３１日訓令第５号

（目的）
第１条　この基本方針は、情報資産を守ることを目的とする。
（定義）
第２条　この基本方針において、次の各号に掲げる用語の意義は、当該各号に定めるところによる。
一　ネットワーク　コンピュータ等を相互に接続するための通信網をいう。
二　情報システム　ハードウェア及びソフトウェアをいう。
イ　ハードウェア
ロ　ソフトウェア
三　情報資産　次に掲げるものをいう。
2　前項の規定にかかわらず、市長は別に定める。
第２条の２　この条は枝番号である。
（委任）
第３条　この基本方針の施行に関し必要な事項は、別に定める。

附　則
この基本方針は、令和２年４月１日から施行する。
附　則（令和３年２月１日訓令第２号）
この基本方針は、令和３年３月１日から施行する。
";

#[test]
fn articles_take_their_titles_from_the_line_before() {
    let policy = parse_policy(ARTICLES).unwrap();
    assert_eq!(policy.preamble, ["令和２年３月３１日訓令第５号"]);
    let first = policy.clause("1").unwrap();
    assert_eq!(first.number, "第1条");
    assert_eq!(first.title.as_deref(), Some("目的"));
    assert_eq!(
        first.text,
        "この基本方針は、情報資産を守ることを目的とする。"
    );
    assert_eq!(
        anchors(&policy),
        ["1", "2", "2一", "2二", "2二イ", "2二ロ", "2三", "2の2", "3"]
    );
    assert_eq!(policy.clause("2の2").unwrap().number, "第2条の2");
    assert_eq!(policy.clause("3").unwrap().title.as_deref(), Some("委任"));
    // A 項 (`2　前項の…`) stays in the text of its article's last clause.
    assert!(policy.clause("2三").unwrap().text.contains("2　前項の規定"));
    assert_eq!(
        dates(&policy),
        [Some("2020-04-01".to_owned()), Some("2021-03-01".to_owned())]
    );
}

const DAI: &str = "\
情報セキュリティ対策基準

第1 目的
この基準は、基本方針に基づき対策を定める。
第2 組織体制
(1) 最高情報セキュリティ責任者
ア 最高情報セキュリティ責任者は、副市長をもって充てる。
(ア) 責任者は、次の事項を行う。
(イ) 責任者は、報告を受ける。
イ 統括情報セキュリティ責任者
(2) 情報セキュリティ委員会
第3 その他
";

#[test]
fn dai_sections_with_deeper_items() {
    let policy = parse_policy(DAI).unwrap();
    assert_eq!(
        anchors(&policy),
        [
            "1",
            "2",
            "2(1)",
            "2(1)ア",
            "2(1)ア(ア)",
            "2(1)ア(イ)",
            "2(1)イ",
            "2(2)",
            "3"
        ]
    );
    let second = policy.clause("2").unwrap();
    assert_eq!(second.number, "第2");
    assert_eq!(second.title.as_deref(), Some("組織体制"));
    assert_eq!(policy.clause("2(1)ア(ア)").unwrap().number, "(ア)");
    assert_eq!(
        policy.clause("2(1)ア").unwrap().text,
        "最高情報セキュリティ責任者は、副市長をもって充てる。"
    );
    assert_eq!(
        policy.clause("2(1)イ").unwrap().text,
        "統括情報セキュリティ責任者"
    );
    assert!(policy.supplementary.is_empty());
}

const FULL_WIDTH: &str = "\
情報セキュリティ基本方針
１　目的
この方針は、情報資産を守る。
２　対象範囲
（１）　機関の範囲
市長、教育委員会とする。
（２）　情報資産の範囲
ア　ネットワーク
イ　情報システム
（ア）　サーバ
１０　その他
附則
この方針は、平成元年１月８日から施行する。
附則
この方針は、令和元年５月１日から施行する。
附則
この方針は、公布の日から施行する。
";

#[test]
fn full_width_digits_and_ideographic_spaces() {
    let policy = parse_policy(FULL_WIDTH).unwrap();
    assert_eq!(
        anchors(&policy),
        [
            "1",
            "2",
            "2(1)",
            "2(2)",
            "2(2)ア",
            "2(2)イ",
            "2(2)イ(ア)",
            "10"
        ]
    );
    assert_eq!(
        policy.clause("2(1)").unwrap().title.as_deref(),
        Some("機関の範囲")
    );
    assert_eq!(policy.clause("2(1)").unwrap().number, "(1)");
    assert_eq!(
        dates(&policy),
        [
            Some("1989-01-08".to_owned()),
            Some("2019-05-01".to_owned()),
            None
        ]
    );
}

#[test]
fn numbering_that_skips_or_goes_backwards_is_kept_with_unique_anchors() {
    let text = "方針\n1 目的\n3 範囲\n(2) 甲\n(1) 乙\n(2) 丙\n1 目的\n1 目的\n";
    let policy = parse_policy(text).unwrap();
    assert_eq!(
        anchors(&policy),
        ["1", "3", "3(2)", "3(1)", "3(2)-2", "1-2", "1-3"]
    );
}

#[test]
fn a_supplementary_provision_without_a_date_has_none() {
    let policy =
        parse_policy("方針\n1 目的\n本文\n附則\nこの方針は、公布の日から施行する。").unwrap();
    assert_eq!(policy.supplementary.len(), 1);
    assert_eq!(policy.supplementary[0].effective_from, None);
    assert_eq!(policy.supplementary[0].line, 4);
}

#[test]
fn a_supplementary_provision_prefers_the_date_it_takes_effect() {
    let policy = parse_policy(
        "方針\n1 目的\n附則（令和3年2月1日決定）\nこの方針は、令和3年3月1日から施行する。",
    )
    .unwrap();
    assert_eq!(dates(&policy), [Some("2021-03-01".to_owned())]);
}

#[test]
fn an_invalid_date_in_a_supplementary_provision_is_no_date() {
    let policy = parse_policy("方針\n1 目的\n附則\n令和元年4月30日から施行する。").unwrap();
    assert_eq!(dates(&policy), [None]);
}

#[test]
fn a_text_that_starts_with_a_section_has_no_title() {
    let policy = parse_policy("1 目的\n本文").unwrap();
    assert_eq!(policy.title, "");
    assert_eq!(policy.sections[0].text, "本文");
}

#[test]
fn empty_text_is_refused() {
    for text in ["", "\n\n", " \u{3000}\r\n- \n"] {
        assert_eq!(
            parse_policy(text),
            Err(PolicyError::Empty { line: 1 }),
            "{text:?}"
        );
    }
}

#[test]
fn text_without_a_section_is_refused_at_its_last_line() {
    assert_eq!(
        parse_policy("方針\n\n前文のみ\n\n"),
        Err(PolicyError::NoSection { line: 3 })
    );
    assert_eq!(
        parse_policy("方針\n(1) 項目\nア 細目\n"),
        Err(PolicyError::NoSection { line: 3 })
    );
}

#[test]
fn control_characters_are_refused_with_their_place() {
    assert_eq!(
        parse_policy("方針\n1 目\0的"),
        Err(PolicyError::ControlCharacter { line: 2, column: 4 })
    );
    assert_eq!(
        parse_policy("方針\n1 目的\n\u{1b}[31m"),
        Err(PolicyError::ControlCharacter { line: 3, column: 1 })
    );
    assert_eq!(
        parse_policy("方針\r1 目的"),
        Err(PolicyError::ControlCharacter { line: 1, column: 3 })
    );
    // Tabs, CRLF line ends and a byte order mark are fine.
    assert!(parse_policy("\u{FEFF}方針\r\n1\t目的\r\n").is_ok());
}

#[test]
fn a_line_of_one_megabyte_is_refused() {
    let text = format!("方針\n1 {}", "あ".repeat(350_000));
    assert_eq!(
        parse_policy(&text),
        Err(PolicyError::LineTooLong {
            line: 2,
            max: MAX_LINE_CHARS
        })
    );
}

#[test]
fn a_hundred_thousand_lines_are_read() {
    let mut text = String::from("方針\n1 目的\n");
    for n in 0..100_000 {
        text.push_str(["(1) 項目", "ア 細目", "(ア) 更に", "本文。"][n % 4]);
        text.push('\n');
    }
    let policy = parse_policy(&text).unwrap();
    let all = anchors(&policy);
    assert_eq!(all.len(), 1 + 75_000);
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), all.len());
    fn depth(clause: &Clause) -> usize {
        1 + clause.children.iter().map(depth).max().unwrap_or(0)
    }
    assert_eq!(depth(&policy.sections[0]), 4);
}

#[test]
fn too_many_lines_or_bytes_are_refused() {
    let text = "\n".repeat(MAX_LINES);
    assert_eq!(
        parse_policy(&text),
        Err(PolicyError::TooManyLines {
            line: MAX_LINES + 1,
            max: MAX_LINES
        })
    );
    let text = format!("方針\n{}", "x".repeat(MAX_BYTES));
    assert_eq!(
        parse_policy(&text),
        Err(PolicyError::TooLarge {
            line: 2,
            max: MAX_BYTES
        })
    );
}

#[test]
fn every_error_names_its_line_in_both_languages() {
    use crate::i18n::Lang;
    let errors = [
        PolicyError::Empty { line: 1 },
        PolicyError::NoSection { line: 2 },
        PolicyError::ControlCharacter { line: 3, column: 1 },
        PolicyError::LineTooLong {
            line: 4,
            max: MAX_LINE_CHARS,
        },
        PolicyError::TooManyLines {
            line: 5,
            max: MAX_LINES,
        },
        PolicyError::TooLarge {
            line: 6,
            max: MAX_BYTES,
        },
        PolicyError::Encoding { line: 7 },
    ];
    for error in &errors {
        assert!(Lang::has(error.key()), "{}", error.key());
        let ja = Lang::Ja.policy_error(error);
        let en = Lang::En.policy_error(error);
        assert!(ja.starts_with(&format!("{}行目", error.line())), "{ja}");
        assert!(en.starts_with(&format!("Line {}", error.line())), "{en}");
    }
}

fn assert_anchors_unique(policy: &PolicyText) {
    let all = anchors(policy);
    let unique: HashSet<_> = all.iter().collect();
    assert_eq!(unique.len(), all.len(), "{all:?}");
}

fn policy_line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("1 目的".to_owned()),
        Just("１　目的".to_owned()),
        Just("第1 目的".to_owned()),
        Just("第1条 本文".to_owned()),
        Just("第一条の二".to_owned()),
        Just("（目的）".to_owned()),
        Just("- (1) 項目".to_owned()),
        Just("(1)".to_owned()),
        Just("一 号".to_owned()),
        Just("- ア 細目".to_owned()),
        Just("イ 細目。".to_owned()),
        Just("(ア) 更に".to_owned()),
        Just("附 則".to_owned()),
        Just("令和元年4月30日から施行する。".to_owned()),
        Just(String::new()),
        Just("-".to_owned()),
        "[0-9０-９]{1,3} [^\n]{0,8}",
        "[(（][0-9アイ一][)）][^\n]{0,8}",
        "[^\n]{0,12}",
    ]
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics_and_anchors_are_unique(text in "\\PC*") {
        if let Ok(policy) = parse_policy(&text) {
            assert_anchors_unique(&policy);
        }
    }

    #[test]
    fn any_arrangement_of_numbered_lines_has_unique_anchors(
        lines in prop::collection::vec(policy_line(), 0..60)
    ) {
        if let Ok(policy) = parse_policy(&lines.join("\n")) {
            assert_anchors_unique(&policy);
            for clause in policy.clauses() {
                prop_assert!(clause.line >= 1 && clause.line <= lines.len());
            }
        }
    }

    #[test]
    fn wareki_never_panics(text in "[令和平成昭元0-9０-９一二三十年月日 　]{0,20}") {
        if let Some((year, month, day)) = parse_wareki(&text) {
            prop_assert!(CivilDate::new(year, month, day).is_some());
            prop_assert!(year >= 1926);
        }
    }
}

#[test]
fn text_is_read_as_utf8_or_shift_jis_and_nothing_else() {
    let seed = seed();
    assert_eq!(decode_text(seed.as_bytes()).unwrap(), seed);
    let with_bom = [b"\xEF\xBB\xBF".as_slice(), seed.as_bytes()].concat();
    assert_eq!(decode_text(&with_bom).unwrap(), seed);
    let (sjis, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&seed);
    assert!(!unmappable, "the seed is all in Windows-31J");
    assert_ne!(&*sjis, seed.as_bytes());
    let read = decode_text(&sjis).unwrap();
    assert_eq!(read, seed);
    assert_eq!(parse_policy(&read).unwrap(), parse_policy(&seed).unwrap());
    // A lone lead byte on line 3 is neither UTF-8 nor Shift_JIS.
    let broken = [b"1 \x96\xDA\x93\x49\n".as_slice(), b"text\n", b"bad \x81\n"].concat();
    assert_eq!(decode_text(&broken), Err(PolicyError::Encoding { line: 3 }));
    let huge = vec![b'a'; MAX_BYTES + 1];
    assert!(matches!(
        decode_text(&huge),
        Err(PolicyError::TooLarge { .. })
    ));
}
