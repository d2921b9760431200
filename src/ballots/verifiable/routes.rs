//! The trustees' page of a verifiable ballot: who the trustees are, what
//! each has done, the command each runs next on their own machine, and the
//! uploads. Also the public election record and the ceremony as JSON.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::ceremony::{self, Ceremony, Uploaded};
use crate::ballots::model::BallotState;
use crate::ballots::routes::ballot_id;
use crate::ballots::service::Loaded;
use crate::error::{AppError, AppResult, FieldError};
use crate::web::auth::CurrentUser;
use crate::web::csrf::CsrfForm;
use crate::web::page::Ui;
use crate::web::render::Flash;

/// The largest file a trustee uploads (a national ballot's decryption is
/// a few hundred kilobytes).
pub const MAX_UPLOAD_BYTES: usize = 4 * 1024 * 1024;

pub fn upload_config() -> actix_multipart::form::MultipartFormConfig {
    actix_multipart::form::MultipartFormConfig::default()
        .total_limit(MAX_UPLOAD_BYTES + 64 * 1024)
        .memory_limit(MAX_UPLOAD_BYTES + 64 * 1024)
}

#[derive(Serialize)]
struct TrusteeRow {
    position: u32,
    name: String,
    email: String,
    key: String,
    shares: String,
    decryption: String,
    is_you: bool,
}

#[derive(Serialize)]
struct Step {
    heading: String,
    text: String,
    command: Option<String>,
    download: Option<String>,
}

#[derive(Serialize)]
struct TrusteesPage {
    id: i32,
    title: String,
    organisation: String,
    state: &'static str,
    n: u32,
    threshold: u32,
    trustees: Vec<TrusteeRow>,
    missing: Option<String>,
    may_name: bool,
    addresses: String,
    threshold_field: String,
    step: Option<Step>,
    may_upload: bool,
    published: bool,
    fingerprint: Option<String>,
}

fn when(t: Option<chrono::NaiveDateTime>) -> String {
    t.map_or_else(|| "Not yet".to_owned(), crate::time::date_time)
}

fn next_step(loaded: &Loaded, ceremony: &Ceremony, position: u32) -> Option<Step> {
    let id = loaded.ballot.id;
    let me = ceremony.trustees.iter().find(|t| t.position == position)?;
    let key_file = format!("trustee-{id}-{position}.key");
    if loaded.state == BallotState::Draft && me.key_at.is_none() {
        return Some(Step {
            heading: "1. Make your key".into(),
            text: format!(
                "On your own computer, run the command below. It writes your private key to {key_file}: keep that file safe and private, and do not upload it — you need it to decrypt the result. It prints the public part of the key to key.json: upload that here."
            ),
            command: Some(format!(
                "quorate trustee keygen --ballot {id} --trustee {position} --of {} --threshold {} --out {key_file} > key.json",
                ceremony.n(),
                ceremony.threshold
            )),
            download: None,
        });
    }
    if loaded.state == BallotState::Draft && !ceremony.keys_complete() {
        return Some(Step {
            heading: "2. Wait for the other trustees' keys".into(),
            text: "Your key is in. When every trustee has uploaded theirs, come back to make your shares.".into(),
            command: None,
            download: None,
        });
    }
    if loaded.state == BallotState::Draft && me.shares_at.is_none() {
        return Some(Step {
            heading: "2. Make your shares for the other trustees".into(),
            text: "Download the ceremony file, then run the command below with your key file. It encrypts a share of your key for each other trustee; upload shares.json here.".into(),
            command: Some(format!(
                "quorate trustee shares --key {key_file} --ceremony trustees.json > shares.json"
            )),
            download: Some(format!("/ballots/{id}/trustees.json")),
        });
    }
    if loaded.state == BallotState::Draft {
        return Some(Step {
            heading: "3. Check the shares sent to you".into(),
            text: "When every trustee has uploaded their shares, download the ceremony file and check that the shares addressed to you work with your key (nothing to upload). The ballot can then be published.".into(),
            command: Some(format!("quorate trustee check --key {key_file} --ceremony trustees.json")),
            download: Some(format!("/ballots/{id}/trustees.json")),
        });
    }
    if loaded.state == BallotState::Closed && loaded.ballot.aggregates.is_some() && me.partial_at.is_none() {
        return Some(Step {
            heading: "4. Decrypt the result".into(),
            text: "Download the board, then run the command below with your key file. It checks every paper and the totals itself before decrypting your part of the totals (never a single paper); upload decryption.json here.".into(),
            command: Some(format!(
                "quorate trustee decrypt --key {key_file} --board board.json > decryption.json"
            )),
            download: Some(format!("/ballots/{id}/board.json")),
        });
    }
    None
}

async fn page(
    ui: &Ui,
    user: &CurrentUser,
    id: i32,
    addresses: Option<String>,
    threshold: Option<String>,
) -> AppResult<TrusteesPage> {
    let viewer = (*user.0).clone();
    let (loaded, access, ceremony) = ui
        .state()
        .run(move |pool| ceremony::ceremony(pool, &viewer, id))
        .await?;
    let may_name = access.runs && loaded.state == BallotState::Draft;
    let suggested = if may_name && ceremony.trustees.is_empty() && addresses.is_none() {
        let loaded = loaded.clone();
        ui.state().run(move |pool| ceremony::suggested(pool, &loaded)).await?
    } else {
        Vec::new()
    };
    let position = ceremony.position_of(user.id);
    let step = position.and_then(|p| next_step(&loaded, &ceremony, p));
    let current: Vec<String> = if ceremony.trustees.is_empty() {
        suggested.into_iter().map(|(_, email)| email).collect()
    } else {
        ceremony.trustees.iter().map(|t| t.email.clone()).collect()
    };
    let fingerprint = ceremony::election_of(&loaded).ok().map(|r| r.fingerprint);
    Ok(TrusteesPage {
        id,
        title: loaded.ballot.title.clone(),
        organisation: loaded.organisation.name.clone(),
        state: loaded.state.label(),
        n: ceremony.n(),
        threshold: ceremony.threshold,
        missing: (loaded.state == BallotState::Draft)
            .then(|| ceremony.missing())
            .flatten(),
        trustees: ceremony
            .trustees
            .iter()
            .map(|t| TrusteeRow {
                position: t.position,
                name: t.name.clone(),
                email: t.email.clone(),
                key: when(t.key_at),
                shares: when(t.shares_at),
                decryption: when(t.partial_at),
                is_you: t.user_id == user.id,
            })
            .collect(),
        may_name,
        addresses: addresses.unwrap_or_else(|| current.join("\n")),
        threshold_field: threshold.unwrap_or_else(|| {
            loaded
                .rules
                .trustee_threshold
                .map(|t| t.to_string())
                .unwrap_or_default()
        }),
        may_upload: step
            .as_ref()
            .is_some_and(|s| s.command.is_some() && !s.heading.starts_with("3.")),
        step,
        published: loaded.state != BallotState::Draft,
        fingerprint,
    })
}

const TITLE: &str = "Trustees";

pub async fn show(ui: Ui, user: CurrentUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let page = page(&ui, &user, id, None, None).await?;
    ui.page("ballots/trustees", TITLE, &page)
}

#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    trustees: String,
    #[serde(default)]
    threshold: String,
}

fn threshold_of(text: &str) -> Result<Option<u32>, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<u32>().map(Some).map_err(|_| {
        FieldError::new(
            "trustee-threshold",
            "Enter how many trustees must take part as a whole number, like 2, or leave it empty for all of them",
        )
    })
}

pub async fn name(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: CsrfForm<NameForm>,
) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let form = form.0;
    let outcome = match threshold_of(&form.threshold) {
        Ok(threshold) => {
            let actor = (*user.0).clone();
            let addresses = form.trustees.clone();
            ui.state()
                .run(move |pool| ceremony::name_trustees(pool, &actor, id, &addresses, threshold))
                .await
        }
        Err(e) => Err(AppError::Invalid(vec![e])),
    };
    match outcome {
        Ok(()) => Ok(ui.see_other(
            &format!("/ballots/{id}/trustees"),
            Some(Flash {
                heading: "Trustees named".into(),
                body: Some("Each trustee now makes their key on their own computer; this page shows them how.".into()),
            }),
        )),
        Err(AppError::Invalid(errors)) => {
            let page = page(&ui, &user, id, Some(form.trustees), Some(form.threshold)).await?;
            ui.form_errors(
                StatusCode::UNPROCESSABLE_ENTITY,
                "ballots/trustees",
                TITLE,
                errors,
                &page,
            )
        }
        Err(other) => Err(other),
    }
}

#[derive(actix_multipart::form::MultipartForm)]
pub struct UploadForm {
    #[multipart(rename = "_csrf")]
    csrf: Option<actix_multipart::form::text::Text<String>>,
    file: Option<actix_multipart::form::bytes::Bytes>,
    text: Option<actix_multipart::form::text::Text<String>>,
}

pub async fn upload(
    req: HttpRequest,
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: actix_multipart::form::MultipartForm<UploadForm>,
) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let form = form.into_inner();
    crate::web::csrf::verify(&req, form.csrf.as_ref().map(|t| t.0.as_str()))?;
    let text = match form.file.filter(|f| !f.data.is_empty()) {
        Some(file) => match String::from_utf8(file.data.to_vec()) {
            Ok(text) => text,
            Err(_) => {
                let page = page(&ui, &user, id, None, None).await?;
                return ui.form_errors(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "ballots/trustees",
                    TITLE,
                    vec![FieldError::new(
                        "upload",
                        "The file is not text: choose the .json file the command wrote",
                    )],
                    &page,
                );
            }
        },
        None => form.text.map(|t| t.0).unwrap_or_default(),
    };
    let (actor, outbox) = ((*user.0).clone(), ui.state().outbox.clone());
    match ui
        .state()
        .run(move |pool| ceremony::upload(pool, &outbox, &actor, id, &text))
        .await
    {
        Ok(done) => {
            let (heading, body) = match done {
                Uploaded::Key => ("Your key's public part is in", "It was checked, with its proofs."),
                Uploaded::Shares => ("Your shares are in", "Each is encrypted to the trustee it is for."),
                Uploaded::Decryption { counted: false } => (
                    "Your decryption is in",
                    "It was checked against the totals and your key. The result is counted when enough trustees have decrypted.",
                ),
                Uploaded::Decryption { counted: true } => (
                    "The result is decrypted and counted",
                    "Enough trustees have decrypted: the totals were combined, checked and counted, and the result announced.",
                ),
            };
            Ok(ui.see_other(
                &format!("/ballots/{id}/trustees"),
                Some(Flash {
                    heading: heading.into(),
                    body: Some(body.into()),
                }),
            ))
        }
        Err(AppError::Invalid(errors)) => {
            let page = page(&ui, &user, id, None, None).await?;
            ui.form_errors(
                StatusCode::UNPROCESSABLE_ENTITY,
                "ballots/trustees",
                TITLE,
                errors,
                &page,
            )
        }
        Err(other) => Err(other),
    }
}

/// The ceremony so far, as the command line reads it: every trustee's
/// public part and the encrypted shares.
#[derive(Serialize)]
pub struct CeremonyFile {
    format: &'static str,
    ballot: i32,
    threshold: u32,
    trustees: Vec<crate::crypto::trustees::TrusteePublic>,
    shares: Vec<crate::crypto::trustees::EncryptedShare>,
}

pub const CEREMONY_FORMAT: &str = "quorate-ceremony/1";

pub async fn ceremony_json(ui: Ui, user: CurrentUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let viewer = (*user.0).clone();
    let (_, _, ceremony) = ui
        .state()
        .run(move |pool| ceremony::ceremony(pool, &viewer, id))
        .await?;
    Ok(HttpResponse::Ok().json(CeremonyFile {
        format: CEREMONY_FORMAT,
        ballot: id,
        threshold: ceremony.threshold,
        trustees: ceremony.publics,
        shares: ceremony.shares,
    }))
}

/// `GET /ballots/{id}/election.json`: the election record, public from
/// publication (what `quorate vote` encrypts under).
pub async fn election_json(ui: Ui, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let record = ui
        .state()
        .run(move |pool| {
            let mut conn = pool.get()?;
            let loaded = crate::ballots::service::load(&mut conn, id)?;
            if loaded.state == BallotState::Draft || !loaded.rules.is_verifiable() {
                return Err(AppError::NotFound);
            }
            ceremony::election_of(&loaded)
        })
        .await?;
    Ok(HttpResponse::Ok().json(record))
}
