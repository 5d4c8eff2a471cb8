//! Rendering a page, and the error page: what the context layer needs without the page frame.

use askama::Template;
use mamori_core::i18n::Lang;

/// Renders a template; a template that fails to render is a bug, shown as a plain error.
pub fn render<T: Template>(page: &T) -> String {
    page.render().unwrap_or_else(|error| {
        tracing::error!(%error, "template failed");
        "<!doctype html><title>error</title><p>error</p>".to_owned()
    })
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub lang: Lang,
    pub headline: &'static str,
    pub details: Vec<String>,
}

impl ErrorPage {
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        self.lang.t(key)
    }
}
