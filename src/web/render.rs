//! Handlebars templates (embedded in the binary, strict mode) and the page
//! context every page shares: layout, navigation, CSRF token, flash, errors.

use handlebars::Handlebars;
use rust_embed::RustEmbed;
use serde::Serialize;
use serde_json::json;

use crate::error::FieldError;

#[derive(RustEmbed)]
#[folder = "templates/"]
#[include = "*.hbs"]
#[exclude = "email/*"]
struct TemplateFiles;

pub type Templates = Handlebars<'static>;

pub fn load_templates() -> Result<Templates, String> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.set_dev_mode(false);
    hb.register_embed_templates_with_extension::<TemplateFiles>(".hbs")
        .map_err(|e| format!("template: {e}"))?;
    hb.register_helper("error_for", Box::new(error_for_helper));
    Ok(hb)
}

/// A navigation link in the header.
#[derive(Debug, Clone, Serialize)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// The banner shown once after a redirect ("Vote cast", "You have logged out").
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Flash {
    pub heading: String,
    pub body: Option<String>,
}

/// Who is looking at the page, for the header.
#[derive(Debug, Clone, Serialize)]
pub struct Viewer {
    pub name: String,
    pub roles: Vec<String>,
}

/// Everything the layout needs besides the page's own data.
#[derive(Debug, Clone, Serialize)]
pub struct Layout {
    pub title: String,
    pub csrf: String,
    pub viewer: Option<Viewer>,
    pub nav: Vec<NavItem>,
    pub flash: Option<Flash>,
    pub errors: Vec<FieldError>,
    pub nhs_branding: bool,
    pub operator_name: String,
}

pub fn render<T: Serialize>(
    templates: &Templates,
    template: &str,
    layout: &Layout,
    page: &T,
) -> Result<String, String> {
    let context = json!({
        "layout": layout,
        "page": page,
        "errors": &layout.errors,
        "has_errors": !layout.errors.is_empty(),
    });
    templates
        .render(template, &context)
        .map_err(|e| format!("rendering {template}: {e}"))
}

// `(error_for errors "email")`: the message for one field, or null.
handlebars::handlebars_helper!(error_for_helper: |errors: array, field: str| {
    errors
        .iter()
        .find(|e| e.get("field").and_then(|f| f.as_str()) == Some(field))
        .and_then(|e| e.get("message").cloned())
        .unwrap_or(serde_json::Value::Null)
});

/// A QR code as inline SVG (empty if the text is too long for one).
pub fn qr_svg(text: &str) -> String {
    let Ok(code) = qrcode::QrCode::new(text.as_bytes()) else {
        return String::new();
    };
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(160, 160)
        .quiet_zone(true)
        .build();
    // Inline SVG does not want an XML declaration.
    match svg.split_once("?>") {
        Some((_, rest)) => rest.trim().to_owned(),
        None => svg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        let hb = load_templates().expect("templates load");
        for name in ["layout", "home", "accounts/login", "accounts/setup", "errors/page"] {
            assert!(hb.has_template(name), "{name} missing");
        }
    }
}
