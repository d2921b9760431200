//! Multipart forms read as a stream, for uploads anyone may send: the size
//! the request declares is checked before its body is read, the CSRF token
//! (the form's first field) before any other field, text fields are
//! bounded, and files go to a temporary file as they arrive instead of
//! into memory. A refused request is answered without reading the rest.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use actix_multipart::{Field, Multipart};
use actix_web::HttpRequest;
use actix_web::http::header;
use futures_util::StreamExt;

use crate::error::AppError;

/// How much one form may hold.
#[derive(Debug, Clone, Copy)]
pub struct UploadLimits {
    /// The whole body, files included.
    pub total_bytes: u64,
    /// Each text field.
    pub text_bytes: usize,
}

/// A file written to the temporary folder as it arrived; removed when
/// dropped.
#[derive(Debug)]
pub struct SpooledFile {
    path: PathBuf,
    pub len: u64,
}

impl SpooledFile {
    fn create() -> std::io::Result<(SpooledFile, std::fs::File)> {
        let path = std::env::temp_dir().join(format!("quorate-upload-{}", crate::token::random_token(16)));
        let file = std::fs::OpenOptions::new().write(true).create_new(true).open(&path)?;
        Ok((SpooledFile { path, len: 0 }, file))
    }

    /// The file as text, or why it is not.
    pub fn text(&self) -> Result<String, String> {
        let bytes = std::fs::read(&self.path).map_err(|e| format!("the file could not be read back ({e})"))?;
        String::from_utf8(bytes).map_err(|_| "the file is not text (UTF-8 JSON)".to_owned())
    }
}

impl Drop for SpooledFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The fields of a form, after its token was checked.
#[derive(Debug, Default)]
pub struct Upload {
    texts: HashMap<String, String>,
    files: HashMap<String, SpooledFile>,
}

impl Upload {
    pub fn text(&self, name: &str) -> Option<&str> {
        self.texts.get(name).map(String::as_str)
    }

    /// A chosen file (an empty file input is no file).
    pub fn file(&self, name: &str) -> Option<&SpooledFile> {
        self.files.get(name).filter(|f| f.len > 0)
    }
}

/// The body size the request declares, if it does.
fn declared_length(req: &HttpRequest) -> Option<u64> {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

fn too_large(limits: &UploadLimits) -> AppError {
    AppError::TooLarge(format!(
        "Files and text together must be smaller than {} MB.",
        limits.total_bytes / 1024 / 1024
    ))
}

fn unreadable(e: impl std::fmt::Display) -> AppError {
    AppError::BadRequest(format!("the form could not be read: {e}"))
}

/// However slowly a sender may send, an upload ends by then (64 MB at
/// 8 Mbit/s takes about 70 seconds), so a slow sender cannot keep a place.
const MOST_TIME: std::time::Duration = std::time::Duration::from_secs(180);

/// Reads a multipart form whose first field is the CSRF token.
pub async fn read(req: &HttpRequest, form: Multipart, limits: UploadLimits) -> Result<Upload, AppError> {
    if declared_length(req).is_some_and(|length| length > limits.total_bytes) {
        return Err(too_large(&limits));
    }
    actix_web::rt::time::timeout(MOST_TIME, read_fields(req, form, limits))
        .await
        .map_err(|_| {
            AppError::BadRequest(format!(
                "the upload took longer than {} minutes; nothing was kept",
                MOST_TIME.as_secs() / 60
            ))
        })?
}

async fn read_fields(req: &HttpRequest, mut form: Multipart, limits: UploadLimits) -> Result<Upload, AppError> {
    let mut total: u64 = 0;
    let mut upload = Upload::default();
    let mut token_checked = false;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(unreadable)?;
        let name = field.name().unwrap_or_default().to_owned();
        if !token_checked {
            // Browsers send fields in the form's order, and ours starts
            // with the token: anything else is refused unread.
            if name != super::csrf::FIELD {
                return Err(AppError::CsrfRejected);
            }
            // A token longer than ours is not ours.
            let token = read_text(&mut field, 256, &mut total, &limits)
                .await
                .map_err(|_| AppError::CsrfRejected)?;
            super::csrf::verify(req, Some(&token))?;
            token_checked = true;
            continue;
        }
        let is_file = field
            .content_disposition()
            .and_then(|disposition| disposition.get_filename())
            .is_some();
        if is_file {
            let file = spool(&mut field, &mut total, &limits).await?;
            upload.files.insert(name, file);
        } else {
            let text = read_text(&mut field, limits.text_bytes, &mut total, &limits).await?;
            if text.contains('\0') {
                return Err(AppError::invalid(
                    &name,
                    format!("{name} contains a NUL character, which is not allowed in text"),
                ));
            }
            upload.texts.insert(name, text);
        }
    }
    if !token_checked {
        return Err(AppError::CsrfRejected);
    }
    Ok(upload)
}

async fn read_text(field: &mut Field, most: usize, total: &mut u64, limits: &UploadLimits) -> Result<String, AppError> {
    let name = field.name().unwrap_or_default().to_owned();
    let mut bytes = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(unreadable)?;
        *total += chunk.len() as u64;
        if *total > limits.total_bytes {
            return Err(too_large(limits));
        }
        if bytes.len() + chunk.len() > most {
            return Err(AppError::TooLarge(format!(
                "The {name} field must be shorter than {} KB: choose a file instead.",
                most / 1024
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| AppError::BadRequest(format!("the {name} field is not UTF-8 text")))
}

async fn spool(field: &mut Field, total: &mut u64, limits: &UploadLimits) -> Result<SpooledFile, AppError> {
    let write_failed = |e: std::io::Error| AppError::Internal(format!("spooling an upload: {e}"));
    let (mut spooled, mut file) = SpooledFile::create().map_err(write_failed)?;
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(unreadable)?;
        *total += chunk.len() as u64;
        if *total > limits.total_bytes {
            return Err(too_large(limits));
        }
        // Chunks are small (tens of kilobytes): a write to the page cache
        // does not hold up the other requests of this thread.
        file.write_all(&chunk).map_err(write_failed)?;
        spooled.len += chunk.len() as u64;
    }
    file.flush().map_err(write_failed)?;
    Ok(spooled)
}
