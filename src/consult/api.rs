//! The consultations' JSON API (personal API tokens): consultations and
//! their documents, questions (read), and a practice's own response.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::service;
use crate::error::{AppError, AppResult};
use crate::time::rfc3339;
use crate::web::AppState;
use crate::web::auth::ApiUser;

fn id_of(raw: &str) -> AppResult<i32> {
    raw.parse().map_err(|_| AppError::NotFound)
}

pub async fn list(state: web::Data<AppState>, user: ApiUser, code: web::Path<String>) -> AppResult<HttpResponse> {
    let grants = user.0.grants();
    let code = code.into_inner();
    let (_, _, consultations) = state.run(move |pool| service::list(pool, &grants, &code)).await?;
    let body: Vec<serde_json::Value> = consultations
        .into_iter()
        .map(|c| json!({"id": c.id, "title": c.title, "state": c.state, "closes_at": rfc3339(c.closes_at), "ballot": c.ballot_id}))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "consultations": body })))
}

pub async fn show(state: web::Data<AppState>, user: ApiUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let grants = user.0.grants();
    let (view, documents) = state
        .run(move |pool| {
            Ok((
                service::view(pool, &grants, id)?,
                service::documents(pool, &grants, id)?,
            ))
        })
        .await?;
    let c = &view.loaded.consultation;
    Ok(HttpResponse::Ok().json(json!({
        "id": c.id,
        "organisation": view.loaded.organisation.ods_code,
        "title": c.title,
        "summary": c.summary,
        "body_markdown": c.body,
        "state": view.loaded.state,
        "options": view.loaded.options,
        "published_at": c.published_at.map(rfc3339),
        "closes_at": rfc3339(c.closes_at),
        "closed_at": c.closed_at.map(rfc3339),
        "ballot": c.ballot_id,
        "documents": documents.iter().map(|d| json!({
            "id": d.id, "file_name": d.file_name, "content_type": d.content_type, "size_bytes": d.size_bytes,
            "sha256": d.sha256, "uploaded_at": rfc3339(d.uploaded_at),
            "url": format!("/consultations/{}/documents/{}", c.id, d.id),
        })).collect::<Vec<_>>(),
    })))
}

/// Answered questions for members; every question for the board and the LMC.
pub async fn questions(state: web::Data<AppState>, user: ApiUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let grants = user.0.grants();
    let view = state.run(move |pool| service::view(pool, &grants, id)).await?;
    let questions: Vec<serde_json::Value> = view
        .questions
        .iter()
        .map(|q| {
            json!({
                "id": q.id, "asked_by": q.asked_by, "question": q.question, "asked_at": rfc3339(q.asked_at),
                "answer": q.answer, "answered_at": q.answered_at.map(rfc3339), "waited_seconds": q.waited.num_seconds(),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "consultation": id, "questions": questions })))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PracticeQuery {
    practice: String,
}

/// `GET …/response?practice=ODS`: the practice's own response.
pub async fn response(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<String>,
    query: web::Query<PracticeQuery>,
) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let practice = query.into_inner().practice.trim().to_ascii_uppercase();
    let grants = user.0.grants();
    let lookup = practice.clone();
    let own = state
        .run(move |pool| {
            let view = service::view(pool, &grants, id)?;
            if !view.may_ask_for.iter().any(|(code, _)| *code == lookup) {
                return Err(AppError::Forbidden(
                    "Only a member practice's own representatives see its response.".into(),
                ));
            }
            service::own_response(pool, id, &lookup)
        })
        .await?;
    let (positions, comment, revision) = own.ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().json(json!({
        "consultation": id, "practice": practice, "positions": positions, "comment": comment, "revision": revision,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseBody {
    practice: String,
    /// One per option, in order: "support", "neutral" or "oppose".
    positions: Vec<String>,
    #[serde(default)]
    comment: String,
}

/// `PUT …/response`: gives or changes the practice's response.
pub async fn put_response(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<String>,
    body: crate::web::json::ApiJson<ResponseBody>,
) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let body = body.into_inner();
    let actor = user.0;
    let revision = state
        .run(move |pool| {
            let positions: Vec<Option<&str>> = body.positions.iter().map(|p| Some(p.as_str())).collect();
            service::respond(pool, &actor, id, &body.practice, &positions, &body.comment)
        })
        .await
        .map_err(|e| match e {
            AppError::Invalid(errors) => AppError::Invalid(
                errors
                    .into_iter()
                    .map(|mut e| {
                        e.field = e.field.replace('-', "_");
                        e
                    })
                    .collect(),
            ),
            other => other,
        })?;
    Ok(HttpResponse::Ok().json(json!({ "consultation": id, "revision": revision })))
}
