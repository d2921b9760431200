//! The ballots' JSON API, with the register's tokens and error format.
//! Votes may also be cast with the voting link's token as the bearer.

use actix_session::SessionExt;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDateTime};
use serde::Deserialize;
use serde_json::json;

use super::casting::{self, Credential};
use super::investigation::service as investigation;
use super::model::{BallotOption, RulesInput};
use super::service::{self, DraftRequest, Loaded};
use crate::error::{AppError, AppResult, FieldError};
use crate::time::rfc3339;
use crate::web::AppState;
use crate::web::auth::ApiUser;

/// A time as the API takes it: RFC 3339 with an offset. (Errors name the
/// field as the pages do; `api_field_names` renames them on the way out.)
fn parse_time(field: &str, value: &str, errors: &mut Vec<FieldError>) -> Option<NaiveDateTime> {
    match DateTime::parse_from_rfc3339(value.trim()) {
        Ok(t) => Some(t.naive_utc()),
        Err(_) => {
            errors.push(FieldError::new(
                field,
                format!(
                    "{} must be a time in RFC 3339 form, like 2027-01-09T17:00:00Z, not \"{value}\"",
                    field.replace('-', "_")
                ),
            ));
            None
        }
    }
}

/// The API names fields as its JSON does (`opens_at`), the pages as ids.
fn api_field_names(e: AppError) -> AppError {
    match e {
        AppError::Invalid(errors) => AppError::Invalid(
            errors
                .into_iter()
                .map(|mut error| {
                    error.field = error.field.replace('-', "_");
                    error
                })
                .collect(),
        ),
        other => other,
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionBody {
    key: String,
    label: String,
    #[serde(default)]
    description: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallotBody {
    kind: String,
    title: String,
    question: String,
    #[serde(default)]
    papers: String,
    #[serde(default)]
    current_text: String,
    #[serde(default)]
    proposed_text: String,
    #[serde(default)]
    motion_kind: String,
    #[serde(default)]
    motion_subject: String,
    options: Option<Vec<OptionBody>>,
    opens_at: String,
    closes_at: String,
    #[serde(default)]
    rules: RulesInput,
    /// "2015-01-09": an external deadline the result is needed for.
    #[serde(default)]
    deadline: Option<String>,
    #[serde(default)]
    deadline_label: String,
}

impl BallotBody {
    fn into_request(self) -> DraftRequest {
        let mut edge_errors = Vec::new();
        let opens_at = parse_time("opens-at", &self.opens_at, &mut edge_errors);
        let closes_at = parse_time("closes-at", &self.closes_at, &mut edge_errors);
        let deadline = self.deadline.as_deref().and_then(|text| {
            chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                .map_err(|_| {
                    edge_errors.push(FieldError::new(
                        "deadline",
                        format!("deadline must be a date like 2015-01-09, not \"{text}\""),
                    ))
                })
                .ok()
        });
        DraftRequest {
            kind: self.kind,
            title: self.title,
            question: self.question,
            papers: self.papers,
            current_text: self.current_text,
            proposed_text: self.proposed_text,
            motion_kind: self.motion_kind,
            motion_subject: self.motion_subject,
            options: self.options.map(|options| {
                options
                    .into_iter()
                    .map(|o| BallotOption {
                        key: o.key,
                        label: o.label,
                        description: o.description,
                    })
                    .collect()
            }),
            opens_at,
            closes_at,
            rules: self.rules,
            deadline,
            deadline_label: self.deadline_label,
            edge_errors,
            candidates_from_nominations: false,
        }
    }
}

pub fn ballot_json(loaded: &Loaded) -> serde_json::Value {
    let b = &loaded.ballot;
    let time = |t: Option<NaiveDateTime>| t.map(rfc3339);
    json!({
        "id": b.id,
        "organisation": loaded.organisation.ods_code,
        "kind": loaded.kind,
        "title": b.title,
        "question": b.question,
        "papers": b.papers,
        "current_text": b.current_text,
        "proposed_text": b.proposed_text,
        "motion_kind": b.motion_kind,
        "motion_subject": b.motion_subject,
        "state": loaded.state,
        "options": loaded.options.iter().map(|o| json!({
            "key": o.option_key, "label": o.label, "description": o.description,
        })).collect::<Vec<_>>(),
        "rules": loaded.rules,
        "opens_at": rfc3339(b.opens_at),
        "closes_at": rfc3339(b.closes_at),
        "original_closes_at": time(b.original_closes_at),
        "extension_reason": b.extension_reason,
        "published_at": time(b.published_at),
        "opened_at": time(b.opened_at),
        "closed_at": time(b.closed_at),
        "counted_at": time(b.counted_at),
        "cancelled_at": time(b.cancelled_at),
        "cancel_reason": b.cancel_reason,
        "electorate_digest": b.electorate_digest,
        "deadline": loaded.rules.deadline.map(|d| d.to_string()),
        "deadline_label": loaded.rules.deadline_label,
        "suspended": loaded.suspension().map(|s| json!({
            "since": rfc3339(s.suspended_at), "reason": s.reason,
        })),
        "suspensions": loaded.interruptions.suspensions.iter().map(|s| json!({
            "suspended_at": rfc3339(s.suspended_at), "reason": s.reason,
            "closes_at_before": rfc3339(s.closes_at_before),
            "resumed_at": time(s.resumed_at), "closes_at_after": time(s.closes_at_after),
            "short_reason": s.short_reason,
        })).collect::<Vec<_>>(),
        "void": loaded.interruptions.void.as_ref().map(|v| json!({
            "voided_at": rfc3339(v.voided_at), "reason": v.reason, "rerun_ballot_id": v.rerun_ballot_id,
        })),
        "rerun_of": loaded.interruptions.rerun_of.as_ref().map(|v| json!({
            "ballot_id": v.ballot_id, "voided_at": rfc3339(v.voided_at), "reason": v.reason,
        })),
    })
}

fn path_id(raw: &str) -> AppResult<i32> {
    raw.parse().map_err(|_| AppError::NotFound)
}

pub async fn create(
    state: web::Data<AppState>,
    user: ApiUser,
    code: web::Path<String>,
    body: crate::web::json::ApiJson<BallotBody>,
) -> AppResult<HttpResponse> {
    let request = body.into_inner().into_request();
    let actor = user.0;
    let code = code.into_inner();
    let (id, loaded) = state
        .run(move |pool| {
            let id = service::create_draft(pool, &actor, &code, &request)?;
            let mut conn = pool.get()?;
            Ok((id, service::load(&mut conn, id)?))
        })
        .await
        .map_err(api_field_names)?;
    Ok(HttpResponse::Created()
        .insert_header((actix_web::http::header::LOCATION, format!("/api/v1/ballots/{id}")))
        .json(ballot_json(&loaded)))
}

pub async fn list(state: web::Data<AppState>, user: ApiUser, code: web::Path<String>) -> AppResult<HttpResponse> {
    let grants = user.0.grants();
    let code = code.into_inner();
    let (_, _, ballots) = state.run(move |pool| service::list(pool, &grants, &code)).await?;
    let body: Vec<serde_json::Value> = ballots
        .into_iter()
        .map(|b| {
            json!({
                "id": b.id, "title": b.title, "kind": b.kind, "state": b.state,
                "opens_at": rfc3339(b.opens_at), "closes_at": rfc3339(b.closes_at),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "ballots": body })))
}

pub async fn show(state: web::Data<AppState>, user: ApiUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    let grants = user.0.grants();
    let (loaded, access) = state
        .run(move |pool| {
            let mut conn = pool.get()?;
            service::visible(&mut conn, &grants, id)
        })
        .await?;
    let mut body = ballot_json(&loaded);
    if access.oversees() {
        let progress = {
            let loaded = loaded.clone();
            state.run(move |pool| service::progress(pool, &loaded)).await?
        };
        body["turnout"] = json!({"electorate": progress.electors, "voted": progress.voted});
        body["deliveries"] = json!(progress.deliveries);
    }
    Ok(HttpResponse::Ok().json(body))
}

pub async fn update(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<String>,
    body: crate::web::json::ApiJson<BallotBody>,
) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    let request = body.into_inner().into_request();
    let actor = user.0;
    let loaded = state
        .run(move |pool| {
            service::update_draft(pool, &actor, id, &request)?;
            let mut conn = pool.get()?;
            service::load(&mut conn, id)
        })
        .await
        .map_err(api_field_names)?;
    Ok(HttpResponse::Ok().json(ballot_json(&loaded)))
}

/// `POST /api/v1/ballots/{id}/{action}`: publish, open, close, cancel, extend.
pub async fn transition(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(String, String)>,
    body: crate::web::json::OptionalApiJson<TransitionBody>,
) -> AppResult<HttpResponse> {
    let (id, action) = path.into_inner();
    let id = path_id(&id)?;
    let body = body.into_inner_or_default();
    let actor = user.0;
    let outbox = state.outbox.clone();
    let mut extra = serde_json::Map::new();
    match action.as_str() {
        "publish" => {
            let confirmed = body.practices_without_representative.unwrap_or_default();
            let published = state
                .run(move |pool| service::publish(pool, &outbox, &actor, id, &confirmed))
                .await;
            let published = published.map_err(|e| match api_field_names(e) {
                AppError::Invalid(mut errors) => {
                    for error in &mut errors {
                        if error.field == "confirm_unrepresented" {
                            error.field = "practices_without_representative".into();
                        }
                    }
                    AppError::Invalid(errors)
                }
                other => other,
            })?;
            extra.insert("electorate".into(), json!(published.electors));
            extra.insert("total_weight".into(), json!(published.total_weight));
            extra.insert("notices".into(), json!(published.notices));
            extra.insert(
                "practices_without_representative".into(),
                json!(published.without_representative),
            );
            if let Some((at_risk, words)) = &published.privacy {
                extra.insert(
                    "weight_privacy".into(),
                    json!({"practices_at_risk": at_risk, "explanation": words}),
                );
            }
        }
        "open" => state.run(move |pool| service::open(pool, &actor, id)).await?,
        "close" => {
            let reason = body.reason.unwrap_or_default();
            state
                .run(move |pool| service::close(pool, &outbox, &actor, id, &reason))
                .await
                .map_err(api_field_names)?
        }
        "cancel" => {
            let reason = body.reason.unwrap_or_default();
            state
                .run(move |pool| service::cancel(pool, &actor, id, &reason))
                .await?
        }
        "extend" => {
            let new_close = new_close(&body)?;
            let reason = body.reason.unwrap_or_default();
            state
                .run(move |pool| service::extend(pool, &outbox, &actor, id, new_close, &reason))
                .await
                .map_err(api_field_names)?
        }
        "suspend" => {
            let reason = body.reason.unwrap_or_default();
            state
                .run(move |pool| investigation::suspend(pool, &outbox, &actor, id, &reason))
                .await?
        }
        "resume" => {
            let new_close = new_close(&body)?;
            let reason = body.reason.unwrap_or_default();
            state
                .run(move |pool| investigation::resume(pool, &outbox, &actor, id, new_close, &reason))
                .await
                .map_err(|e| match api_field_names(e) {
                    // The page's second box is the body's `reason`.
                    AppError::Invalid(errors) => AppError::Invalid(
                        errors
                            .into_iter()
                            .map(|mut error| {
                                if error.field == "short_reason" {
                                    error.field = "reason".into();
                                }
                                error
                            })
                            .collect(),
                    ),
                    other => other,
                })?
        }
        "void" => {
            let reason = body.reason.unwrap_or_default();
            let rerun = body.rerun.unwrap_or(true);
            let voided = state
                .run(move |pool| investigation::void(pool, &outbox, &actor, id, &reason, rerun))
                .await?;
            extra.insert("rerun_ballot_id".into(), json!(voided.rerun));
        }
        _ => return Err(AppError::NotFound),
    }
    let grants_user = state.run(move |pool| {
        let mut conn = pool.get()?;
        service::load(&mut conn, id)
    });
    let loaded = grants_user.await?;
    let mut body = ballot_json(&loaded);
    if let Some(map) = body.as_object_mut() {
        map.extend(extra);
    }
    Ok(HttpResponse::Ok().json(body))
}

/// The body's `closes_at`, if given and a time.
fn new_close(body: &TransitionBody) -> AppResult<Option<NaiveDateTime>> {
    let mut errors = Vec::new();
    let new_close = body
        .closes_at
        .as_deref()
        .and_then(|t| parse_time("closes-at", t, &mut errors));
    if errors.is_empty() {
        Ok(new_close)
    } else {
        Err(api_field_names(AppError::Invalid(errors)))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionBody {
    reason: Option<String>,
    closes_at: Option<String>,
    /// Voiding: whether to create the re-run as a draft (default yes).
    rerun: Option<bool>,
    /// Publishing: the practices without a nominated representative (ODS
    /// codes) the caller accepts will not be told; must match exactly.
    #[serde(default, deserialize_with = "crate::web::json::present")]
    practices_without_representative: Option<Vec<String>>,
}

pub async fn electorate(state: web::Data<AppState>, user: ApiUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    let grants = user.0.grants();
    let (loaded, electors) = state.run(move |pool| service::electorate(pool, &grants, id)).await?;
    let rows: Vec<serde_json::Value> = electors
        .into_iter()
        .map(|e| {
            json!({
                "practice": e.code, "name": e.name, "weight": e.weight, "list_size": e.list_size,
                "constituency": e.constituency, "has_representative": e.has_representative,
                "voted": e.voted_at.is_some(),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "ballot": loaded.ballot.id,
        "electorate_digest": loaded.ballot.electorate_digest,
        "practices": rows,
    })))
}

/// `{"option": "…"}`, for an election `{"ranking": ["…", "…"]}` (the
/// candidates' keys, first preference first), or for a verifiable ballot a
/// paper encrypted by the voter: `{"paper": {…}}`, or the file `quorate
/// vote` wrote, as it is.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteBody {
    option: Option<String>,
    ranking: Option<Vec<String>>,
    /// The practice's ODS code, when the representative has several.
    practice: Option<String>,
    paper: Option<crate::crypto::paper::EncryptedPaper>,
    format: Option<String>,
    ballot: Option<i32>,
}

impl VoteBody {
    fn choice(self, id: i32) -> AppResult<(casting::Choice, Option<String>)> {
        if let Some(format) = &self.format {
            if format != super::verifiable::model::PAPER_FORMAT || self.ballot != Some(id) {
                return Err(AppError::invalid(
                    "format",
                    format!("This is not an encrypted paper for ballot {id}"),
                ));
            }
        }
        match (self.option, self.ranking, self.paper) {
            (Some(option), None, None) => Ok((casting::Choice::Option(option), self.practice)),
            (None, Some(ranking), None) => Ok((casting::Choice::Ranking(ranking), self.practice)),
            (None, None, Some(paper)) => Ok((casting::Choice::Paper(Box::new(paper)), self.practice)),
            (None, None, None) => Err(AppError::invalid("option", "Choose an option")),
            _ => Err(AppError::invalid(
                "paper",
                "Send one of an option, a ranking or an encrypted paper, not more",
            )),
        }
    }
}

/// The credential of a vote request: a voting link's token or a personal
/// API token as the bearer, or a representative's session.
async fn vote_credential(req: &HttpRequest, state: &web::Data<AppState>) -> AppResult<Credential> {
    let bearer = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned());
    match bearer {
        Some(token) if token.starts_with(crate::accounts::service::API_TOKEN_PREFIX) => {
            let user = state
                .run(move |pool| crate::accounts::service::api_user(pool, &token))
                .await?;
            user.map(Credential::Api).ok_or(AppError::LoginRequired)
        }
        Some(token) => Ok(Credential::Link(token)),
        None => {
            // A session is accepted only for a same-site JSON request: a
            // form on another site can send neither.
            let cross_site = req
                .headers()
                .get("sec-fetch-site")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case("cross-site"));
            let user = if cross_site {
                None
            } else {
                let _ = req.get_session();
                crate::web::auth::MaybeUser::extract(req).await?.0
            };
            user.map(|u| Credential::SignedIn((*u).clone()))
                .ok_or(AppError::LoginRequired)
        }
    }
}

pub async fn vote(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: crate::web::json::ApiJson<VoteBody>,
) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    let credential = vote_credential(&req, &state).await?;
    let (choice, practice) = body.into_inner().choice(id)?;
    let (lookup, code) = (credential.clone(), practice.clone());
    let prepared = state
        .run(move |pool| casting::prepare_choice(pool, &lookup, Some(id), code.as_deref(), choice))
        .await;
    let receipt = match prepared {
        Ok(prepared) => state.votes.submit(prepared).await,
        Err(e) => Err(e),
    };
    let receipt = match receipt {
        Ok(receipt) => receipt,
        Err(AppError::Conflict(why)) => {
            let recorded = state
                .run(move |pool| super::recorded::recorded_vote(pool, &credential, Some(id), practice.as_deref()))
                .await
                .ok()
                .flatten();
            return Err(AppError::Conflict(
                recorded.map_or(why, |vote| already_recorded(id, &vote)),
            ));
        }
        Err(e) => return Err(e),
    };
    Ok(HttpResponse::Created().json(json!({
        "receipt": receipt.code,
        "ballot": receipt.ballot_id,
        "practice": receipt.practice_name,
        "changed": receipt.changed,
        "cast_at": rfc3339(receipt.cast_at),
    })))
}

/// Why a second vote is refused: the first one stands, and where its
/// receipt went.
fn already_recorded(id: i32, vote: &super::recorded::RecordedVote) -> String {
    let receipt = match &vote.receipt {
        Some(receipt) => format!(
            " Its receipt was emailed to {} ({}); POST /api/v1/ballots/{id}/receipt sends it again to their own address.",
            receipt.to_name,
            receipt.state.label().to_lowercase()
        ),
        None => String::new(),
    };
    format!(
        "{} has already voted in this ballot: its vote was recorded at {} and stands.{receipt}",
        vote.practice_name,
        rfc3339(vote.voted_at)
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReceiptBody {
    /// The practice's ODS code, when the representative has several.
    practice: Option<String>,
}

/// `POST /api/v1/ballots/{id}/receipt`: sends the practice's receipt
/// again to the representative's own address.
pub async fn resend_receipt(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: crate::web::json::OptionalApiJson<ReceiptBody>,
) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    let credential = vote_credential(&req, &state).await?;
    let practice = body.into_inner_or_default().practice;
    let outbox = state.outbox.clone();
    let sent = state
        .run(move |pool| super::recorded::resend_receipt(pool, &outbox, &credential, Some(id), practice.as_deref()))
        .await?;
    Ok(HttpResponse::Accepted().json(json!({
        "ballot": id,
        "to": sent.to_name,
        "queued_at": rfc3339(sent.queued_at),
        "next_resend_at": sent.next_resend_at.map(rfc3339),
    })))
}

pub async fn results(state: web::Data<AppState>, user: ApiUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    let grants = user.0.grants();
    let results = state.run(move |pool| service::results(pool, &grants, id)).await?;
    Ok(HttpResponse::Ok().json(results_json(&results)))
}

pub fn results_json(results: &service::Results) -> serde_json::Value {
    let count_json = |count: &super::rules::Count| {
        json!({
            "options": count.tally.options.iter().map(|(key, votes)| json!({
                "key": key, "label": results.loaded.option_label(key),
                "practices": votes.practices, "weight": votes.weight,
            })).collect::<Vec<_>>(),
            "turnout": count.tally.turnout(),
            "electorate": count.electorate,
            "quorum_met": count.quorum_met,
            "outcome": count.outcome,
            "in_words": super::words::count_sentence(&results.loaded, count),
        })
    };
    json!({
        "ballot": results.loaded.ballot.id,
        "outcome": results.result.outcome,
        "in_words": super::words::outcome_sentence(&results.loaded, &results.result),
        "overall": count_json(&results.result.overall),
        "constituencies": results.result.constituencies.iter().map(|(name, count)| {
            let mut value = count_json(count);
            value["name"] = json!(name);
            value
        }).collect::<Vec<_>>(),
        "voters": results.voters.as_ref().map(|voters| voters.iter().map(|(code, name, _)| json!({
            "practice": code, "name": name,
        })).collect::<Vec<_>>()),
        "recorded_votes": results.recorded.as_ref().map(|votes| votes.iter().map(|(code, name, option, _)| json!({
            "practice": code, "name": name, "option": option,
        })).collect::<Vec<_>>()),
        "stv": results.result.stv,
    })
}

/// `GET /api/v1/openapi.json`: the whole API, described.
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(include_str!("../web/openapi.json"))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrusteesBody {
    trustees: Vec<String>,
    threshold: Option<u32>,
}

/// `PUT /api/v1/ballots/{id}/trustees`: names a draft's trustees.
pub async fn put_trustees(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<String>,
    body: crate::web::json::ApiJson<TrusteesBody>,
) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    let body = body.into_inner();
    let actor = user.0.clone();
    let addresses = body.trustees.join("\n");
    state
        .run(move |pool| super::verifiable::ceremony::name_trustees(pool, &actor, id, &addresses, body.threshold))
        .await?;
    trustees_json(&state, user.0, id).await
}

async fn trustees_json(
    state: &web::Data<AppState>,
    viewer: crate::accounts::service::SessionUser,
    id: i32,
) -> AppResult<HttpResponse> {
    let (loaded, _, ceremony) = state
        .run(move |pool| super::verifiable::ceremony::ceremony(pool, &viewer, id))
        .await?;
    Ok(HttpResponse::Ok().json(json!({
        "format": super::verifiable::routes::CEREMONY_FORMAT,
        "ballot": id,
        "state": loaded.state.as_str(),
        "threshold": ceremony.threshold,
        "trustees": ceremony.publics,
        "shares": ceremony.shares,
        "people": ceremony.trustees.iter().map(|t| json!({
            "trustee": t.position,
            "name": t.name,
            "email": t.email,
            "key_at": t.key_at.map(rfc3339),
            "shares_at": t.shares_at.map(rfc3339),
            "decryption_at": t.partial_at.map(rfc3339),
        })).collect::<Vec<_>>(),
        "missing": ceremony.missing(),
    })))
}

/// `GET /api/v1/ballots/{id}/trustees`: the ceremony, as `quorate trustee` reads it.
pub async fn get_trustees(state: web::Data<AppState>, user: ApiUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    trustees_json(&state, user.0, id).await
}

/// `POST /api/v1/ballots/{id}/trustees/upload`: a file `quorate trustee`
/// wrote (the public part of a key, shares, or a partial decryption), as
/// the body.
pub async fn upload_trustee_file(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<String>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    let text =
        String::from_utf8(body.to_vec()).map_err(|_| AppError::BadRequest("the body is not UTF-8 JSON".into()))?;
    let (actor, outbox) = (user.0, state.outbox.clone());
    let uploaded = state
        .run(move |pool| super::verifiable::ceremony::upload(pool, &outbox, &actor, id, &text))
        .await?;
    use super::verifiable::ceremony::Uploaded;
    Ok(HttpResponse::Ok().json(json!({
        "uploaded": match uploaded {
            Uploaded::Key => "key",
            Uploaded::Shares => "shares",
            Uploaded::Decryption { .. } => "decryption",
        },
        "counted": matches!(uploaded, Uploaded::Decryption { counted: true }),
    })))
}

/// `GET /api/v1/ballots/{id}/election`: the election record (public once published).
pub async fn election(state: web::Data<AppState>, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    let record = state
        .run(move |pool| {
            let mut conn = pool.get()?;
            let loaded = super::service::load(&mut conn, id)?;
            if loaded.state == super::model::BallotState::Draft || !loaded.rules.is_verifiable() {
                return Err(AppError::NotFound);
            }
            super::verifiable::ceremony::election_of(&loaded)
        })
        .await?;
    Ok(HttpResponse::Ok().json(record))
}
