//! Email templates: for each message a subject, a plain-text body and an
//! HTML body (`templates/email/NAME.{subject,text,html}.hbs`). Subject and
//! text are rendered without HTML escaping, the HTML body with it.

use handlebars::Handlebars;
use rust_embed::RustEmbed;
use serde::Serialize;

#[derive(RustEmbed)]
#[folder = "templates/email/"]
#[include = "*.hbs"]
struct EmailFiles;

pub struct MailTemplates {
    plain: Handlebars<'static>,
    html: Handlebars<'static>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl MailTemplates {
    pub fn load() -> Result<Self, String> {
        let mut plain = Handlebars::new();
        plain.set_strict_mode(true);
        plain.register_escape_fn(handlebars::no_escape);
        let mut html = Handlebars::new();
        html.set_strict_mode(true);
        for name in EmailFiles::iter() {
            let file = EmailFiles::get(&name).ok_or_else(|| format!("email template {name} missing"))?;
            let source = std::str::from_utf8(&file.data).map_err(|e| format!("email template {name}: {e}"))?;
            let key = name.trim_end_matches(".hbs");
            let registry = if key.ends_with(".html") { &mut html } else { &mut plain };
            registry
                .register_template_string(key, source)
                .map_err(|e| format!("email template {name}: {e}"))?;
        }
        Ok(MailTemplates { plain, html })
    }

    pub fn render<T: Serialize>(&self, name: &str, context: &T) -> Result<Rendered, String> {
        let subject = self
            .plain
            .render(&format!("{name}.subject"), context)
            .map_err(|e| format!("email {name} subject: {e}"))?;
        let text = self
            .plain
            .render(&format!("{name}.text"), context)
            .map_err(|e| format!("email {name} text: {e}"))?;
        let html = self
            .html
            .render(&format!("{name}.html"), context)
            .map_err(|e| format!("email {name} HTML: {e}"))?;
        Ok(Rendered {
            subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
            text,
            html,
        })
    }
}
