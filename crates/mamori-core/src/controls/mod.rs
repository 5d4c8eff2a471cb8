//! 対策基準 as measures (the control catalogue): a tree of requirement nodes — chapters, sections
//! and the assessable measures under them — each measure saying to whom it applies and which
//! clauses of the basic policy it implements (`6(3)ア`, as `policy` anchors them).
//!
//! A catalogue is read from and written to CISO Assistant's library YAML (`library.rs`), so a
//! site can bring ISO/IEC 27001 or its own catalogue, and mamori's own catalogue ([`builtin`]) is
//! kept in that same form. A [`Catalogue`] is valid whenever it exists: [`Catalogue::new`] checks
//! the whole tree (unique urns, parents that exist, no cycle, depths one more than the parent's,
//! field lengths) and refuses it as a whole. The store keeps the nodes as rows in their order
//! (the position in [`Catalogue::nodes`]) with their `parent_urn`, and rebuilds the catalogue
//! through the same function.

mod applies;
mod library;
mod status;
mod yaml;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::i18n::Lang;
use crate::policy::PolicyText;

pub use applies::{AppliesTo, NetworkModel, SegmentKind, UnitFacts};
pub use library::{ImportError, ImportErrorKind, MAX_BYTES, export_yaml, import_yaml};
pub use status::{MAX_LINK_CHARS, MeasureState, Signal, Tally, parse_answer, parse_link};
pub use yaml::{MAX_NESTING, MAX_VALUES};

/// The most requirement nodes in one catalogue.
pub const MAX_NODES: usize = 10_000;
/// The deepest a node may sit (`depth`).
pub const MAX_DEPTH: u32 = 32;
/// The most characters of a urn.
pub const MAX_URN_CHARS: usize = 255;
/// The most characters of a ref_id, locale code or basic-policy anchor.
pub const MAX_CODE_CHARS: usize = 100;
/// The most characters of a name.
pub const MAX_NAME_CHARS: usize = 2_000;
/// The most characters of a description, annotation or typical evidence.
pub const MAX_TEXT_CHARS: usize = 50_000;
/// The most translations of one name, and the most anchors one node implements.
pub const MAX_LIST: usize = 32;

/// The nine chapters of a MIC-style 対策基準, each serving the item of the basic policy's §6 with
/// the same number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Chapter {
    /// 組織体制.
    Organisation,
    /// 情報資産の分類と管理.
    Assets,
    /// 情報システム全体の強靱性の向上.
    Resilience,
    /// 物理的セキュリティ.
    Physical,
    /// 人的セキュリティ.
    Human,
    /// 技術的セキュリティ.
    Technical,
    /// 運用.
    Operations,
    /// 業務委託と外部サービスの利用.
    Outsourcing,
    /// 評価・見直し.
    Review,
}

impl Chapter {
    pub const ALL: [Chapter; 9] = [
        Chapter::Organisation,
        Chapter::Assets,
        Chapter::Resilience,
        Chapter::Physical,
        Chapter::Human,
        Chapter::Technical,
        Chapter::Operations,
        Chapter::Outsourcing,
        Chapter::Review,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Chapter::Organisation => "organisation",
            Chapter::Assets => "assets",
            Chapter::Resilience => "resilience",
            Chapter::Physical => "physical",
            Chapter::Human => "human",
            Chapter::Technical => "technical",
            Chapter::Operations => "operations",
            Chapter::Outsourcing => "outsourcing",
            Chapter::Review => "review",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    /// 1 to 9, as the 対策基準 numbers its chapters.
    pub fn number(self) -> u8 {
        match self {
            Chapter::Organisation => 1,
            Chapter::Assets => 2,
            Chapter::Resilience => 3,
            Chapter::Physical => 4,
            Chapter::Human => 5,
            Chapter::Technical => 6,
            Chapter::Operations => 7,
            Chapter::Outsourcing => 8,
            Chapter::Review => 9,
        }
    }

    /// The message key of its name.
    pub fn key(self) -> &'static str {
        match self {
            Chapter::Organisation => "chapter.organisation",
            Chapter::Assets => "chapter.assets",
            Chapter::Resilience => "chapter.resilience",
            Chapter::Physical => "chapter.physical",
            Chapter::Human => "chapter.human",
            Chapter::Technical => "chapter.technical",
            Chapter::Operations => "chapter.operations",
            Chapter::Outsourcing => "chapter.outsourcing",
            Chapter::Review => "chapter.review",
        }
    }

    /// The message key of a chapter code's name (`chapter.none` for a code that names none).
    pub fn key_of(code: &str) -> &'static str {
        Self::parse(code).map_or("chapter.none", Self::key)
    }

    /// The item of a MIC-style basic policy that the chapter serves: `6(1)` … `6(9)`.
    pub fn policy_anchor(self) -> String {
        format!("6({})", self.number())
    }
}

/// A name and description in another language.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Translation {
    pub name: Option<String>,
    pub description: Option<String>,
}

/// Translations by locale code (`en`, `ja`, `fr` …).
pub type Translations = BTreeMap<String, Translation>;

/// The framework a catalogue library holds (CISO Assistant's `objects.framework`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Framework {
    pub urn: String,
    pub ref_id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub translations: Translations,
}

/// What a catalogue says of itself: the library and its framework.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueInfo {
    pub urn: String,
    pub ref_id: String,
    /// The language of the names and descriptions; others are in `translations`.
    pub locale: String,
    pub name: String,
    pub description: Option<String>,
    pub version: u32,
    pub provider: Option<String>,
    pub packager: Option<String>,
    pub copyright: Option<String>,
    pub translations: Translations,
    pub framework: Framework,
}

/// One requirement node: a chapter, a section or (when `assessable`) a measure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// Unique in its catalogue; lower-case, as CISO Assistant keeps urns.
    pub urn: String,
    /// The code shown to people: `6`, `6.2`, `M-6.2.3`, `A.5.1`.
    pub ref_id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    /// CISO Assistant's remarks on a requirement, shown beside it.
    pub annotation: Option<String>,
    /// What evidence usually shows the measure is in place.
    pub typical_evidence: Option<String>,
    /// 1 for a top node; one more than its parent's below.
    pub depth: u32,
    pub parent_urn: Option<String>,
    /// Whether units answer this node (a measure) or it only groups others.
    pub assessable: bool,
    pub translations: Translations,
    pub chapter: Option<Chapter>,
    pub applies_to: AppliesTo,
    /// Anchors of the basic-policy clauses the node implements (`6(3)ア`).
    pub implements: Vec<String>,
}

/// A node with the nodes below it, in catalogue order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree<'a> {
    pub node: &'a Node,
    pub children: Vec<Tree<'a>>,
}

/// A node's name and description in the language asked for, falling back to the catalogue's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Localised<'a> {
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
}

/// A control catalogue whose tree is known to be sound.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Catalogue {
    info: CatalogueInfo,
    nodes: Vec<Node>,
    #[serde(skip)]
    index: HashMap<String, usize>,
}

/// Where in a catalogue a refused value is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Library,
    Framework,
    /// The node at this position of [`Catalogue::nodes`] (0-based).
    Node {
        index: usize,
        urn: String,
    },
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Library => f.write_str("the library"),
            Place::Framework => f.write_str("the framework"),
            Place::Node { index, urn } if urn.is_empty() => write!(f, "node {}", index + 1),
            Place::Node { index, urn } => write!(f, "node {} ({urn})", index + 1),
        }
    }
}

/// Why a catalogue is refused; each names the node (or the library) and the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueError {
    #[error("more than {max} requirement nodes")]
    TooManyNodes { max: usize },
    #[error("{place}: `{field}` is empty")]
    Empty { place: Place, field: &'static str },
    #[error("{place}: `{field}` is longer than {max} characters")]
    TooLong {
        place: Place,
        field: &'static str,
        max: usize,
    },
    #[error("{place}: `{field}` contains a control character")]
    ControlCharacter { place: Place, field: &'static str },
    #[error("{place}: `{field}` is not a valid {what}")]
    Invalid {
        place: Place,
        field: &'static str,
        what: &'static str,
    },
    #[error("{place}: more than {max} entries in `{field}`")]
    TooMany {
        place: Place,
        field: &'static str,
        max: usize,
    },
    #[error("{place}: the urn is already used by node {}", first + 1)]
    DuplicateUrn { place: Place, first: usize },
    #[error("{place}: parent_urn `{parent_urn}` names no node of the catalogue")]
    UnknownParent { place: Place, parent_urn: String },
    #[error("{place}: following its parents leads back to itself")]
    Cycle { place: Place },
    #[error("{place}: depth {depth}, but its parent is at depth {parent_depth}")]
    DepthMismatch {
        place: Place,
        depth: u32,
        parent_depth: u32,
    },
    #[error("{place}: depth {depth} is deeper than {max}")]
    TooDeep { place: Place, depth: u32, max: u32 },
    #[error("{place}: chapter `{chapter}` differs from its parent's `{parent_chapter}`")]
    ChapterMismatch {
        place: Place,
        chapter: &'static str,
        parent_chapter: &'static str,
    },
}

impl CatalogueError {
    /// Where the refused value is, when it is one place.
    pub fn place(&self) -> Option<&Place> {
        match self {
            CatalogueError::TooManyNodes { .. } => None,
            CatalogueError::Empty { place, .. }
            | CatalogueError::TooLong { place, .. }
            | CatalogueError::ControlCharacter { place, .. }
            | CatalogueError::Invalid { place, .. }
            | CatalogueError::TooMany { place, .. }
            | CatalogueError::DuplicateUrn { place, .. }
            | CatalogueError::UnknownParent { place, .. }
            | CatalogueError::Cycle { place }
            | CatalogueError::DepthMismatch { place, .. }
            | CatalogueError::TooDeep { place, .. }
            | CatalogueError::ChapterMismatch { place, .. } => Some(place),
        }
    }

    /// The field at fault, as named in the YAML.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            CatalogueError::TooManyNodes { .. } => Some("requirement_nodes"),
            CatalogueError::Empty { field, .. }
            | CatalogueError::TooLong { field, .. }
            | CatalogueError::ControlCharacter { field, .. }
            | CatalogueError::Invalid { field, .. }
            | CatalogueError::TooMany { field, .. } => Some(field),
            CatalogueError::DuplicateUrn { .. } | CatalogueError::Cycle { .. } => Some("urn"),
            CatalogueError::UnknownParent { .. } => Some("parent_urn"),
            CatalogueError::DepthMismatch { .. } | CatalogueError::TooDeep { .. } => Some("depth"),
            CatalogueError::ChapterMismatch { .. } => Some("chapter"),
        }
    }

    /// A stable code for the kind of refusal (`catalogue.duplicate_urn`), for logs and for the
    /// web's message catalogue.
    pub fn code(&self) -> &'static str {
        match self {
            CatalogueError::TooManyNodes { .. } => "catalogue.too_many_nodes",
            CatalogueError::Empty { .. } => "catalogue.empty",
            CatalogueError::TooLong { .. } => "catalogue.too_long",
            CatalogueError::ControlCharacter { .. } => "catalogue.control_character",
            CatalogueError::Invalid { .. } => "catalogue.invalid",
            CatalogueError::TooMany { .. } => "catalogue.too_many",
            CatalogueError::DuplicateUrn { .. } => "catalogue.duplicate_urn",
            CatalogueError::UnknownParent { .. } => "catalogue.unknown_parent",
            CatalogueError::Cycle { .. } => "catalogue.cycle",
            CatalogueError::DepthMismatch { .. } => "catalogue.depth_mismatch",
            CatalogueError::TooDeep { .. } => "catalogue.too_deep",
            CatalogueError::ChapterMismatch { .. } => "catalogue.chapter_mismatch",
        }
    }
}

impl Catalogue {
    /// Checks a catalogue as a whole: every field, then the tree. Urns are compared as given
    /// (the YAML import lower-cases them, as CISO Assistant does).
    pub fn new(info: CatalogueInfo, nodes: Vec<Node>) -> Result<Catalogue, CatalogueError> {
        if nodes.len() > MAX_NODES {
            return Err(CatalogueError::TooManyNodes { max: MAX_NODES });
        }
        check_info(&info)?;
        for (index, node) in nodes.iter().enumerate() {
            check_node(index, node)?;
        }
        let place = |index: usize| Place::Node {
            index,
            urn: nodes[index].urn.clone(),
        };
        let mut index = HashMap::with_capacity(nodes.len());
        for (at, node) in nodes.iter().enumerate() {
            if let Some(first) = index.insert(node.urn.clone(), at) {
                return Err(CatalogueError::DuplicateUrn {
                    place: place(at),
                    first,
                });
            }
        }
        let mut parents = Vec::with_capacity(nodes.len());
        for (at, node) in nodes.iter().enumerate() {
            parents.push(match &node.parent_urn {
                None => None,
                Some(parent_urn) => match index.get(parent_urn) {
                    Some(parent) => Some(*parent),
                    None => {
                        return Err(CatalogueError::UnknownParent {
                            place: place(at),
                            parent_urn: parent_urn.clone(),
                        });
                    }
                },
            });
        }
        if let Some(at) = first_in_cycle(&parents) {
            return Err(CatalogueError::Cycle { place: place(at) });
        }
        for (at, node) in nodes.iter().enumerate() {
            if node.depth > MAX_DEPTH {
                return Err(CatalogueError::TooDeep {
                    place: place(at),
                    depth: node.depth,
                    max: MAX_DEPTH,
                });
            }
            let Some(parent) = parents[at].map(|p| &nodes[p]) else {
                continue;
            };
            if node.depth != parent.depth + 1 {
                return Err(CatalogueError::DepthMismatch {
                    place: place(at),
                    depth: node.depth,
                    parent_depth: parent.depth,
                });
            }
            if let (Some(own), Some(theirs)) = (node.chapter, parent.chapter)
                && own != theirs
            {
                return Err(CatalogueError::ChapterMismatch {
                    place: place(at),
                    chapter: own.code(),
                    parent_chapter: theirs.code(),
                });
            }
        }
        Ok(Catalogue { info, nodes, index })
    }

    pub fn info(&self) -> &CatalogueInfo {
        &self.info
    }

    /// Every node, in catalogue order (a parent need not come before its children).
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    pub fn into_parts(self) -> (CatalogueInfo, Vec<Node>) {
        (self.info, self.nodes)
    }

    pub fn node(&self, urn: &str) -> Option<&Node> {
        self.index.get(urn).map(|at| &self.nodes[*at])
    }

    /// The nodes with no parent, in order.
    pub fn roots(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| n.parent_urn.is_none())
    }

    /// The nodes directly below `urn`, in order.
    pub fn children<'a>(&'a self, urn: &'a str) -> impl Iterator<Item = &'a Node> {
        self.nodes
            .iter()
            .filter(move |n| n.parent_urn.as_deref() == Some(urn))
    }

    /// The assessable nodes, in order.
    pub fn measures(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| n.assessable)
    }

    /// The measures that name this basic-policy anchor.
    pub fn implementing<'a>(&'a self, anchor: &'a str) -> impl Iterator<Item = &'a Node> {
        self.measures()
            .filter(move |n| n.implements.iter().any(|a| a == anchor))
    }

    /// The anchors named by the nodes that a policy does not have, with the node naming each.
    pub fn anchors_missing_from<'a>(&'a self, policy: &PolicyText) -> Vec<(&'a Node, &'a str)> {
        let known: std::collections::HashSet<&str> =
            policy.clauses().map(|c| c.anchor.as_str()).collect();
        self.nodes
            .iter()
            .flat_map(|n| n.implements.iter().map(move |a| (n, a.as_str())))
            .filter(|(_, anchor)| !known.contains(anchor))
            .collect()
    }

    /// The nodes as a tree, roots first, siblings in catalogue order.
    pub fn tree(&self) -> Vec<Tree<'_>> {
        let mut children: HashMap<&str, Vec<&Node>> = HashMap::new();
        for node in &self.nodes {
            if let Some(parent) = &node.parent_urn {
                children.entry(parent.as_str()).or_default().push(node);
            }
        }
        // Depth is bounded by MAX_DEPTH, so recursion is too.
        fn grow<'a>(node: &'a Node, children: &HashMap<&str, Vec<&'a Node>>) -> Tree<'a> {
            Tree {
                node,
                children: children
                    .get(node.urn.as_str())
                    .map(|list| list.iter().map(|c| grow(c, children)).collect())
                    .unwrap_or_default(),
            }
        }
        self.roots().map(|root| grow(root, &children)).collect()
    }

    /// A node's name and description in `lang`: its translation when the catalogue is written
    /// in another language and has one, else its own.
    pub fn localised<'a>(&'a self, node: &'a Node, lang: Lang) -> Localised<'a> {
        let own = Localised {
            name: node.name.as_deref(),
            description: node.description.as_deref(),
        };
        if self.info.locale == lang.code() {
            return own;
        }
        match node.translations.get(lang.code()) {
            Some(t) => Localised {
                name: t.name.as_deref().or(own.name),
                description: t.description.as_deref().or(own.description),
            },
            None => own,
        }
    }
}

/// The first node, in order, of the first loop found among the parents.
fn first_in_cycle(parents: &[Option<usize>]) -> Option<usize> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Walking,
        Rooted,
    }
    let mut marks = vec![Mark::New; parents.len()];
    for start in 0..parents.len() {
        let mut path = Vec::new();
        let mut at = Some(start);
        while let Some(i) = at {
            match marks[i] {
                Mark::Rooted => break,
                // Only the current walk is marked `Walking`: `i` is on it, and so in a loop.
                Mark::Walking => {
                    let from = path.iter().position(|p| *p == i).unwrap_or_default();
                    return path[from..].iter().copied().min();
                }
                Mark::New => {
                    marks[i] = Mark::Walking;
                    path.push(i);
                    at = parents[i];
                }
            }
        }
        for i in path {
            marks[i] = Mark::Rooted;
        }
    }
    None
}

fn check_info(info: &CatalogueInfo) -> Result<(), CatalogueError> {
    let library = || Place::Library;
    check_urn(library, "urn", &info.urn)?;
    check_code(library, "ref_id", &info.ref_id)?;
    check_locale(library, "locale", &info.locale)?;
    check_text(library, "name", &info.name, MAX_NAME_CHARS)?;
    if info.name.trim().is_empty() {
        return Err(CatalogueError::Empty {
            place: library(),
            field: "name",
        });
    }
    check_opt(library, "description", &info.description, MAX_TEXT_CHARS)?;
    check_opt(library, "provider", &info.provider, MAX_NAME_CHARS)?;
    check_opt(library, "packager", &info.packager, MAX_NAME_CHARS)?;
    check_opt(library, "copyright", &info.copyright, MAX_TEXT_CHARS)?;
    check_translations(library, &info.translations)?;
    let framework = || Place::Framework;
    let f = &info.framework;
    check_urn(framework, "urn", &f.urn)?;
    check_code(framework, "ref_id", &f.ref_id)?;
    check_opt(framework, "name", &f.name, MAX_NAME_CHARS)?;
    check_opt(framework, "description", &f.description, MAX_TEXT_CHARS)?;
    check_translations(framework, &f.translations)
}

fn check_node(index: usize, node: &Node) -> Result<(), CatalogueError> {
    let place = || Place::Node {
        index,
        urn: node.urn.clone(),
    };
    check_urn(place, "urn", &node.urn)?;
    if let Some(parent) = &node.parent_urn {
        check_urn(place, "parent_urn", parent)?;
    }
    if let Some(ref_id) = &node.ref_id {
        check_code(place, "ref_id", ref_id)?;
    }
    check_opt(place, "name", &node.name, MAX_NAME_CHARS)?;
    check_opt(place, "description", &node.description, MAX_TEXT_CHARS)?;
    check_opt(place, "annotation", &node.annotation, MAX_TEXT_CHARS)?;
    check_opt(
        place,
        "typical_evidence",
        &node.typical_evidence,
        MAX_TEXT_CHARS,
    )?;
    check_translations(place, &node.translations)?;
    if AppliesTo::parse(&node.applies_to.code()).as_ref() != Some(&node.applies_to) {
        return Err(CatalogueError::Invalid {
            place: place(),
            field: "applies_to",
            what: "scope",
        });
    }
    if node.implements.len() > MAX_LIST {
        return Err(CatalogueError::TooMany {
            place: place(),
            field: "implements",
            max: MAX_LIST,
        });
    }
    for anchor in &node.implements {
        check_code(place, "implements", anchor)?;
    }
    Ok(())
}

fn check_translations(
    place: impl Fn() -> Place + Copy,
    translations: &Translations,
) -> Result<(), CatalogueError> {
    if translations.len() > MAX_LIST {
        return Err(CatalogueError::TooMany {
            place: place(),
            field: "translations",
            max: MAX_LIST,
        });
    }
    for (locale, translation) in translations {
        check_locale(place, "translations", locale)?;
        check_opt(place, "translations", &translation.name, MAX_NAME_CHARS)?;
        check_opt(
            place,
            "translations",
            &translation.description,
            MAX_TEXT_CHARS,
        )?;
    }
    Ok(())
}

/// A urn: `urn:` then printable ASCII without spaces, lower-case.
fn check_urn(
    place: impl Fn() -> Place,
    field: &'static str,
    urn: &str,
) -> Result<(), CatalogueError> {
    if urn.is_empty() {
        return Err(CatalogueError::Empty {
            place: place(),
            field,
        });
    }
    if urn.len() > MAX_URN_CHARS {
        return Err(CatalogueError::TooLong {
            place: place(),
            field,
            max: MAX_URN_CHARS,
        });
    }
    let valid = urn.starts_with("urn:")
        && urn.len() > 4
        && urn
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b.is_ascii_uppercase());
    if valid {
        Ok(())
    } else {
        Err(CatalogueError::Invalid {
            place: place(),
            field,
            what: "urn (`urn:…`, lower-case ASCII without spaces)",
        })
    }
}

/// A short code on one line: ref_id, anchor.
fn check_code(
    place: impl Fn() -> Place,
    field: &'static str,
    code: &str,
) -> Result<(), CatalogueError> {
    check_text(&place, field, code, MAX_CODE_CHARS)?;
    if code.trim().is_empty() {
        return Err(CatalogueError::Empty {
            place: place(),
            field,
        });
    }
    if code.contains('\n') || code.contains('\t') {
        return Err(CatalogueError::ControlCharacter {
            place: place(),
            field,
        });
    }
    Ok(())
}

fn check_locale(
    place: impl Fn() -> Place,
    field: &'static str,
    locale: &str,
) -> Result<(), CatalogueError> {
    let valid = !locale.is_empty()
        && locale.len() <= 16
        && locale
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(CatalogueError::Invalid {
            place: place(),
            field,
            what: "locale code",
        })
    }
}

fn check_opt(
    place: impl Fn() -> Place,
    field: &'static str,
    text: &Option<String>,
    max: usize,
) -> Result<(), CatalogueError> {
    match text {
        Some(text) => check_text(place, field, text, max),
        None => Ok(()),
    }
}

/// Text of at most `max` characters with no control character but line breaks and tabs.
fn check_text(
    place: impl Fn() -> Place,
    field: &'static str,
    text: &str,
    max: usize,
) -> Result<(), CatalogueError> {
    if text.chars().nth(max).is_some() {
        return Err(CatalogueError::TooLong {
            place: place(),
            field,
            max,
        });
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(CatalogueError::ControlCharacter {
            place: place(),
            field,
        });
    }
    Ok(())
}
/// The text of mamori's own catalogue (`builtin.yaml`), in CISO Assistant's library format.
pub const BUILTIN_YAML: &str = include_str!("builtin.yaml");

/// mamori's own catalogue of measures: the nine chapters of a MIC-style 対策基準, in Japanese with
/// English translations, each measure naming the clauses of the basic policy it implements.
pub fn builtin() -> Catalogue {
    // The text is part of the binary and a test reads it; failing here is a build defect.
    import_yaml(BUILTIN_YAML.as_bytes()).expect("the built-in catalogue is valid")
}
