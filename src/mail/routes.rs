//! The delivery record: every message an organisation sent, with its state.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::model::MessageState;
use super::service::{self, DELIVERY_PAGE_SIZE, DeliveryCounts};
use crate::error::{AppError, AppResult};
use crate::registry::service::overseen_organisation;
use crate::web::auth::CurrentUser;
use crate::web::csrf::CsrfForm;
use crate::web::page::Ui;
use crate::web::render::Flash;

#[derive(Deserialize)]
pub struct DeliveryQuery {
    state: Option<String>,
    /// Only the messages of one ballot, or of one consultation.
    ballot: Option<String>,
    consultation: Option<String>,
    /// The page of the record, from 1.
    page: Option<String>,
}

#[derive(Serialize)]
struct Filter {
    href: String,
    label: &'static str,
    current: bool,
}

#[derive(Serialize)]
struct Row {
    id: i32,
    recipient_name: String,
    recipient_email: String,
    subject: String,
    written: String,
    state_label: &'static str,
    state_colour: &'static str,
    attempts: i32,
    detail: String,
    can_resend: bool,
    /// Goes only to the recipient's own address (see `service::resend`).
    personal_link: bool,
    /// Why sending it again was refused, shown at its form.
    error: Option<String>,
    /// The id of its form's address field (or button).
    field: String,
}

/// A bounce, as the delivery record and the administrators' page show it.
#[derive(Serialize)]
struct BounceRow {
    received: String,
    severity_label: &'static str,
    severity_colour: &'static str,
    recipient: String,
    reason: String,
    subject: String,
    /// The message it is about, in the delivery record.
    message: Option<i32>,
    message_text: String,
}

impl BounceRow {
    fn of(b: super::bounce::store::StoredBounce) -> Self {
        let severity = match b.severity.as_str() {
            "hard" => super::bounce::model::Severity::Hard,
            "soft" => super::bounce::model::Severity::Soft,
            _ => super::bounce::model::Severity::Unknown,
        };
        BounceRow {
            received: crate::time::date_time(b.received_at),
            severity_label: severity.label(),
            severity_colour: match severity {
                super::bounce::model::Severity::Hard => "red",
                super::bounce::model::Severity::Soft => "yellow",
                super::bounce::model::Severity::Unknown => "grey",
            },
            recipient: b.recipient.unwrap_or_default(),
            reason: match (b.diagnostic, b.status) {
                (Some(d), _) => d,
                (None, Some(s)) => format!("Status {s}"),
                (None, None) => "Not understood: read the message".into(),
            },
            subject: b.subject.unwrap_or_default(),
            message: b.outbox_id,
            message_text: b.raw,
        }
    }
}

#[derive(Serialize)]
struct DeliveryPage {
    /// The organisation's latest bounces that came back after sending.
    bounces: Vec<BounceRow>,
    organisation_name: String,
    code: String,
    counts: DeliveryCounts,
    filters: Vec<Filter>,
    rows: Vec<Row>,
    may_act: bool,
    /// "Messages 101 to 200 of 1,234".
    showing: String,
    newer: Option<String>,
    older: Option<String>,
    state: String,
    event_href: Option<String>,
    event_label: Option<String>,
    /// The filters and the page, kept through a resend.
    ballot: String,
    consultation: String,
    page: i64,
}

pub async fn deliveries(
    ui: Ui,
    user: CurrentUser,
    code: web::Path<String>,
    query: web::Query<DeliveryQuery>,
) -> AppResult<HttpResponse> {
    let page = delivery_page(&ui, &user, code.into_inner(), &query).await?;
    ui.page("mail/deliveries", "Email delivery record", &page)
}

async fn delivery_page(ui: &Ui, user: &CurrentUser, code: String, query: &DeliveryQuery) -> AppResult<DeliveryPage> {
    let state = match query.state.as_deref().filter(|s| !s.is_empty() && *s != "all") {
        Some(s) => Some(MessageState::parse(s).ok_or_else(|| {
            AppError::BadRequest("state must be one of all, pending, sending, sent, failed or cancelled".into())
        })?),
        None => None,
    };
    let number = |name: &str, value: Option<&str>| -> AppResult<Option<i32>> {
        match value.filter(|v| !v.is_empty()) {
            Some(v) => v
                .parse::<i32>()
                .map(Some)
                .map_err(|_| AppError::BadRequest(format!("{name} must be a number, not \"{v}\""))),
            None => Ok(None),
        }
    };
    let event = match (
        number("ballot", query.ballot.as_deref())?,
        number("consultation", query.consultation.as_deref())?,
    ) {
        (Some(id), _) => Some((super::model::EventKind::Ballot, "ballot", id)),
        (None, Some(id)) => Some((super::model::EventKind::Consultation, "consultation", id)),
        (None, None) => None,
    };
    let page_number = match number("page", query.page.as_deref())? {
        None => 1,
        Some(n) if n >= 1 => i64::from(n),
        Some(n) => return Err(AppError::BadRequest(format!("page must be 1 or more, not {n}"))),
    };
    let grants = user.grants();
    let lookup = code.clone();
    let (organisation, record, bounces) = ui
        .state()
        .run(move |pool| {
            let organisation = overseen_organisation(pool, &grants, &lookup)?;
            let record = service::delivery_record(
                pool,
                organisation.id,
                state,
                event.map(|(kind, _, id)| (kind, id)),
                page_number,
            )?;
            let mut conn = pool.get()?;
            let bounces = super::bounce::store::of_organisation(&mut conn, Some(organisation.id), 20)?;
            Ok((organisation, record, bounces))
        })
        .await?;
    let base = match event {
        Some((_, name, id)) => format!("/organisations/{code}/deliveries?{name}={id}&"),
        None => format!("/organisations/{code}/deliveries?"),
    };
    let filters = [
        (None, "All"),
        (Some(MessageState::Failed), "Failed"),
        (Some(MessageState::Pending), "Waiting to send"),
        (Some(MessageState::Sent), "Sent"),
    ]
    .into_iter()
    .map(|(s, label)| Filter {
        href: s.map_or_else(
            || base.trim_end_matches(['?', '&']).to_owned(),
            |s| format!("{base}state={}", s.as_str()),
        ),
        label,
        current: s == state,
    })
    .collect();
    let rows = record
        .messages
        .into_iter()
        .map(|m| {
            let message_state = MessageState::parse(&m.state).unwrap_or(MessageState::Pending);
            let detail = match (message_state, m.sent_at, &m.last_error) {
                (MessageState::Sent, Some(at), _) => format!("Sent at {}", crate::time::date_time(at)),
                (_, _, Some(error)) => error.clone(),
                _ => String::new(),
            };
            Row {
                id: m.id,
                recipient_name: m.recipient_name,
                recipient_email: m.recipient_email,
                subject: m.subject,
                written: crate::time::date_time(m.created_at),
                state_label: message_state.label(),
                state_colour: message_state.tag_colour(),
                attempts: m.attempts,
                detail,
                can_resend: organisation.may_act
                    && matches!(message_state, MessageState::Sent | MessageState::Failed)
                    && !m.body_text.is_empty(),
                personal_link: super::seal::Sealer::is_sealed(&m.body_text),
                error: None,
                field: format!("email-{}", m.id),
            }
        })
        .collect();
    let state_part = state.map(|s| format!("state={}&", s.as_str())).unwrap_or_default();
    let page_href = |n: i64| format!("{base}{state_part}page={n}");
    let first = (page_number - 1) * DELIVERY_PAGE_SIZE + 1;
    let last = (first + DELIVERY_PAGE_SIZE - 1).min(record.total);
    let page = DeliveryPage {
        bounces: bounces.into_iter().map(BounceRow::of).collect(),
        organisation_name: organisation.summary.name.clone(),
        code,
        counts: record.counts,
        filters,
        rows,
        may_act: organisation.may_act,
        showing: if record.total == 0 || first > record.total {
            format!("No messages on page {page_number}")
        } else {
            format!(
                "Messages {} to {} of {}, newest first",
                crate::format::count(first.unsigned_abs()),
                crate::format::count(last.unsigned_abs()),
                crate::format::count(record.total.unsigned_abs())
            )
        },
        newer: (page_number > 1).then(|| page_href(page_number - 1)),
        older: (page_number * DELIVERY_PAGE_SIZE < record.total).then(|| page_href(page_number + 1)),
        state: state.map_or("all", |s| s.as_str()).to_owned(),
        event_href: event.map(|(_, name, id)| format!("/{name}s/{id}")),
        event_label: event.map(|(_, name, id)| format!("{name} {id}")),
        ballot: query.ballot.clone().unwrap_or_default(),
        consultation: query.consultation.clone().unwrap_or_default(),
        page: page_number,
    };
    Ok(page)
}

#[derive(Deserialize)]
pub struct ResendForm {
    /// The filters of the page the form was on, to show it again.
    #[serde(default)]
    ballot: String,
    #[serde(default)]
    consultation: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    page: String,
}

pub async fn resend(
    ui: Ui,
    user: CurrentUser,
    path: web::Path<(String, i32)>,
    form: CsrfForm<ResendForm>,
) -> AppResult<HttpResponse> {
    let (code, message_id) = path.into_inner();
    let form = form.0;
    let grants = user.grants();
    let actor = user.actor();
    let outbox = ui.state().outbox.clone();
    let lookup = code.clone();
    let new_address = form.email.clone();
    let queued = ui
        .state()
        .run(move |pool| {
            let organisation = overseen_organisation(pool, &grants, &lookup)?;
            if !organisation.may_act {
                return Err(AppError::Forbidden(
                    "Observers can see the delivery record but cannot send messages.".into(),
                ));
            }
            service::resend(pool, &outbox, &actor, organisation.id, message_id, Some(&new_address))
        })
        .await;
    if let Err(AppError::Invalid(errors)) = queued {
        // The record again, with the reason at the row's form.
        let query = DeliveryQuery {
            state: Some(form.state.clone()),
            ballot: Some(form.ballot.clone()),
            consultation: Some(form.consultation.clone()),
            page: Some(form.page.clone()),
        };
        let mut page = delivery_page(&ui, &user, code, &query).await?;
        let field = format!("email-{message_id}");
        for row in page.rows.iter_mut().filter(|r| r.id == message_id) {
            row.error = errors.iter().find(|e| e.field == field).map(|e| e.message.clone());
        }
        return ui.form_errors(
            StatusCode::UNPROCESSABLE_ENTITY,
            "mail/deliveries",
            "Email delivery record",
            errors,
            &page,
        );
    }
    queued?;
    let mut filters = Vec::new();
    for (name, value) in [("ballot", &form.ballot), ("consultation", &form.consultation)] {
        if let Ok(id) = value.parse::<i32>() {
            filters.push(format!("{name}={id}"));
        }
    }
    if let Some(state) = MessageState::parse(&form.state) {
        filters.push(format!("state={}", state.as_str()));
    }
    let filters = if filters.is_empty() {
        String::new()
    } else {
        format!("?{}", filters.join("&"))
    };
    let to = form.email.trim();
    Ok(ui.see_other(
        &format!("/organisations/{code}/deliveries{filters}"),
        Some(Flash {
            heading: "Message queued to send again".into(),
            body: (!to.is_empty()).then(|| format!("It will go to {to}.")),
        }),
    ))
}

#[derive(Serialize)]
struct UnmatchedPage {
    bounces: Vec<BounceRow>,
}

/// `GET /admin/bounces`: the bounces no organisation's message could be
/// matched to, for a system administrator to read.
pub async fn unmatched_bounces(ui: Ui, _admin: crate::web::auth::RequireSystemAdmin) -> AppResult<HttpResponse> {
    let bounces = ui
        .state()
        .run(|pool| {
            let mut conn = pool.get()?;
            Ok(super::bounce::store::of_organisation(&mut conn, None, 200)?)
        })
        .await?;
    ui.page(
        "mail/bounces",
        "Bounces matched to no message",
        &UnmatchedPage {
            bounces: bounces.into_iter().map(BounceRow::of).collect(),
        },
    )
}
