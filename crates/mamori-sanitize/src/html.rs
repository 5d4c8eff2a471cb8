//! HTML → text (HTML のテキスト化).
//!
//! The document is parsed by html5ever into a tree and walked without recursion, so a deeply
//! nested document cannot exhaust the stack. Scripts, styles, comments and hidden elements are
//! dropped, never promoted to text; links are written out with their real target defanged.

use std::rc::Rc;

use html5ever::tendril::TendrilSink;
use html5ever::tree_builder::TreeBuilderOpts;
use html5ever::{ParseOpts, parse_document};
use markup5ever_rcdom::{Handle, NodeData, RcDom};

use crate::Budget;
use crate::text::{defang_url, label_mismatch, url_host};

/// Text rendered from one HTML document.
pub(crate) struct HtmlText {
    pub text: String,
    pub links: usize,
    pub spoofed_links: usize,
}

/// Elements whose content is never shown to a reader of mail.
const DROPPED: &[&str] = &[
    "script", "style", "head", "title", "template", "iframe", "object", "embed", "noembed",
    "noframes", "svg", "math", "input", "select", "canvas", "audio", "video", "source", "track",
    "map", "area", "meta", "link", "base", "applet", "frameset", "frame", "param",
];
const PARAGRAPH_BLOCKS: &[&str] = &[
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "table",
    "dl",
    "figure",
    "address",
    "form",
    "fieldset",
    "hr",
];
const LINE_BLOCKS: &[&str] = &[
    "div",
    "section",
    "article",
    "header",
    "footer",
    "main",
    "nav",
    "aside",
    "center",
    "tr",
    "dt",
    "dd",
    "caption",
    "details",
    "summary",
    "figcaption",
    "legend",
    "body",
    "html",
    "textarea",
    "button",
    "label",
    "option",
    "listing",
    "xmp",
    "plaintext",
];

fn is_hidden(attrs: &[html5ever::Attribute]) -> bool {
    attrs.iter().any(|a| {
        let name = &*a.name.local;
        if name == "hidden" {
            return true;
        }
        if name != "style" {
            return false;
        }
        let style: String = a
            .value
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        let zero = |prop: &str| {
            style.split(';').any(|decl| {
                decl.strip_prefix(prop).is_some_and(|v| {
                    let v = v.trim_end_matches("!important");
                    let num: String = v
                        .chars()
                        .take_while(|c| c.is_ascii_digit() || *c == '.')
                        .collect();
                    !num.is_empty() && num.chars().all(|c| c == '0' || c == '.')
                })
            })
        };
        style.split(';').any(|d| {
            d.starts_with("display:none")
                || d.starts_with("visibility:hidden")
                || d.starts_with("visibility:collapse")
        }) || zero("font-size:")
            || zero("opacity:")
            || (zero("max-height:") && style.contains("overflow:hidden"))
            || (zero("height:") && style.contains("overflow:hidden"))
    })
}

struct Writer {
    out: String,
    pending_space: bool,
    breaks_wanted: usize,
    pre_depth: usize,
    lists: Vec<Option<u32>>,
    cells: Vec<usize>,
    links: usize,
    spoofed: usize,
}

impl Writer {
    fn at_line_start(&self) -> bool {
        self.out.is_empty() || self.out.ends_with('\n')
    }

    fn flush_breaks(&mut self) {
        if self.breaks_wanted > 0 && !self.out.is_empty() {
            let trimmed = self.out.trim_end_matches([' ', '\t']).len();
            self.out.truncate(trimmed);
            let have = self.out.len() - self.out.trim_end_matches('\n').len();
            for _ in have..self.breaks_wanted {
                self.out.push('\n');
            }
        }
        self.breaks_wanted = 0;
    }

    fn block(&mut self, n: usize) {
        self.breaks_wanted = self.breaks_wanted.max(n);
        self.pending_space = false;
    }

    fn line_break(&mut self) {
        self.flush_breaks();
        let trimmed = self.out.trim_end_matches([' ', '\t']).len();
        self.out.truncate(trimmed);
        self.out.push('\n');
        self.pending_space = false;
    }

    fn inline(&mut self, s: &str) {
        self.flush_breaks();
        if self.pending_space && !self.at_line_start() && !self.out.ends_with(' ') {
            self.out.push(' ');
        }
        self.pending_space = false;
        self.out.push_str(s);
    }

    fn text(&mut self, s: &str) {
        if self.pre_depth > 0 {
            self.flush_breaks();
            self.out.push_str(&s.replace("\r\n", "\n"));
            return;
        }
        for word in s.split_inclusive(|c: char| c.is_ascii_whitespace()) {
            let w = word.trim_end_matches(|c: char| c.is_ascii_whitespace());
            if word.starts_with(|c: char| c.is_ascii_whitespace()) && w.is_empty() {
                self.pending_space = true;
                continue;
            }
            if !w.is_empty() {
                self.inline(w);
            }
            if w.len() != word.len() {
                self.pending_space = true;
            }
        }
    }

    fn link(&mut self, label_start: usize, href: &str) {
        let href: String = href
            .chars()
            .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
            .collect();
        let lower = href.to_ascii_lowercase();
        let label = self.out.get(label_start..).unwrap_or("").trim().to_string();
        if lower.starts_with("http://")
            || lower.starts_with("https://")
            || lower.starts_with("ftp://")
        {
            self.links += 1;
            let defanged = defang_url(&href);
            if label.is_empty() || defang_url(&label) != defanged {
                let text = format!("[{defanged}]");
                if label.is_empty() {
                    self.inline(&text);
                } else {
                    self.pending_space = true;
                    self.inline(&text);
                }
            }
            if let Some(host) = url_host(&href)
                && label_mismatch(&label, &host)
            {
                self.spoofed += 1;
                self.pending_space = true;
                self.inline(
                    "[警告: 表示とリンク先が異なります (link text does not match its target)]",
                );
            }
        } else if let Some(addr) = lower.strip_prefix("mailto:") {
            if !label.to_ascii_lowercase().contains(addr) {
                self.pending_space = true;
                let text = format!("[{href}]");
                self.inline(&text);
            }
        } else if ["javascript:", "vbscript:", "data:", "file:"]
            .iter()
            .any(|s| lower.starts_with(s))
        {
            self.pending_space = true;
            self.inline("[危険なリンクを削除 (unsafe link removed)]");
        }
    }
}

enum Step {
    Enter(Handle),
    Exit(Handle, usize),
}

/// Deepest nesting the tree builder is given. Its scope checks walk the stack of open elements,
/// so its work grows with the square of the depth; deeper documents are not converted.
pub(crate) const MAX_HTML_DEPTH: usize = 2048;

/// Elements that never stay open, or that the parser closes by itself when the next one starts.
const NOT_NESTING: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "p", "li", "td", "th", "tr", "dt", "dd", "option", "!doctype",
];

/// An upper estimate of element nesting from the tags alone, without building a tree.
pub(crate) fn estimated_depth(html: &str) -> usize {
    let mut depth = 0usize;
    let mut max = 0usize;
    let b = html.as_bytes();
    let mut i = 0;
    while let Some(p) = b[i..].iter().position(|&c| c == b'<') {
        i += p + 1;
        let closing = b.get(i) == Some(&b'/');
        let start = if closing { i + 1 } else { i };
        let end = b[start..]
            .iter()
            .position(|c| !(c.is_ascii_alphanumeric() || *c == b'!'))
            .map_or(b.len(), |e| start + e);
        if end == start {
            continue;
        }
        let name = html[start..end].to_ascii_lowercase();
        if NOT_NESTING.contains(&name.as_str()) || name.starts_with("!--") {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
        } else {
            let tag_end = b[end..]
                .iter()
                .position(|&c| c == b'>')
                .map_or(b.len(), |e| end + e);
            if tag_end > 0 && b.get(tag_end - 1) == Some(&b'/') {
                continue;
            }
            depth += 1;
            max = max.max(depth);
        }
    }
    max
}

/// Why an HTML document was not converted.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum HtmlFailure {
    /// Nested deeper than [`MAX_HTML_DEPTH`].
    TooDeep,
    /// The caller's budget ran out during the walk.
    OutOfTime,
}

/// Converts an HTML document to readable text, asking `budget` every few thousand nodes.
pub(crate) fn html_to_text(html: &str, budget: &dyn Budget) -> Result<HtmlText, HtmlFailure> {
    if estimated_depth(html) > MAX_HTML_DEPTH {
        return Err(HtmlFailure::TooDeep);
    }
    if budget.exhausted() {
        return Err(HtmlFailure::OutOfTime);
    }
    let opts = ParseOpts {
        tree_builder: TreeBuilderOpts {
            scripting_enabled: false,
            ..Default::default()
        },
        ..Default::default()
    };
    let dom = parse_document(RcDom::default(), opts).one(html);
    let mut w = Writer {
        out: String::new(),
        pending_space: false,
        breaks_wanted: 0,
        pre_depth: 0,
        lists: Vec::new(),
        cells: Vec::new(),
        links: 0,
        spoofed: 0,
    };
    let mut stack = vec![Step::Enter(Rc::clone(&dom.document))];
    let mut steps = 0u32;
    while let Some(step) = stack.pop() {
        steps = steps.wrapping_add(1);
        if steps.is_multiple_of(4096) && budget.exhausted() {
            return Err(HtmlFailure::OutOfTime);
        }
        match step {
            Step::Enter(node) => {
                let mut enter_children = true;
                let mut mark = 0;
                match &node.data {
                    NodeData::Text { contents } => w.text(&contents.borrow()),
                    NodeData::Element { name, attrs, .. } => {
                        let tag = &*name.local;
                        let attrs = attrs.borrow();
                        if DROPPED.contains(&tag) || is_hidden(&attrs) {
                            enter_children = false;
                        } else {
                            mark = enter_element(&mut w, tag, &attrs);
                        }
                    }
                    NodeData::Document => {}
                    _ => enter_children = false,
                }
                if enter_children {
                    stack.push(Step::Exit(Rc::clone(&node), mark));
                    let children = node.children.borrow();
                    for child in children.iter().rev() {
                        stack.push(Step::Enter(Rc::clone(child)));
                    }
                }
            }
            Step::Exit(node, mark) => {
                if let NodeData::Element { name, attrs, .. } = &node.data {
                    exit_element(&mut w, &name.local, &attrs.borrow(), mark);
                }
            }
        }
    }
    let text = tidy(&w.out);
    Ok(HtmlText {
        text,
        links: w.links,
        spoofed_links: w.spoofed,
    })
}

fn attr<'a>(attrs: &'a [html5ever::Attribute], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|a| &*a.name.local == name)
        .map(|a| a.value.as_ref())
}

fn enter_element(w: &mut Writer, tag: &str, attrs: &[html5ever::Attribute]) -> usize {
    match tag {
        "br" => w.line_break(),
        "img" => {
            let alt =
                attr(attrs, "alt").map(|a| a.split_whitespace().collect::<Vec<_>>().join(" "));
            match alt {
                Some(a) if !a.is_empty() => w.inline(&format!("[画像: {a}]")),
                _ => w.inline("[画像]"),
            }
        }
        "ul" | "ol" => {
            w.block(if w.lists.is_empty() { 2 } else { 1 });
            w.lists.push(if tag == "ol" { Some(0) } else { None });
        }
        "li" => {
            w.block(1);
            w.flush_breaks();
            let depth = w.lists.len().max(1);
            let marker = match w.lists.last_mut() {
                Some(Some(n)) => {
                    *n += 1;
                    format!("{n}. ")
                }
                _ => "・".to_string(),
            };
            w.out.push_str(&"  ".repeat(depth - 1));
            w.out.push_str(&marker);
            w.pending_space = false;
        }
        "tr" => {
            w.block(1);
            w.cells.push(0);
        }
        "td" | "th" => {
            if let Some(n) = w.cells.last_mut() {
                *n += 1;
                if *n > 1 {
                    w.pending_space = false;
                    w.inline(" | ");
                }
            }
        }
        "pre" | "listing" | "xmp" | "plaintext" | "textarea" => {
            w.block(2);
            w.pre_depth += 1;
        }
        "hr" => {
            w.block(1);
            w.inline("----");
            w.block(1);
        }
        "a" => {
            w.flush_breaks();
            if w.pending_space && !w.at_line_start() && !w.out.ends_with(' ') {
                w.out.push(' ');
            }
            w.pending_space = false;
            return w.out.len();
        }
        t if PARAGRAPH_BLOCKS.contains(&t) => w.block(2),
        t if LINE_BLOCKS.contains(&t) => w.block(1),
        _ => {}
    }
    0
}

fn exit_element(w: &mut Writer, tag: &str, attrs: &[html5ever::Attribute], mark: usize) {
    match tag {
        "ul" | "ol" => {
            w.lists.pop();
            w.block(if w.lists.is_empty() { 2 } else { 1 });
        }
        "li" => w.block(1),
        "tr" => {
            w.cells.pop();
            w.block(1);
        }
        "pre" | "listing" | "xmp" | "plaintext" | "textarea" => {
            w.pre_depth = w.pre_depth.saturating_sub(1);
            w.block(2);
        }
        "a" => {
            if let Some(href) = attr(attrs, "href") {
                w.link(mark, href);
            }
        }
        t if PARAGRAPH_BLOCKS.contains(&t) => w.block(2),
        t if LINE_BLOCKS.contains(&t) => w.block(1),
        _ => {}
    }
}

/// Trims line ends and collapses runs of blank lines to one.
pub(crate) fn tidy(s: &str) -> String {
    tidy_lines(s, "\n")
}

/// [`tidy`], its lines ended by `eol`.
pub(crate) fn tidy_lines(s: &str, eol: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 16);
    let mut blank = 0;
    for line in s.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(eol);
            if blank > 0 {
                out.push_str(eol);
            }
        }
        blank = 0;
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Unlimited;

    proptest::proptest! {
        #[test]
        fn tidy_lines_end_as_asked(s in "[a-z \t\r\n日]{0,60}") {
            proptest::prop_assert_eq!(tidy_lines(&s, "\r\n"), tidy(&s).replace('\n', "\r\n"));
        }
    }

    #[test]
    fn paragraphs_lists_tables() {
        let t = html_to_text(
            "<p>一行目<br>二行目</p><ul><li>A</li><li>B<ol><li>x</li></ol></li></ul>\
             <table><tr><th>名前</th><th>値</th></tr><tr><td>a</td><td>1</td></tr></table>",
            &Unlimited,
        )
        .unwrap();
        assert_eq!(
            t.text,
            "一行目\n二行目\n\n・A\n・B\n  1. x\n\n名前 | 値\na | 1"
        );
    }

    #[test]
    fn hidden_and_script_dropped() {
        let t = html_to_text(
            "<style>p{}</style><script>alert(1)</script><!-- c --><p>見える</p>\
             <div style='display: none'>隠し</div><span hidden>隠し2</span>\
             <span style='font-size:0px'>ゼロ</span>",
            &Unlimited,
        )
        .unwrap();
        assert_eq!(t.text, "見える");
    }

    #[test]
    fn link_spoof_warns() {
        let t = html_to_text(
            "<a href='https://evil.example/login'>https://www.bank.example.jp/</a>",
            &Unlimited,
        )
        .unwrap();
        assert_eq!(t.spoofed_links, 1);
        assert!(
            t.text.contains("[hxxps://evil[.]example/login]"),
            "{}",
            t.text
        );
        assert!(t.text.contains("警告"));
    }

    #[test]
    fn exhausted_budget_stops_the_walk() {
        let html = "<p>x</p>".repeat(10_000);
        assert_eq!(
            html_to_text(&html, &|| true).err(),
            Some(HtmlFailure::OutOfTime)
        );
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let html = "<div>".repeat(100_000) + "深い" + &"</div>".repeat(100_000);
        assert_eq!(
            html_to_text(&html, &Unlimited).err(),
            Some(HtmlFailure::TooDeep)
        );
        let html = "<div>".repeat(MAX_HTML_DEPTH) + "深い" + &"</div>".repeat(MAX_HTML_DEPTH);
        assert_eq!(html_to_text(&html, &Unlimited).unwrap().text, "深い");
    }

    #[test]
    fn unclosed_cells_do_not_count_as_nesting() {
        let html = "<table>".to_string() + &"<tr><td>a<td>b".repeat(5000) + "</table>";
        assert!(estimated_depth(&html) < 5);
    }
}
