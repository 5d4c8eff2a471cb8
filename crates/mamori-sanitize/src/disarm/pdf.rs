//! PDF の無害化: the file is parsed whole with lopdf (object streams expanded, incremental
//! updates merged), every dictionary is walked, active content is taken out, and a new file is
//! written from the objects that remain. An encrypted file, or one lopdf cannot read, is refused
//! and so removed.
//!
//! Web links (URI actions) go too: the mail text defangs every address, and a live link inside
//! the attached file would undo that. A link annotation keeps its rectangle without the action;
//! internal links (GoTo) stay.

use std::collections::{BTreeSet, HashMap, HashSet};

use lopdf::{Dictionary, Document, LoadOptions, Object, ObjectId};

use super::{Failure, Rebuilt};
use crate::Budget;

/// Keys whose value is active content or leads to it, and what the notice calls it.
const ACTIVE_KEYS: &[(&[u8], &str)] = &[
    (b"JS", "JavaScript"),
    (b"JavaScript", "JavaScript"),
    (b"OpenAction", "OpenAction"),
    (b"AA", "AA (additional actions)"),
    (b"EmbeddedFiles", "EmbeddedFile"),
    (b"EF", "EmbeddedFile"),
    (b"RichMediaContent", "RichMedia"),
    (b"RichMediaSettings", "RichMedia"),
    (b"XFA", "XFA"),
];

/// Action types (`/S`) that run code, open or import files, or send data out.
const ACTIVE_ACTIONS: &[(&[u8], &str)] = &[
    (b"JavaScript", "JavaScript"),
    (b"Launch", "Launch"),
    (b"ImportData", "ImportData"),
    (b"SubmitForm", "SubmitForm"),
    (b"GoToE", "EmbeddedFile"),
    (b"GoToR", "GoToR (remote file)"),
    (b"RichMediaExecute", "RichMedia"),
    (b"Rendition", "Rendition"),
    (b"Movie", "Movie"),
    (b"Sound", "Sound"),
    (b"URI", "URI (web link)"),
];

/// Object types (`/Type`) and annotation subtypes (`/Subtype`) that carry files or media.
const ACTIVE_TYPES: &[(&[u8], &str)] = &[
    (b"EmbeddedFile", "EmbeddedFile"),
    (b"FileAttachment", "EmbeddedFile"),
    (b"RichMedia", "RichMedia"),
    (b"Screen", "RichMedia"),
    (b"Movie", "Movie"),
    (b"Sound", "Sound"),
];

/// Deepest nesting walked; lopdf itself refuses more than 100 levels.
const MAX_WALK_DEPTH: usize = 256;

/// Indirect objects that are names. A dictionary may give its `/S`, `/Type` or `/Subtype` as a
/// reference to one, and readers follow it, so the check does too.
type Names = HashMap<ObjectId, Vec<u8>>;

/// What makes a dictionary active content, if anything.
fn active_dict(d: &Dictionary, names: &Names) -> Option<&'static str> {
    let name = |key: &[u8]| match d.get(key).ok()? {
        Object::Name(n) => Some(n.as_slice()),
        Object::Reference(id) => names.get(id).map(Vec::as_slice),
        _ => None,
    };
    if let Some(s) = name(b"S")
        && let Some((_, what)) = ACTIVE_ACTIONS.iter().find(|(a, _)| *a == s)
    {
        return Some(what);
    }
    for key in [&b"Type"[..], b"Subtype"] {
        if let Some(t) = name(key)
            && let Some((_, what)) = ACTIVE_TYPES.iter().find(|(a, _)| *a == t)
        {
            return Some(what);
        }
    }
    None
}

fn object_dict(o: &Object) -> Option<&Dictionary> {
    match o {
        Object::Dictionary(d) => Some(d),
        Object::Stream(s) => Some(&s.dict),
        _ => None,
    }
}

struct Cleaner<'a> {
    active: &'a HashSet<ObjectId>,
    names: &'a Names,
    removed: BTreeSet<&'static str>,
    too_deep: bool,
}

impl Cleaner<'_> {
    /// Whether a value is (or refers to) active content, so that the entry holding it goes.
    fn is_active(&mut self, o: &Object) -> bool {
        match o {
            Object::Reference(id) => self.active.contains(id),
            other => match object_dict(other).and_then(|d| active_dict(d, self.names)) {
                Some(what) => {
                    self.removed.insert(what);
                    true
                }
                None => false,
            },
        }
    }

    fn clean(&mut self, o: &mut Object, depth: usize) {
        if depth > MAX_WALK_DEPTH {
            self.too_deep = true;
            return;
        }
        match o {
            Object::Dictionary(d) => self.clean_dict(d, depth),
            Object::Stream(s) => self.clean_dict(&mut s.dict, depth),
            Object::Array(items) => {
                items.retain(|item| !self.is_active(item));
                for item in items {
                    self.clean(item, depth + 1);
                }
            }
            _ => {}
        }
    }

    fn clean_dict(&mut self, d: &mut Dictionary, depth: usize) {
        let mut gone: Vec<Vec<u8>> = Vec::new();
        for (k, v) in d.iter() {
            if let Some((_, what)) = ACTIVE_KEYS.iter().find(|(a, _)| *a == k.as_slice()) {
                self.removed.insert(what);
                gone.push(k.clone());
            } else if self.is_active(v) {
                gone.push(k.clone());
            }
        }
        for k in &gone {
            d.remove(k);
        }
        for (_, v) in d.iter_mut() {
            self.clean(v, depth + 1);
        }
    }
}

pub(super) fn pdf(content: &[u8], budget: &dyn Budget) -> Result<Rebuilt, Failure> {
    let options = LoadOptions {
        // Bounds each object or cross-reference stream inflated while loading.
        max_decompressed_size: Some(64 * 1024 * 1024),
        ..LoadOptions::default()
    };
    let mut doc = Document::load_mem_with_options(content, options)
        .map_err(|_| Failure::Refused("PDF cannot be parsed".into()))?;
    if doc.is_encrypted() || doc.was_encrypted() || doc.trailer.has(b"Encrypt") {
        return Err(Failure::Refused("PDF is encrypted".into()));
    }
    if budget.exhausted() {
        return Err(Failure::OutOfTime);
    }

    let names: Names = doc
        .objects
        .iter()
        .filter_map(|(id, o)| Some((*id, o.as_name().ok()?.to_vec())))
        .collect();
    let mut removed = BTreeSet::new();
    let active: HashSet<ObjectId> = doc
        .objects
        .iter()
        .filter_map(|(id, o)| {
            let what = object_dict(o).and_then(|d| active_dict(d, &names))?;
            removed.insert(what);
            Some(*id)
        })
        .collect();
    let mut cleaner = Cleaner {
        active: &active,
        names: &names,
        removed,
        too_deep: false,
    };
    for (i, o) in doc.objects.values_mut().enumerate() {
        if i.is_multiple_of(1024) && budget.exhausted() {
            return Err(Failure::OutOfTime);
        }
        cleaner.clean(o, 0);
    }
    cleaner.clean_dict(&mut doc.trailer, 0);
    if cleaner.too_deep {
        return Err(Failure::Refused("PDF objects nested too deeply".into()));
    }
    let removed = cleaner.removed;
    for id in &active {
        doc.objects.remove(id);
    }
    // Whatever only the removed entries referred to (scripts, embedded file streams) goes too.
    doc.prune_objects();
    // Numbered 1..n again, so that a file disarmed twice is the same file.
    doc.renumber_objects();
    if budget.exhausted() {
        return Err(Failure::OutOfTime);
    }
    let mut out = Vec::new();
    doc.save_to(&mut out)
        .map_err(|_| Failure::Refused("PDF cannot be written".into()))?;
    Ok(Rebuilt {
        bytes: out,
        extension: "pdf",
        mime: "application/pdf",
        removed: removed.into_iter().map(str::to_string).collect(),
    })
}
