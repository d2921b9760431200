//! Committees' JSON API (personal API tokens): an organisation's
//! committees, a committee's terms of reference and members, a meeting
//! with its items, declarations, quorum per item and decisions; and, for
//! the secretary, recording a declaration or a decision. What a token sees
//! is what its holder sees on the pages: the public part, or all of it.

use std::collections::{BTreeMap, HashMap};

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::model::Exclusion;
use super::service::{self, ItemDeclarationForm, MeetingView};
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
    let (organisation, committees, _) = state.run(move |pool| service::committees(pool, &grants, &code)).await?;
    Ok(HttpResponse::Ok().json(json!({
        "organisation": organisation.ods_code,
        "committees": committees.iter().map(|c| json!({"id": c.id, "name": c.name})).collect::<Vec<_>>(),
    })))
}

pub async fn show(state: web::Data<AppState>, user: ApiUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let grants = user.0.grants();
    let user_id = user.0.id;
    let view = state
        .run(move |pool| service::committee_view(pool, &grants, Some(user_id), id))
        .await?;
    let t = &view.terms;
    Ok(HttpResponse::Ok().json(json!({
        "id": view.committee.id,
        "organisation": view.organisation.ods_code,
        "name": view.committee.name,
        "terms": {
            "quorum": {
                "share": format!("{}/{}", t.quorum.share.numerator, t.quorum.share.denominator),
                "including": t.quorum.including.iter().map(|r| json!({
                    "roles": r.roles.iter().map(|role| role.key()).collect::<Vec<_>>(),
                    "at_least": r.at_least,
                })).collect::<Vec<_>>(),
                "words": t.quorum.words(),
            },
            "casting_vote": t.casting_vote,
            "withhold_papers_from_conflicted": t.withhold_papers_from_conflicted,
        },
        "members": t.members.iter().map(|m| json!({
            "person": m.id, "name": m.name, "role": m.role.key(), "voting": m.voting, "substitute_for": m.substitute_for,
        })).collect::<Vec<_>>(),
        "meetings": view.meetings.iter().map(|m| json!({
            "id": m.id, "title": m.title, "starts_at": rfc3339(m.starts_at), "url": format!("/meetings/{}", m.id),
        })).collect::<Vec<_>>(),
    })))
}

fn meeting_json(view: &MeetingView) -> Value {
    let m = &view.meeting;
    let minutes_visible = m.minutes_published_at.is_some() || view.access.sees_all;
    json!({
        "id": m.id,
        "committee": view.committee.id,
        "organisation": view.organisation.ods_code,
        "title": m.title,
        "starts_at": rfc3339(m.starts_at),
        "location": m.location,
        "noticed_at": m.noticed_at.map(rfc3339),
        "part": if view.access.sees_all { "all" } else { "public" },
        "attendance": view.attendance.iter().map(|(person, a)| json!({"person": person, "attendance": a.key()})).collect::<Vec<_>>(),
        "items": view.items.iter().map(|item| {
            let q = &item.voters.quorum;
            json!({
                "id": item.row.id,
                "position": item.row.position,
                "title": item.row.title,
                "description": item.row.description,
                "private": item.row.private,
                "subjects": item.subjects,
                "motion": item.row.motion,
                "status": item.row.status,
                "result": item.row.result,
                "declarations": item.declarations.iter().map(|(person, interest, withheld, action)| json!({
                    "person": person,
                    "interest": if *withheld && !view.access.administers { service::WITHHELD } else { interest.as_str() },
                    "action": action.key(),
                })).collect::<Vec<_>>(),
                "quorum": {
                    "voting_members": q.voting_members,
                    "needed": q.needed,
                    "counted": q.counted,
                    "missing": q.missing,
                    "quorate": q.quorate(),
                    "words": q.words(),
                },
                "voters": item.voters.voters.iter().map(|id| json!({
                    "person": id, "substituting_for": item.voters.standing_in.get(id),
                })).collect::<Vec<_>>(),
                "not_voting": item.voters.excluded.iter().filter_map(|(id, why)| match why {
                    Exclusion::Conflict(action) => Some(json!({"person": id, "action": action.key()})),
                    Exclusion::Unsubstituted => Some(json!({"person": id, "action": "substituted", "substitute_available": false})),
                    Exclusion::NonVoting => None,
                }).collect::<Vec<_>>(),
                "votes": item.votes.iter().map(|(person, vote)| json!({"person": person, "vote": vote.key()})).collect::<Vec<_>>(),
                "casting_vote": item.casting.map(|(person, vote)| json!({"person": person, "vote": vote.key()})),
                // A conflicted member is not given the papers' addresses.
                "papers_withheld": view.papers_withheld.contains(&item.row.id),
                "papers": item.papers.iter().filter(|_| !view.papers_withheld.contains(&item.row.id)).map(|p| json!({
                    "id": p.id, "file_name": p.file_name, "size_bytes": p.size_bytes,
                    "url": format!("/meetings/{}/items/{}/papers/{}", m.id, item.row.id, p.id),
                })).collect::<Vec<_>>(),
            })
        }).collect::<Vec<_>>(),
        "minutes": {
            "drafted": m.minutes.is_some(),
            "approved_at": m.minutes_approved_at.map(rfc3339),
            "approved_by_meeting": m.minutes_approved_by,
            "published_at": m.minutes_published_at.map(rfc3339),
            "text": if minutes_visible { m.minutes.clone() } else { None },
        },
    })
}

pub async fn meeting(state: web::Data<AppState>, user: ApiUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let grants = user.0.grants();
    let user_id = user.0.id;
    let view = state
        .run(move |pool| service::meeting_view(pool, &grants, Some(user_id), id))
        .await?;
    Ok(HttpResponse::Ok().json(meeting_json(&view)))
}

/// A declaration for an item: the member, one of their interests on the
/// register (or none, with the new interest described), and the action.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclarationBody {
    person: i32,
    #[serde(default)]
    interest: Option<i32>,
    action: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    counterparty: String,
    #[serde(default)]
    description: String,
}

pub async fn declare(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(String, String)>,
    body: web::Json<DeclarationBody>,
) -> AppResult<HttpResponse> {
    let (id, item) = path.into_inner();
    let (id, item) = (id_of(&id)?, id_of(&item)?);
    let body = body.into_inner();
    let form = ItemDeclarationForm {
        person: body.person.to_string(),
        interest: body.interest.map_or_else(|| "new".to_owned(), |i| i.to_string()),
        category: body.category,
        kind: body.kind,
        counterparty: body.counterparty,
        description: body.description,
        action: body.action,
    };
    let actor = user.0;
    let view = state
        .run(move |pool| {
            service::declare_for_item(pool, &actor, id, item, &form)?;
            service::meeting_view(pool, &actor.grants(), Some(actor.id), id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(meeting_json(&view)))
}

/// A decision on an item: voted on (with every eligible member's vote, the
/// proposer and seconder, and the casting vote on a tie), noted or
/// deferred.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    outcome: String,
    #[serde(default)]
    proposer: Option<i32>,
    #[serde(default)]
    seconder: Option<i32>,
    /// Person id → "for", "against" or "abstain".
    #[serde(default)]
    votes: BTreeMap<String, String>,
    #[serde(default)]
    casting: Option<String>,
}

pub async fn decide(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(String, String)>,
    body: web::Json<DecisionBody>,
) -> AppResult<HttpResponse> {
    let (id, item) = path.into_inner();
    let (id, item) = (id_of(&id)?, id_of(&item)?);
    let body = body.into_inner();
    let mut form: HashMap<String, String> = HashMap::new();
    form.insert("outcome".into(), body.outcome);
    if let Some(p) = body.proposer {
        form.insert("proposer".into(), p.to_string());
    }
    if let Some(s) = body.seconder {
        form.insert("seconder".into(), s.to_string());
    }
    if let Some(c) = body.casting {
        form.insert("casting".into(), c);
    }
    for (person, vote) in body.votes {
        // Names that are not a member's number are refused by name.
        let vote = if vote.trim().is_empty() {
            "(blank)".to_owned()
        } else {
            vote
        };
        form.insert(format!("vote-{person}"), vote);
    }
    let actor = user.0;
    let view = state
        .run(move |pool| {
            service::decide_item(pool, &actor, id, item, &form)?;
            service::meeting_view(pool, &actor.grants(), Some(actor.id), id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(meeting_json(&view)))
}
