use super::*;
use crate::classification::{Classification, Scales};
use proptest::prelude::*;
use rstest::rstest;

/// A library as CISO Assistant ships them, with keys mamori does not read.
const SAMPLE: &str = r#"urn: urn:example:risk:library:sample-catalogue
locale: en
ref_id: SAMPLE
name: Sample catalogue
description: "A catalogue to test the reader"
copyright: Test
version: 3
publication_date: 2025-01-01
provider: Example
packager: example
dependencies:
- urn:example:risk:library:other
translations:
  fr:
    name: Catalogue d'exemple
    description: null
objects:
  framework:
    urn: urn:example:risk:framework:sample-catalogue
    ref_id: SAMPLE
    name: Sample catalogue
    description: Two chapters
    implementation_groups_definition:
    - ref_id: S
      name: standard
    requirement_nodes:
    - urn: urn:example:risk:req_node:sample:1
      assessable: false
      depth: 1
      ref_id: '1'
      name: Govern
      translations:
        fr:
          name: Gouverner
          description: null
    - urn: URN:Example:Risk:Req_Node:Sample:1.1
      assessable: true
      depth: 2
      parent_urn: urn:example:risk:req_node:sample:1
      ref_id: 1.1
      name: Name a security officer
      description: |-
        One person answers for security.
        They report yearly.
      annotation: Look at the appointment letter
      typical_evidence: Appointment letter
      implementation_groups:
      - S
      questions:
        urn:example:risk:req_node:sample:1.1:question:1:
          type: unique_choice
          choices:
          - urn: urn:example:risk:req_node:sample:1.1:question:1:choice:1
            value: 'Yes'
    - urn: urn:example:risk:req_node:sample:2
      assessable: false
      ref_id: '2'
      name: Protect
    - urn: urn:example:risk:req_node:sample:2.1
      assessable: true
      parent_urn: urn:example:risk:req_node:sample:2
      ref_id: '2.1'
      name: Patch within a month
      x-mamori:
        chapter: technical
        applies_to: segment:internet
        implements:
        - 6(6)
        - "6(7)"
  threats:
  - urn: urn:example:risk:threat:t1
    ref_id: T1
    name: Theft
"#;

fn import(text: &str) -> Result<Catalogue, ImportError> {
    import_yaml(text.as_bytes())
}

fn refused(text: &str) -> ImportError {
    import(text).expect_err("the document is refused")
}

#[test]
fn a_ciso_assistant_library_is_read_with_the_keys_it_knows() {
    let catalogue = import(SAMPLE).unwrap();
    let info = catalogue.info();
    assert_eq!(info.urn, "urn:example:risk:library:sample-catalogue");
    assert_eq!(info.locale, "en");
    assert_eq!(info.version, 3);
    assert_eq!(info.provider.as_deref(), Some("Example"));
    assert_eq!(
        info.translations["fr"].name.as_deref(),
        Some("Catalogue d'exemple")
    );
    assert_eq!(info.translations["fr"].description, None);
    assert_eq!(info.framework.description.as_deref(), Some("Two chapters"));
    let urns: Vec<&str> = catalogue.nodes().iter().map(|n| n.urn.as_str()).collect();
    assert_eq!(
        urns,
        [
            "urn:example:risk:req_node:sample:1",
            "urn:example:risk:req_node:sample:1.1",
            "urn:example:risk:req_node:sample:2",
            "urn:example:risk:req_node:sample:2.1",
        ]
    );
    let officer = &catalogue.nodes()[1];
    assert_eq!(officer.ref_id.as_deref(), Some("1.1"));
    assert!(officer.assessable);
    assert_eq!(
        officer.description.as_deref(),
        Some("One person answers for security.\nThey report yearly.")
    );
    assert_eq!(
        officer.typical_evidence.as_deref(),
        Some("Appointment letter")
    );
    assert_eq!(officer.applies_to, AppliesTo::All);
    let patch = &catalogue.nodes()[3];
    assert_eq!(patch.depth, 2, "a missing depth is the parent's plus one");
    assert_eq!(patch.chapter, Some(Chapter::Technical));
    assert_eq!(patch.applies_to, AppliesTo::Segment(SegmentKind::Internet));
    assert_eq!(patch.implements, ["6(6)", "6(7)"]);
    assert_eq!(catalogue.measures().count(), 2);
}

#[test]
fn the_tree_is_rebuilt_from_parent_urns_in_catalogue_order() {
    let catalogue = import(SAMPLE).unwrap();
    let tree = catalogue.tree();
    let shape: Vec<(&str, Vec<&str>)> = tree
        .iter()
        .map(|t| {
            (
                t.node.ref_id.as_deref().unwrap(),
                t.children
                    .iter()
                    .map(|c| c.node.ref_id.as_deref().unwrap())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(shape, [("1", vec!["1.1"]), ("2", vec!["2.1"])]);
    let children: Vec<&str> = catalogue
        .children("urn:example:risk:req_node:sample:2")
        .map(|n| n.urn.as_str())
        .collect();
    assert_eq!(children, ["urn:example:risk:req_node:sample:2.1"]);
    assert_eq!(catalogue.implementing("6(7)").count(), 1);
    assert!(
        catalogue
            .node("urn:example:risk:req_node:sample:1.1")
            .is_some()
    );
}

#[test]
fn a_node_is_shown_in_the_language_asked_for_or_else_in_its_own() {
    let catalogue = import(SAMPLE).unwrap();
    let govern = &catalogue.nodes()[0];
    let protect = &catalogue.nodes()[2];
    assert_eq!(catalogue.localised(govern, Lang::En).name, Some("Govern"));
    // No Japanese: the catalogue's own language.
    assert_eq!(catalogue.localised(protect, Lang::Ja).name, Some("Protect"));
}

#[test]
fn a_library_with_frameworks_as_a_list_of_one_is_read() {
    let text = "urn: urn:t:risk:library:t\nlocale: en\nref_id: T\nname: T\nversion: 1\nobjects:\n  frameworks:\n  - urn: urn:t:risk:framework:t\n    ref_id: T\n    requirement_nodes:\n    - urn: urn:t:a\n    - urn: urn:t:b\n      parent_urn: urn:t:a\n";
    let catalogue = import(text).unwrap();
    assert_eq!(catalogue.info().framework.urn, "urn:t:risk:framework:t");
    assert_eq!(catalogue.nodes().len(), 2);
}

#[test]
fn export_then_import_gives_the_same_catalogue() {
    let catalogue = import(SAMPLE).unwrap();
    let text = export_yaml(&catalogue);
    let again = import(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(again, catalogue);
    assert_eq!(export_yaml(&again), text, "the export is stable");
}

#[test]
fn the_export_is_a_ciso_assistant_library() {
    let text = export_yaml(&import(SAMPLE).unwrap());
    for line in [
        "urn: \"urn:example:risk:library:sample-catalogue\"",
        "locale: \"en\"",
        "version: 3",
        "objects:",
        "  framework:",
        "    requirement_nodes:",
        "    - urn: \"urn:example:risk:req_node:sample:1.1\"",
        "      assessable: true",
        "      depth: 2",
        "      parent_urn: \"urn:example:risk:req_node:sample:1\"",
        "      x-mamori:",
        "        applies_to: \"segment:internet\"",
        "        - \"6(6)\"",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} in\n{text}");
    }
}

fn node(urn: &str, parent: Option<&str>, depth: u32) -> Node {
    Node {
        urn: urn.into(),
        ref_id: None,
        name: Some(urn.into()),
        description: None,
        annotation: None,
        typical_evidence: None,
        depth,
        parent_urn: parent.map(Into::into),
        assessable: parent.is_some(),
        translations: Translations::new(),
        chapter: None,
        applies_to: AppliesTo::All,
        implements: Vec::new(),
    }
}

fn info() -> CatalogueInfo {
    CatalogueInfo {
        urn: "urn:test:risk:library:t".into(),
        ref_id: "T".into(),
        locale: "ja".into(),
        name: "テスト".into(),
        description: None,
        version: 1,
        provider: None,
        packager: None,
        copyright: None,
        translations: Translations::new(),
        framework: Framework {
            urn: "urn:test:risk:framework:t".into(),
            ref_id: "T".into(),
            name: None,
            description: None,
            translations: Translations::new(),
        },
    }
}

#[test]
fn a_parent_may_come_after_its_children() {
    let catalogue = Catalogue::new(
        info(),
        vec![
            node("urn:t:b", Some("urn:t:a"), 2),
            node("urn:t:a", None, 1),
        ],
    )
    .unwrap();
    assert_eq!(catalogue.tree()[0].children[0].node.urn, "urn:t:b");
}

#[rstest]
#[case::self_parent(vec![node("urn:t:a", Some("urn:t:a"), 1)], 0)]
#[case::two_nodes(vec![
    node("urn:t:root", None, 1),
    node("urn:t:a", Some("urn:t:b"), 2),
    node("urn:t:b", Some("urn:t:a"), 2),
], 1)]
#[case::a_branch_into_a_loop(vec![
    node("urn:t:x", Some("urn:t:c"), 3),
    node("urn:t:c", Some("urn:t:d"), 2),
    node("urn:t:d", Some("urn:t:c"), 2),
], 1)]
fn a_loop_of_parents_is_refused_naming_a_node_on_it(#[case] nodes: Vec<Node>, #[case] at: usize) {
    let error = Catalogue::new(info(), nodes).unwrap_err();
    match error {
        CatalogueError::Cycle {
            place: Place::Node { index, .. },
        } => assert_eq!(index, at),
        other => panic!("{other}"),
    }
}

#[test]
fn a_chapter_differing_from_the_parents_is_refused() {
    let mut top = node("urn:t:a", None, 1);
    top.chapter = Some(Chapter::Physical);
    let mut below = node("urn:t:b", Some("urn:t:a"), 2);
    below.chapter = Some(Chapter::Human);
    let error = Catalogue::new(info(), vec![top, below]).unwrap_err();
    assert_eq!(error.code(), "catalogue.chapter_mismatch");
}

#[test]
fn an_applies_to_that_its_code_does_not_give_back_is_refused() {
    let mut measure = node("urn:t:a", None, 1);
    measure.applies_to = AppliesTo::NetworkModel(Vec::new());
    let error = Catalogue::new(info(), vec![measure]).unwrap_err();
    assert_eq!(error.field(), Some("applies_to"));
}

/// The node list of SAMPLE's framework, with `nodes` instead.
fn with_nodes(nodes: &str) -> String {
    format!(
        "urn: urn:t:risk:library:t\nlocale: en\nref_id: T\nname: T\nversion: 1\nobjects:\n  framework:\n    urn: urn:t:risk:framework:t\n    ref_id: T\n    requirement_nodes:\n{nodes}"
    )
}

#[rstest]
#[case::missing_urn(
    "    - ref_id: '1'\n      name: a\n",
    11,
    "objects.framework.requirement_nodes[0].urn` is missing"
)]
#[case::unknown_parent(
    "    - urn: urn:t:a\n      depth: 1\n    - urn: urn:t:b\n      depth: 2\n      parent_urn: urn:t:nope\n",
    15,
    "parent_urn `urn:t:nope` names no node"
)]
#[case::duplicate_urn(
    "    - urn: urn:t:a\n    - urn: urn:t:b\n    - urn: URN:T:A\n",
    13,
    "node 3 (urn:t:a): the urn is already used by node 1"
)]
#[case::depth_too_deep_for_its_parent(
    "    - urn: urn:t:a\n      depth: 1\n    - urn: urn:t:b\n      parent_urn: urn:t:a\n      depth: 3\n",
    15,
    "depth 3, but its parent is at depth 1"
)]
#[case::cycle(
    "    - urn: urn:t:a\n      parent_urn: urn:t:b\n    - urn: urn:t:b\n      parent_urn: urn:t:a\n",
    11,
    "node 1 (urn:t:a): following its parents leads back to itself"
)]
#[case::not_a_urn(
    "    - urn: urn:t:a\n    - urn: section one\n",
    12,
    "node 2 (section one): `urn` is not a valid urn"
)]
#[case::depth_not_a_number(
    "    - urn: urn:t:a\n      depth: two\n",
    12,
    "`objects.framework.requirement_nodes[0].depth` must be a whole number"
)]
#[case::depth_quoted("    - urn: urn:t:a\n      depth: '1'\n", 12, "must be a whole number")]
#[case::assessable_not_a_boolean(
    "    - urn: urn:t:a\n      assessable: maybe\n",
    12,
    "must be true or false"
)]
#[case::name_a_list(
    "    - urn: urn:t:a\n      name:\n      - a\n",
    13,
    "`objects.framework.requirement_nodes[0].name` must be text, not a list"
)]
#[case::node_not_a_mapping("    - urn:t:a\n", 11, "must be a mapping, not a scalar")]
#[case::unknown_chapter(
    "    - urn: urn:t:a\n      x-mamori:\n        chapter: finance\n",
    13,
    "`objects.framework.requirement_nodes[0].x-mamori.chapter`: unknown value `finance`"
)]
#[case::unknown_scope(
    "    - urn: urn:t:a\n      x-mamori:\n        applies_to: segment:moon\n",
    13,
    "unknown value `segment:moon`"
)]
#[case::control_character(
    "    - urn: urn:t:a\n      name: \"bell\\a\"\n",
    12,
    "`name` contains a control character"
)]
#[case::duplicate_key(
    "    - urn: urn:t:a\n      name: a\n      name: b\n",
    13,
    "the key `name` appears twice"
)]
#[case::alias(
    "    - urn: &u urn:t:a\n    - urn: *u\n",
    12,
    "aliases are not accepted"
)]
#[case::too_deep_a_tree(&deep_chain(40), 12 + 2 * 31, "depth 33 is deeper than 32")]
fn a_wrong_node_refuses_the_whole_document_naming_its_line(
    #[case] nodes: &str,
    #[case] line: usize,
    #[case] says: &str,
) {
    let error = refused(&with_nodes(nodes));
    assert!(error.to_string().contains(says), "{error}");
    assert_eq!(error.line, line, "{error}");
}

/// A chain of nodes each below the one before, without depths.
fn deep_chain(length: usize) -> String {
    let mut nodes = String::from("    - urn: urn:t:0\n");
    for i in 1..length {
        nodes.push_str(&format!(
            "    - urn: urn:t:{i}\n      parent_urn: urn:t:{}\n",
            i - 1
        ));
    }
    nodes
}

#[rstest]
#[case::bad_indentation("urn: a\n  name: b\n   - c\n", 2)]
#[case::unclosed_quote("urn: \"a\nname: b\n", 1)]
#[case::unclosed_flow("urn: [a, b\n", 2)]
#[case::tab_indentation("objects:\n\tframework: a\n", 2)]
fn bad_yaml_is_refused_naming_its_line(#[case] text: &str, #[case] line: usize) {
    let error = refused(text);
    assert_eq!(error.code(), "catalogue.import.syntax", "{error}");
    assert_eq!(error.line, line, "{error}");
}

#[rstest]
#[case::list("- a\n- b\n", "`the document` must be a mapping, not a list")]
#[case::scalar("just text\n", "must be a mapping, not a scalar")]
#[case::empty("", "no YAML document")]
#[case::only_a_comment("# nothing\n", "no YAML document")]
#[case::null("~\n", "no YAML document")]
#[case::two_documents("a: 1\n---\nb: 2\n", "more than one YAML document")]
#[case::no_objects("urn: urn:a:b\n", "`objects` is missing")]
#[case::no_framework(
    "urn: urn:a:b\nobjects:\n  threats: []\n",
    "`objects.framework` is missing"
)]
#[case::complex_key("? [a, b]\n: c\n", "a mapping key must be a scalar")]
fn a_document_that_is_not_a_library_is_refused(#[case] text: &str, #[case] says: &str) {
    let error = refused(text);
    assert!(error.to_string().contains(says), "{error}");
}

#[test]
fn two_frameworks_are_refused() {
    let text = with_nodes("    - urn: urn:t:a\n").replace(
        "objects:\n",
        "objects:\n  frameworks:\n  - urn: urn:t:x\n  - urn: urn:t:y\n",
    );
    let error = refused(&text);
    assert_eq!(error.code(), "catalogue.import.several_frameworks");
}

#[test]
fn a_missing_library_field_names_the_library() {
    let text = with_nodes("    - urn: urn:t:a\n").replace("locale: en\n", "");
    let error = refused(&text);
    assert_eq!(error.line, 1);
    assert!(error.to_string().contains("`locale` is missing"), "{error}");
    let text = with_nodes("    - urn: urn:t:a\n").replace("version: 1", "version: -1");
    assert!(
        refused(&text)
            .to_string()
            .contains("`version` must be a whole number")
    );
}

#[test]
fn billion_laughs_are_refused_at_the_first_alias() {
    let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let previous = format!("*a{}", i - 1);
        let list = [previous.as_str(); 9].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{list}]\n"));
    }
    let error = refused(&text);
    assert_eq!(error.code(), "catalogue.import.alias");
    assert_eq!(error.line, 2);
}

#[test]
fn deep_nesting_is_refused_without_exhausting_the_stack() {
    let flow = format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    assert!(matches!(
        refused(&flow).kind,
        ImportErrorKind::TooDeep { .. } | ImportErrorKind::Syntax { .. }
    ));
    let mut block = String::new();
    for depth in 0..200 {
        block.push_str(&" ".repeat(depth));
        block.push_str("a:\n");
    }
    let error = refused(&block);
    assert_eq!(error.code(), "catalogue.import.too_deep", "{error}");
    assert_eq!(error.line, yaml::MAX_NESTING + 1);
}

#[test]
fn a_document_of_more_values_than_the_limit_is_refused() {
    let text = format!("a: [{}]\n", "1,".repeat(MAX_VALUES));
    let error = refused(&text);
    assert_eq!(
        error.kind,
        ImportErrorKind::TooManyValues { max: MAX_VALUES }
    );
}

#[test]
fn a_file_over_the_size_limit_is_refused_before_it_is_parsed() {
    let text = format!("name: \"{}\"\n", "x".repeat(MAX_BYTES));
    let error = refused(&text);
    assert_eq!(error.kind, ImportErrorKind::TooLarge { max: MAX_BYTES });
}

#[test]
fn a_huge_string_within_the_size_limit_is_refused_by_its_field_limit() {
    let name = "長".repeat(MAX_NAME_CHARS + 1);
    let text = with_nodes(&format!("    - urn: urn:t:a\n      name: {name}\n"));
    let error = refused(&text);
    assert_eq!(error.code(), "catalogue.too_long");
    assert_eq!(error.line, 12);
}

#[test]
fn too_many_nodes_are_refused() {
    let mut nodes = String::new();
    for i in 0..=MAX_NODES {
        nodes.push_str(&format!("    - urn: urn:t:{i}\n"));
    }
    let error = refused(&with_nodes(&nodes));
    assert_eq!(error.kind, ImportErrorKind::TooManyNodes { max: MAX_NODES });
    assert_eq!(error.line, 11 + MAX_NODES);
}

#[test]
fn text_that_is_not_utf8_is_refused_naming_its_line() {
    let mut bytes = b"urn: urn:a:b\nname: caf".to_vec();
    bytes.push(0xE9);
    bytes.extend_from_slice(b"\n");
    let error = import_yaml(&bytes).unwrap_err();
    assert_eq!(error.kind, ImportErrorKind::NotUtf8);
    assert_eq!(error.line, 2);
    let utf16: Vec<u8> = "urn: a\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    assert_eq!(
        import_yaml(&utf16).unwrap_err().kind,
        ImportErrorKind::NulByte
    );
}

#[test]
fn a_byte_order_mark_and_tags_change_nothing() {
    let text = format!(
        "\u{FEFF}{}",
        SAMPLE.replace(
            "ref_id: '1'\n",
            "ref_id: !!python/object/apply:os.system '1'\n"
        )
    );
    let catalogue = import(&text).unwrap();
    assert_eq!(catalogue.nodes()[0].ref_id.as_deref(), Some("1"));
}

#[rstest]
#[case("all", AppliesTo::All)]
#[case(
    "class:confidentiality:3",
    AppliesTo::AssetClass { dimension: crate::classification::Dimension::Confidentiality, level: "3".into() }
)]
#[case(
    "class:availability:2",
    AppliesTo::AssetClass { dimension: crate::classification::Dimension::Availability, level: "2".into() }
)]
#[case("segment:lgwan", AppliesTo::Segment(SegmentKind::Lgwan))]
#[case("segment:mynumber", AppliesTo::Segment(SegmentKind::MyNumber))]
#[case("model:alpha", AppliesTo::NetworkModel(vec![NetworkModel::Alpha]))]
#[case(
    "model:beta,beta_prime",
    AppliesTo::NetworkModel(vec![NetworkModel::Beta, NetworkModel::BetaPrime])
)]
fn a_scope_is_read_from_its_code_and_written_back(#[case] code: &str, #[case] scope: AppliesTo) {
    assert_eq!(AppliesTo::parse(code), Some(scope.clone()));
    assert_eq!(scope.code(), code);
    let json = serde_json::to_string(&scope).unwrap();
    assert_eq!(json, format!("\"{code}\""));
    assert_eq!(serde_json::from_str::<AppliesTo>(&json).unwrap(), scope);
}

#[rstest]
#[case("")]
#[case("everyone")]
#[case("class:secrecy:3")]
#[case("class:confidentiality:")]
#[case("class:confidentiality:機密")]
#[case("segment:")]
#[case("model:")]
#[case("model:gamma")]
#[case("model:beta,beta")]
fn a_scope_code_we_do_not_know_is_refused(#[case] code: &str) {
    assert_eq!(AppliesTo::parse(code), None);
}

fn class(confidentiality: &str) -> Classification {
    Classification {
        confidentiality: confidentiality.into(),
        integrity: "1".into(),
        availability: "1".into(),
    }
}

#[test]
fn a_scope_concerns_the_units_it_names() {
    let plain = Scales::mic_default(false);
    let split = Scales::mic_default(true);
    let secret = AppliesTo::parse("class:confidentiality:3").unwrap();
    let internal = AppliesTo::parse("class:confidentiality:2").unwrap();
    let holding = |classes: &'static [Classification]| UnitFacts {
        classes,
        segments: &[],
        model: None,
    };
    let c3: &'static [Classification] = Box::leak(Box::new([class("3")]));
    let c3b: &'static [Classification] = Box::leak(Box::new([class("3B")]));
    let c1: &'static [Classification] = Box::leak(Box::new([class("1")]));
    assert!(secret.concerns(&plain, &holding(c3)));
    assert!(internal.concerns(&plain, &holding(c3)), "at or above");
    assert!(!secret.concerns(&plain, &holding(c1)));
    assert!(secret.concerns(&split, &holding(c3b)), "3 covers 3A/3B/3C");
    assert!(!internal.concerns(&split, &holding(c1)));
    assert!(AppliesTo::All.concerns(&plain, &holding(&[])));
    assert!(
        AppliesTo::parse("model:alpha")
            .unwrap()
            .concerns(&plain, &holding(&[])),
        "a model's measure concerns every unit while no model is recorded"
    );

    let lgwan = AppliesTo::Segment(SegmentKind::Lgwan);
    let in_lgwan = UnitFacts {
        classes: &[],
        segments: &["LGWAN"],
        model: Some(NetworkModel::BetaPrime),
    };
    assert!(lgwan.concerns(&plain, &in_lgwan));
    assert!(!AppliesTo::Segment(SegmentKind::Internet).concerns(&plain, &in_lgwan));
    let beta = AppliesTo::parse("model:beta,beta_prime").unwrap();
    assert!(beta.concerns(&plain, &in_lgwan));
    assert!(
        !AppliesTo::parse("model:alpha")
            .unwrap()
            .concerns(&plain, &in_lgwan)
    );
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 ]{0,20}",
        // What YAML readers get wrong when it is written plain.
        prop::sample::select(vec![
            "no",
            "yes",
            "null",
            "~",
            "true",
            "1.0",
            "0x1F",
            "- a",
            "a: b",
            "# c",
            "'q'",
            "\"d\"",
            " lead",
            "trail ",
            "\\",
            "",
            "@x",
            "%y",
            "!z",
            "&a",
            "*b",
            "{}",
            "[]",
            "機密性３Ａ",
            "6(3)ア",
            "\u{FEFF}x",
            "\u{2028}",
            "\u{FFFF}",
        ])
        .prop_map(String::from),
        "[ -~\\n\\tあ-ん]{0,40}",
    ]
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    prop::option::of(text())
}

fn translations() -> impl Strategy<Value = Translations> {
    prop::collection::btree_map(
        prop::sample::select(vec!["en", "ja", "fr", "no", "zh-Hans", "Y"]).prop_map(String::from),
        (opt_text(), opt_text()).prop_map(|(name, description)| Translation { name, description }),
        0..3,
    )
}

fn scope() -> impl Strategy<Value = AppliesTo> {
    prop::sample::select(vec![
        "all",
        "class:confidentiality:3",
        "class:integrity:2",
        "segment:internet",
        "segment:lgwan",
        "model:alpha,beta_prime",
    ])
    .prop_map(|code| AppliesTo::parse(code).unwrap())
}

prop_compose! {
    fn any_node()(
        ref_id in prop::option::of("[A-Z0-9.-]{1,8}"),
        name in opt_text(),
        description in opt_text(),
        annotation in opt_text(),
        typical_evidence in opt_text(),
        assessable in any::<bool>(),
        translations in translations(),
        chapter in prop::option::of(prop::sample::select(Chapter::ALL.to_vec())),
        applies_to in scope(),
        implements in prop::collection::vec("[0-9]{1,2}(\\([0-9]\\))?[アイウ]?", 0..3),
        parent in any::<prop::sample::Index>(),
        root in any::<bool>(),
    ) -> (Node, prop::sample::Index, bool) {
        (Node {
            urn: String::new(),
            ref_id,
            name,
            description,
            annotation,
            typical_evidence,
            depth: 1,
            parent_urn: None,
            assessable,
            translations,
            chapter,
            applies_to,
            implements,
        }, parent, root)
    }
}

prop_compose! {
    fn any_catalogue()(
        nodes in prop::collection::vec(any_node(), 0..12),
        description in opt_text(),
        version in any::<u32>(),
        library_translations in translations(),
    ) -> Catalogue {
        let mut built: Vec<Node> = Vec::new();
        for (i, (mut node, parent, root)) in nodes.into_iter().enumerate() {
            node.urn = format!("urn:p:risk:req_node:x:{i}");
            if !root && !built.is_empty() {
                let parent = &built[parent.index(built.len())];
                if parent.depth < MAX_DEPTH {
                    node.parent_urn = Some(parent.urn.clone());
                    node.depth = parent.depth + 1;
                    if let Some(chapter) = parent.chapter {
                        node.chapter = node.chapter.map(|_| chapter);
                    }
                }
            }
            built.push(node);
        }
        let mut info = info();
        info.description = description;
        info.version = version;
        info.translations = library_translations;
        Catalogue::new(info, built).expect("a generated catalogue is valid")
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_catalogue_survives_export_and_import(catalogue in any_catalogue()) {
        let text = export_yaml(&catalogue);
        let again = import_yaml(text.as_bytes());
        prop_assert_eq!(again.as_ref(), Ok(&catalogue), "{}", text);
    }
}

/// The 基本方針 of 特別区人事・厚生事務組合, kept beside the repository (`../shared/seed`).
const SEED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/seed/000_d561eb961f93c129.txt"
);

fn seed() -> crate::policy::PolicyText {
    let text = std::fs::read_to_string(SEED).unwrap_or_else(|e| {
        panic!("the seed policy must be at {SEED} (the repository's ../shared/seed): {e}")
    });
    crate::policy::parse_policy(&text).expect("the seed parses")
}

#[test]
fn the_builtin_catalogue_is_written_as_its_own_export() {
    let catalogue = builtin();
    assert_eq!(catalogue.info().locale, "ja");
    let export = export_yaml(&catalogue);
    if export != BUILTIN_YAML {
        let first = export
            .lines()
            .zip(BUILTIN_YAML.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "builtin.yaml differs from its export at line {}: {:?}",
            first + 1,
            export.lines().nth(first)
        );
    }
}

#[test]
fn the_builtin_catalogue_has_at_least_150_measures_in_nine_chapters() {
    let catalogue = builtin();
    assert!(catalogue.measures().count() >= 150);
    let chapters: Vec<(Option<Chapter>, Option<&str>)> = catalogue
        .roots()
        .map(|n| (n.chapter, n.name.as_deref()))
        .collect();
    assert_eq!(
        chapters,
        [
            (Some(Chapter::Organisation), Some("組織体制")),
            (Some(Chapter::Assets), Some("情報資産の分類と管理")),
            (
                Some(Chapter::Resilience),
                Some("情報システム全体の強靱性の向上")
            ),
            (Some(Chapter::Physical), Some("物理的セキュリティ")),
            (Some(Chapter::Human), Some("人的セキュリティ")),
            (Some(Chapter::Technical), Some("技術的セキュリティ")),
            (Some(Chapter::Operations), Some("運用")),
            (
                Some(Chapter::Outsourcing),
                Some("業務委託と外部サービスの利用")
            ),
            (Some(Chapter::Review), Some("評価・見直し")),
        ]
    );
    for chapter in Chapter::ALL {
        let measures = catalogue
            .measures()
            .filter(|m| m.chapter == Some(chapter))
            .count();
        assert!(measures >= 10, "{chapter:?} has {measures} measures");
    }
}

#[test]
fn every_builtin_measure_has_a_code_a_title_and_a_text_in_japanese_and_english() {
    let catalogue = builtin();
    for measure in catalogue.measures() {
        let code = measure.ref_id.as_deref().unwrap_or_default();
        let chapter = measure.chapter.expect("a chapter");
        let numbers: Vec<&str> = code
            .strip_prefix("M-")
            .unwrap_or_else(|| panic!("{code}: a measure's code starts with M-"))
            .split('.')
            .collect();
        assert_eq!(numbers.len(), 3, "{code}");
        assert_eq!(numbers[0], chapter.number().to_string(), "{code}");
        assert!(numbers.iter().all(|n| n.parse::<u32>().is_ok()), "{code}");
        assert_eq!(measure.depth, 3, "{code}");
        let parent = catalogue
            .node(measure.parent_urn.as_deref().unwrap())
            .unwrap();
        assert_eq!(
            parent.ref_id.as_deref(),
            Some(&code[2..code.rfind('.').unwrap()]),
            "{code} sits in its section"
        );
        let ja = catalogue.localised(measure, Lang::Ja);
        let en = catalogue.localised(measure, Lang::En);
        let en_own = &measure.translations["en"];
        for (what, text) in [
            ("Japanese title", ja.name),
            ("Japanese text", ja.description),
            ("English title", en_own.name.as_deref()),
            ("English text", en_own.description.as_deref()),
        ] {
            assert!(
                text.is_some_and(|t| !t.trim().is_empty()),
                "{code}: {what} missing"
            );
        }
        assert_ne!(ja.name, en.name, "{code}: English title translated");
        let sentences_ja = ja.description.unwrap().matches('。').count();
        assert!(
            (1..=3).contains(&sentences_ja),
            "{code}: {sentences_ja} sentences"
        );
        let en_text = en.description.unwrap();
        assert!(en_text.ends_with('.'), "{code}: {en_text}");
        let sentences_en = en_text.matches(". ").count() + 1;
        assert!(
            (1..=3).contains(&sentences_en),
            "{code}: {sentences_en} sentences"
        );
        assert!(!measure.implements.is_empty(), "{code}: implements nothing");
    }
}

#[test]
fn every_builtin_anchor_names_a_clause_of_the_seed_policy() {
    let policy = seed();
    let missing = builtin()
        .anchors_missing_from(&policy)
        .into_iter()
        .map(|(node, anchor)| format!("{}: {anchor}", node.urn))
        .collect::<Vec<_>>();
    assert!(missing.is_empty(), "{missing:?}");
}

#[test]
fn every_item_of_the_seed_policys_section_6_has_measures() {
    let policy = seed();
    let catalogue = builtin();
    let six = policy.clause("6").unwrap();
    let items: Vec<&str> = six.walk().skip(1).map(|c| c.anchor.as_str()).collect();
    assert_eq!(items.len(), 10, "6(1)…6(9) and 6(3)ア: {items:?}");
    for anchor in items {
        let measures = catalogue.implementing(anchor).count();
        assert!(measures >= 3, "{anchor} has {measures} measures");
    }
    for chapter in Chapter::ALL {
        assert!(
            catalogue
                .implementing(&chapter.policy_anchor())
                .any(|m| m.chapter == Some(chapter)),
            "{chapter:?} serves {}",
            chapter.policy_anchor()
        );
    }
}

#[test]
fn the_builtin_catalogue_names_every_kind_of_scope() {
    let catalogue = builtin();
    let scopes: std::collections::BTreeSet<String> =
        catalogue.measures().map(|m| m.applies_to.code()).collect();
    for kind in [
        "all",
        "class:",
        "segment:internet",
        "segment:lgwan",
        "segment:mynumber",
        "model:",
    ] {
        assert!(
            scopes.iter().any(|s| s.starts_with(kind)),
            "{kind} in {scopes:?}"
        );
    }
    let models: std::collections::BTreeSet<NetworkModel> = catalogue
        .measures()
        .filter_map(|m| match &m.applies_to {
            AppliesTo::NetworkModel(models) => Some(models.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(models.len(), NetworkModel::ALL.len(), "{models:?}");
}
