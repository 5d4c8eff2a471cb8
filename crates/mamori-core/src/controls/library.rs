//! CISO Assistant's library YAML: a library (`urn`, `locale`, `ref_id`, `name`, `version` …) whose
//! `objects.framework` holds `requirement_nodes`, each with `urn`, `ref_id`, `name`,
//! `description`, `depth`, `parent_urn`, `assessable` and `translations` (`{en: {name,
//! description}}`).
//!
//! Decisions:
//! - mamori's own fields go under one key per node, `x-mamori: {chapter, applies_to,
//!   implements}`. CISO Assistant reads the keys it knows and ignores the others, so the file
//!   loads there unchanged; `annotation` and `typical_evidence` keep their CISO Assistant meaning
//!   (text shown beside a requirement) rather than carrying data.
//! - Keys we do not know are skipped, whatever they hold (`implementation_groups`, `questions`,
//!   threats and reference controls beside the framework …); they are not exported again.
//! - One framework per catalogue: `objects.framework`, or `objects.frameworks` with one entry.
//!   Export writes `objects.framework`, the form every CISO Assistant version reads.
//! - Urns are lower-cased, as CISO Assistant does. A node without `depth` gets its parent's plus
//!   one (1 at the top); a node with one must agree with its parent. An empty `parent_urn` or
//!   `ref_id` counts as absent.
//! - A whole number or boolean must be written plain (`depth: 2`, `assessable: true`); `yes`/`no`
//!   are read as booleans too, as YAML 1.1 readers such as CISO Assistant's do.
//! - The import is all or nothing: the first refusal ends it, naming its line (1-based).

use super::yaml::{self, Located, SyntaxErrorKind, Value};
use super::{
    AppliesTo, Catalogue, CatalogueError, CatalogueInfo, Chapter, Framework, MAX_NODES, Node,
    Place, Translation, Translations,
};

/// The most bytes of YAML read.
pub const MAX_BYTES: usize = 16 * 1024 * 1024;

/// The key under which a node carries mamori's fields.
const EXTENSION: &str = "x-mamori";

/// Why a file was not imported; nothing of it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct ImportError {
    /// 1-based.
    pub line: usize,
    pub kind: ImportErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportErrorKind {
    #[error("the file is larger than {max} bytes")]
    TooLarge { max: usize },
    #[error("the file is not UTF-8 text")]
    NotUtf8,
    #[error("the file contains a NUL byte (UTF-16 text?)")]
    NulByte,
    #[error("column {column}: not valid YAML: {message}")]
    Syntax { column: usize, message: String },
    #[error("the file holds no YAML document")]
    Empty,
    #[error("more than one YAML document: a catalogue is one")]
    SeveralDocuments,
    #[error("nested deeper than {max} levels")]
    TooDeep { max: usize },
    #[error("more than {max} YAML values")]
    TooManyValues { max: usize },
    #[error("an alias (`*name`): aliases are not accepted in a catalogue")]
    Alias,
    #[error("a mapping key must be a scalar")]
    ComplexKey,
    #[error("the key `{key}` appears twice in one mapping")]
    DuplicateKey { key: String },
    #[error("`{field}` is missing")]
    Missing { field: String },
    #[error("`{field}` must be {expected}, not {found}")]
    WrongType {
        field: String,
        expected: &'static str,
        found: &'static str,
    },
    #[error("`{field}`: unknown value `{value}`")]
    UnknownValue { field: String, value: String },
    #[error("`objects.frameworks` holds {found} frameworks: a catalogue is one framework")]
    SeveralFrameworks { found: usize },
    #[error("more than {max} requirement nodes")]
    TooManyNodes { max: usize },
    #[error("{0}")]
    Catalogue(CatalogueError),
}

impl ImportError {
    fn new(line: usize, kind: ImportErrorKind) -> Self {
        ImportError { line, kind }
    }

    /// A stable code for the kind of refusal (`catalogue.import.syntax`, or the catalogue's own
    /// code), for logs and for the web's message catalogue.
    pub fn code(&self) -> &'static str {
        match &self.kind {
            ImportErrorKind::TooLarge { .. } => "catalogue.import.too_large",
            ImportErrorKind::NotUtf8 => "catalogue.import.not_utf8",
            ImportErrorKind::NulByte => "catalogue.import.nul_byte",
            ImportErrorKind::Syntax { .. } => "catalogue.import.syntax",
            ImportErrorKind::Empty => "catalogue.import.empty",
            ImportErrorKind::SeveralDocuments => "catalogue.import.several_documents",
            ImportErrorKind::TooDeep { .. } => "catalogue.import.too_deep",
            ImportErrorKind::TooManyValues { .. } => "catalogue.import.too_many_values",
            ImportErrorKind::Alias => "catalogue.import.alias",
            ImportErrorKind::ComplexKey => "catalogue.import.complex_key",
            ImportErrorKind::DuplicateKey { .. } => "catalogue.import.duplicate_key",
            ImportErrorKind::Missing { .. } => "catalogue.import.missing",
            ImportErrorKind::WrongType { .. } => "catalogue.import.wrong_type",
            ImportErrorKind::UnknownValue { .. } => "catalogue.import.unknown_value",
            ImportErrorKind::SeveralFrameworks { .. } => "catalogue.import.several_frameworks",
            ImportErrorKind::TooManyNodes { .. } => "catalogue.too_many_nodes",
            ImportErrorKind::Catalogue(error) => error.code(),
        }
    }
}

/// Reads a CISO Assistant library (UTF-8, with or without BOM) into a catalogue.
pub fn import_yaml(bytes: &[u8]) -> Result<Catalogue, ImportError> {
    let line_at = |at: usize| 1 + bytes[..at].iter().filter(|b| **b == b'\n').count();
    if bytes.len() > MAX_BYTES {
        return Err(ImportError::new(
            line_at(MAX_BYTES),
            ImportErrorKind::TooLarge { max: MAX_BYTES },
        ));
    }
    if let Some(at) = bytes.iter().position(|b| *b == 0) {
        return Err(ImportError::new(line_at(at), ImportErrorKind::NulByte));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|e| ImportError::new(line_at(e.valid_up_to()), ImportErrorKind::NotUtf8))?;
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let root = yaml::read(text).map_err(|e| {
        let kind = match e.kind {
            SyntaxErrorKind::Invalid(message) => ImportErrorKind::Syntax {
                column: e.column,
                message,
            },
            SyntaxErrorKind::Empty => ImportErrorKind::Empty,
            SyntaxErrorKind::SeveralDocuments => ImportErrorKind::SeveralDocuments,
            SyntaxErrorKind::TooDeep => ImportErrorKind::TooDeep {
                max: yaml::MAX_NESTING,
            },
            SyntaxErrorKind::TooManyValues => ImportErrorKind::TooManyValues {
                max: yaml::MAX_VALUES,
            },
            SyntaxErrorKind::Alias => ImportErrorKind::Alias,
            SyntaxErrorKind::ComplexKey => ImportErrorKind::ComplexKey,
            SyntaxErrorKind::DuplicateKey(key) => ImportErrorKind::DuplicateKey { key },
        };
        ImportError::new(e.line, kind)
    })?;
    if root.is_null() {
        return Err(ImportError::new(root.line, ImportErrorKind::Empty));
    }
    Reader::default().catalogue(&root)
}

/// The lines of one object's fields, to name them in a refusal found after reading.
#[derive(Default)]
struct Lines {
    start: usize,
    fields: Vec<(&'static str, usize)>,
}

impl Lines {
    fn of(&self, field: Option<&str>) -> usize {
        field
            .and_then(|f| self.fields.iter().find(|(name, _)| *name == f))
            .map_or(self.start, |(_, line)| *line)
    }
}

#[derive(Default)]
struct Reader {
    library: Lines,
    framework: Lines,
    nodes: Vec<Lines>,
    nodes_line: usize,
}

impl Reader {
    fn catalogue(mut self, root: &Located) -> Result<Catalogue, ImportError> {
        let library = Map::of(root, String::new())?;
        self.library.start = root.line;
        let objects = Map::of(library.required("objects")?, "objects.".into())?;
        let framework_value = match (objects.get("framework"), objects.get("frameworks")) {
            (Some(framework), None) => (framework, "objects.framework."),
            (None, Some(list)) => match &list.value {
                Value::Sequence(items) if items.len() == 1 => (&items[0], "objects.frameworks[0]."),
                Value::Sequence(items) => {
                    return Err(ImportError::new(
                        list.line,
                        ImportErrorKind::SeveralFrameworks { found: items.len() },
                    ));
                }
                _ => return Err(wrong_type("objects.frameworks", list, "a list")),
            },
            (Some(_), Some(both)) => {
                return Err(ImportError::new(
                    both.line,
                    ImportErrorKind::SeveralFrameworks { found: 2 },
                ));
            }
            (None, None) => {
                return Err(ImportError::new(
                    objects.line,
                    ImportErrorKind::Missing {
                        field: "objects.framework".into(),
                    },
                ));
            }
        };
        let framework = Map::of(framework_value.0, framework_value.1.into())?;
        self.framework.start = framework_value.0.line;

        let info = CatalogueInfo {
            urn: library
                .required_text("urn", &mut self.library)?
                .to_lowercase(),
            ref_id: library.required_text("ref_id", &mut self.library)?,
            locale: library.required_text("locale", &mut self.library)?,
            name: library.required_text("name", &mut self.library)?,
            description: library.text("description", &mut self.library)?,
            version: match library.uint("version", &mut self.library)? {
                Some(version) => version,
                None => return Err(library.missing("version")),
            },
            provider: library.text("provider", &mut self.library)?,
            packager: library.text("packager", &mut self.library)?,
            copyright: library.text("copyright", &mut self.library)?,
            translations: library.translations(&mut self.library)?,
            framework: Framework {
                urn: framework
                    .required_text("urn", &mut self.framework)?
                    .to_lowercase(),
                ref_id: framework.required_text("ref_id", &mut self.framework)?,
                name: framework.text("name", &mut self.framework)?,
                description: framework.text("description", &mut self.framework)?,
                translations: framework.translations(&mut self.framework)?,
            },
        };

        let list = framework.required("requirement_nodes")?;
        self.nodes_line = list.line;
        let items = match &list.value {
            Value::Sequence(items) => items.as_slice(),
            _ if list.is_null() => &[],
            _ => {
                return Err(wrong_type(
                    &framework.field("requirement_nodes"),
                    list,
                    "a list",
                ));
            }
        };
        if items.len() > MAX_NODES {
            return Err(ImportError::new(
                items[MAX_NODES].line,
                ImportErrorKind::TooManyNodes { max: MAX_NODES },
            ));
        }
        let mut nodes = Vec::with_capacity(items.len());
        let mut depths = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let path = format!("{}[{index}].", framework.field("requirement_nodes"));
            let mut lines = Lines {
                start: item.line,
                fields: Vec::new(),
            };
            let (node, depth) = read_node(&Map::of(item, path)?, &mut lines)?;
            nodes.push(node);
            depths.push(depth);
            self.nodes.push(lines);
        }
        fill_depths(&mut nodes, &depths);
        Catalogue::new(info, nodes).map_err(|e| {
            let line = match e.place() {
                None => self.nodes_line,
                Some(Place::Library) => self.library.of(e.field()),
                Some(Place::Framework) => self.framework.of(e.field()),
                Some(Place::Node { index, .. }) => self
                    .nodes
                    .get(*index)
                    .map_or(self.nodes_line, |lines| lines.of(e.field())),
            };
            ImportError::new(line, ImportErrorKind::Catalogue(e))
        })
    }
}

fn read_node(map: &Map<'_>, lines: &mut Lines) -> Result<(Node, Option<u32>), ImportError> {
    let urn = map.required_text("urn", lines)?.to_lowercase();
    let parent_urn = map
        .text("parent_urn", lines)?
        .filter(|p| !p.trim().is_empty())
        .map(|p| p.to_lowercase());
    let depth = map.uint("depth", lines)?;
    let mut node = Node {
        urn,
        ref_id: map.text("ref_id", lines)?.filter(|r| !r.trim().is_empty()),
        name: map.text("name", lines)?,
        description: map.text("description", lines)?,
        annotation: map.text("annotation", lines)?,
        typical_evidence: map.text("typical_evidence", lines)?,
        depth: depth.unwrap_or(1),
        parent_urn,
        assessable: map.bool("assessable", lines)?.unwrap_or(false),
        translations: map.translations(lines)?,
        chapter: None,
        applies_to: AppliesTo::All,
        implements: Vec::new(),
    };
    if let Some(extension) = map.get(EXTENSION) {
        let ours = Map::of(extension, map.field(EXTENSION) + ".")?;
        if let Some(code) = ours.text("chapter", lines)? {
            node.chapter =
                Some(Chapter::parse(&code).ok_or_else(|| ours.unknown("chapter", code.clone()))?);
        }
        if let Some(code) = ours.text("applies_to", lines)? {
            node.applies_to =
                AppliesTo::parse(&code).ok_or_else(|| ours.unknown("applies_to", code.clone()))?;
        }
        node.implements = ours.texts("implements", lines)?;
    }
    Ok((node, depth))
}

/// Gives each node without a written depth its parent's depth plus one (1 at the top). Nodes on
/// a loop or below an unknown parent keep 1: `Catalogue::new` refuses them for that.
fn fill_depths(nodes: &mut [Node], written: &[Option<u32>]) {
    let index: std::collections::HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.urn.as_str(), i))
        .collect();
    let parents: Vec<Option<usize>> = nodes
        .iter()
        .map(|n| n.parent_urn.as_deref().and_then(|p| index.get(p).copied()))
        .collect();
    let mut known: Vec<Option<u32>> = written.to_vec();
    for (i, node) in nodes.iter().enumerate() {
        if node.parent_urn.is_none() && known[i].is_none() {
            known[i] = Some(1);
        }
    }
    let mut hopeless = vec![false; nodes.len()];
    for start in 0..nodes.len() {
        if known[start].is_some() || hopeless[start] {
            continue;
        }
        // Walk up to a node whose depth is known; a walk longer than the catalogue is a loop.
        let mut path = vec![start];
        let mut at = parents[start];
        let base = loop {
            match at {
                Some(i) if known[i].is_some() => break known[i],
                Some(i) if !hopeless[i] && path.len() <= nodes.len() => {
                    path.push(i);
                    at = parents[i];
                }
                _ => break None,
            }
        };
        for (steps, i) in path.iter().rev().enumerate() {
            match base {
                Some(base) => known[*i] = Some(base.saturating_add(steps as u32 + 1)),
                None => hopeless[*i] = true,
            }
        }
    }
    for (node, depth) in nodes.iter_mut().zip(known) {
        node.depth = depth.unwrap_or(1);
    }
}

/// A mapping being read, with the path of its keys for messages (`objects.framework.`).
struct Map<'a> {
    entries: &'a [(Located, Located)],
    path: String,
    line: usize,
}

fn wrong_type(field: &str, value: &Located, expected: &'static str) -> ImportError {
    ImportError::new(
        value.line,
        ImportErrorKind::WrongType {
            field: if field.is_empty() {
                "the document".into()
            } else {
                field.into()
            },
            expected,
            found: value.kind(),
        },
    )
}

impl<'a> Map<'a> {
    fn of(value: &'a Located, path: String) -> Result<Self, ImportError> {
        match &value.value {
            Value::Mapping(entries) => Ok(Map {
                entries,
                path,
                line: value.line,
            }),
            _ => Err(wrong_type(path.trim_end_matches('.'), value, "a mapping")),
        }
    }

    fn field(&self, key: &str) -> String {
        format!("{}{key}", self.path)
    }

    /// The value of a key; a null value counts as absent.
    fn get(&self, key: &str) -> Option<&'a Located> {
        self.entries
            .iter()
            .find(|(k, _)| matches!(&k.value, Value::Scalar { text, .. } if text == key))
            .map(|(_, v)| v)
            .filter(|v| !v.is_null())
    }

    fn missing(&self, key: &str) -> ImportError {
        ImportError::new(
            self.line,
            ImportErrorKind::Missing {
                field: self.field(key),
            },
        )
    }

    fn unknown(&self, key: &str, value: String) -> ImportError {
        let line = self.get(key).map_or(self.line, |v| v.line);
        ImportError::new(
            line,
            ImportErrorKind::UnknownValue {
                field: self.field(key),
                value,
            },
        )
    }

    fn required(&self, key: &str) -> Result<&'a Located, ImportError> {
        self.get(key).ok_or_else(|| self.missing(key))
    }

    fn text(&self, key: &'static str, lines: &mut Lines) -> Result<Option<String>, ImportError> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        lines.fields.push((key, value.line));
        match &value.value {
            Value::Scalar { text, .. } => Ok(Some(text.clone())),
            _ => Err(wrong_type(&self.field(key), value, "text")),
        }
    }

    fn required_text(&self, key: &'static str, lines: &mut Lines) -> Result<String, ImportError> {
        self.text(key, lines)?.ok_or_else(|| self.missing(key))
    }

    fn plain(&self, key: &'static str, lines: &mut Lines) -> Option<(&'a Located, &'a str)> {
        let value = self.get(key)?;
        lines.fields.push((key, value.line));
        match &value.value {
            Value::Scalar { text, plain: true } => Some((value, text.as_str())),
            _ => Some((value, "")),
        }
    }

    fn uint(&self, key: &'static str, lines: &mut Lines) -> Result<Option<u32>, ImportError> {
        let Some((value, text)) = self.plain(key, lines) else {
            return Ok(None);
        };
        let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
        match text.parse::<u32>() {
            Ok(number) if digits => Ok(Some(number)),
            _ => Err(wrong_type(
                &self.field(key),
                value,
                "a whole number from 0 to 4294967295",
            )),
        }
    }

    fn bool(&self, key: &'static str, lines: &mut Lines) -> Result<Option<bool>, ImportError> {
        let Some((value, text)) = self.plain(key, lines) else {
            return Ok(None);
        };
        match text.to_ascii_lowercase().as_str() {
            "true" | "yes" => Ok(Some(true)),
            "false" | "no" => Ok(Some(false)),
            _ => Err(wrong_type(&self.field(key), value, "true or false")),
        }
    }

    /// A list of texts; absent is empty.
    fn texts(&self, key: &'static str, lines: &mut Lines) -> Result<Vec<String>, ImportError> {
        let Some(value) = self.get(key) else {
            return Ok(Vec::new());
        };
        lines.fields.push((key, value.line));
        let Value::Sequence(items) = &value.value else {
            return Err(wrong_type(&self.field(key), value, "a list"));
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| match &item.value {
                Value::Scalar { text, .. } if !item.is_null() => Ok(text.clone()),
                _ => Err(wrong_type(
                    &format!("{}[{i}]", self.field(key)),
                    item,
                    "text",
                )),
            })
            .collect()
    }

    /// `translations: {en: {name, description}, …}`; a null name or description is absent.
    fn translations(&self, lines: &mut Lines) -> Result<Translations, ImportError> {
        let mut out = Translations::new();
        let Some(value) = self.get("translations") else {
            return Ok(out);
        };
        lines.fields.push(("translations", value.line));
        let all = Map::of(value, self.field("translations") + ".")?;
        for (key, value) in all.entries {
            let Value::Scalar { text: locale, .. } = &key.value else {
                continue;
            };
            let translation = if value.is_null() {
                Translation::default()
            } else {
                let one = Map::of(value, all.field(locale) + ".")?;
                let mut ignored = Lines::default();
                Translation {
                    name: one.text("name", &mut ignored)?,
                    description: one.text("description", &mut ignored)?,
                }
            };
            out.insert(locale.clone(), translation);
        }
        Ok(out)
    }
}

/// Writes a catalogue as a CISO Assistant library. Reading the text back with [`import_yaml`]
/// gives the same catalogue.
pub fn export_yaml(catalogue: &Catalogue) -> String {
    let info = catalogue.info();
    let mut out = String::new();
    let mut w = Writer { out: &mut out };
    w.text(0, "urn", &info.urn);
    w.text(0, "locale", &info.locale);
    w.text(0, "ref_id", &info.ref_id);
    w.text(0, "name", &info.name);
    w.opt(0, "description", &info.description);
    w.opt(0, "copyright", &info.copyright);
    w.raw(0, "version", &info.version.to_string());
    w.opt(0, "provider", &info.provider);
    w.opt(0, "packager", &info.packager);
    w.translations(0, &info.translations);
    w.key(0, "objects");
    w.key(1, "framework");
    let framework = &info.framework;
    w.text(2, "urn", &framework.urn);
    w.text(2, "ref_id", &framework.ref_id);
    w.opt(2, "name", &framework.name);
    w.opt(2, "description", &framework.description);
    w.translations(2, &framework.translations);
    if catalogue.nodes().is_empty() {
        w.raw(2, "requirement_nodes", "[]");
    } else {
        w.key(2, "requirement_nodes");
    }
    for node in catalogue.nodes() {
        // A list item of a block mapping is written at the mapping's own indentation.
        w.out.push_str("    - ");
        w.text_after_dash("urn", &node.urn);
        w.raw(
            3,
            "assessable",
            if node.assessable { "true" } else { "false" },
        );
        w.raw(3, "depth", &node.depth.to_string());
        w.opt(3, "parent_urn", &node.parent_urn);
        w.opt(3, "ref_id", &node.ref_id);
        w.opt(3, "name", &node.name);
        w.opt(3, "description", &node.description);
        w.opt(3, "annotation", &node.annotation);
        w.opt(3, "typical_evidence", &node.typical_evidence);
        w.translations(3, &node.translations);
        let ours = node.chapter.is_some()
            || node.applies_to != AppliesTo::All
            || !node.implements.is_empty();
        if ours {
            w.key(3, EXTENSION);
            if let Some(chapter) = node.chapter {
                w.text(4, "chapter", chapter.code());
            }
            w.text(4, "applies_to", &node.applies_to.code());
            if !node.implements.is_empty() {
                w.key(4, "implements");
                for anchor in &node.implements {
                    w.indent(4);
                    w.out.push_str("- ");
                    yaml::quoted(w.out, anchor);
                    w.out.push('\n');
                }
            }
        }
    }
    out
}

/// Block-style YAML, two spaces a level, every text double-quoted.
struct Writer<'a> {
    out: &'a mut String,
}

impl Writer<'_> {
    fn indent(&mut self, level: usize) {
        for _ in 0..level {
            self.out.push_str("  ");
        }
    }

    fn key(&mut self, level: usize, key: &str) {
        self.indent(level);
        self.push_key(key);
        self.out.push('\n');
    }

    fn push_key(&mut self, key: &str) {
        if yaml::plain_key(key) {
            self.out.push_str(key);
        } else {
            yaml::quoted(self.out, key);
        }
        self.out.push(':');
    }

    fn raw(&mut self, level: usize, key: &str, value: &str) {
        self.indent(level);
        self.push_key(key);
        self.out.push(' ');
        self.out.push_str(value);
        self.out.push('\n');
    }

    fn text(&mut self, level: usize, key: &str, value: &str) {
        self.indent(level);
        self.text_after_dash(key, value);
    }

    fn text_after_dash(&mut self, key: &str, value: &str) {
        self.push_key(key);
        self.out.push(' ');
        yaml::quoted(self.out, value);
        self.out.push('\n');
    }

    fn opt(&mut self, level: usize, key: &str, value: &Option<String>) {
        if let Some(value) = value {
            self.text(level, key, value);
        }
    }

    fn translations(&mut self, level: usize, translations: &Translations) {
        if translations.is_empty() {
            return;
        }
        self.key(level, "translations");
        for (locale, translation) in translations {
            if translation.name.is_none() && translation.description.is_none() {
                self.raw(level + 1, locale, "{}");
                continue;
            }
            self.key(level + 1, locale);
            self.opt(level + 2, "name", &translation.name);
            self.opt(level + 2, "description", &translation.description);
        }
    }
}
