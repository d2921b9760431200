//! The register's JSON API (`/api/v1`), for personal API tokens. Errors are
//! `{"error": {"code", "message", "field"}}` (see `web::error`).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::constitution::{ConstitutionSettings, SettingsForm};
use super::practice_form::PracticeForm;
use super::service;
use crate::error::{AppError, AppResult};
use crate::web::AppState;
use crate::web::auth::ApiUser;

/// JSON bodies that cannot be read get a 400 naming the problem.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(1024 * 1024)
        .error_handler(|error, _req| AppError::BadRequest(format!("the JSON body cannot be read: {error}")).into())
}

fn settings_json(settings: &ConstitutionSettings) -> serde_json::Value {
    let form = settings.to_form();
    json!({
        "weighting": form.weighting,
        "patients_per_vote": form.patients_per_vote.parse::<u32>().unwrap_or(0),
        "quorum_basis": form.quorum_basis,
        "quorum_percent": settings.quorum_percent,
        "ordinary_threshold": form.ordinary_threshold,
        "amendment_threshold": form.amendment_threshold,
        "removal_threshold": form.removal_threshold,
        "dissolution_threshold": form.dissolution_threshold,
        "minimum_notice_days": settings.minimum_notice_days,
        "voters": form.voters,
    })
}

/// Constitution settings as the API takes them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiSettings {
    weighting: String,
    #[serde(default = "default_patients_per_vote")]
    patients_per_vote: u32,
    quorum_basis: String,
    #[serde(default)]
    quorum_percent: u32,
    ordinary_threshold: String,
    amendment_threshold: String,
    removal_threshold: String,
    dissolution_threshold: String,
    minimum_notice_days: u32,
    voters: String,
    /// Why the settings change (required when something changes).
    #[serde(default)]
    reason: String,
}

fn default_patients_per_vote() -> u32 {
    2000
}

impl From<&ApiSettings> for SettingsForm {
    fn from(s: &ApiSettings) -> Self {
        SettingsForm {
            weighting: s.weighting.clone(),
            patients_per_vote: s.patients_per_vote.to_string(),
            quorum_basis: s.quorum_basis.clone(),
            quorum_percent: s.quorum_percent.to_string(),
            ordinary_threshold: s.ordinary_threshold.clone(),
            amendment_threshold: s.amendment_threshold.clone(),
            removal_threshold: s.removal_threshold.clone(),
            dissolution_threshold: s.dissolution_threshold.clone(),
            minimum_notice_days: s.minimum_notice_days.to_string(),
            voters: s.voters.clone(),
        }
    }
}

#[derive(Serialize)]
struct OrganisationJson {
    code: String,
    name: String,
    kind: String,
}

pub async fn list_organisations(state: web::Data<AppState>, user: ApiUser) -> AppResult<HttpResponse> {
    let grants = user.0.grants();
    let organisations = state
        .run(move |pool| service::visible_organisations(pool, &grants))
        .await?;
    let body: Vec<OrganisationJson> = organisations
        .into_iter()
        .map(|o| OrganisationJson {
            code: o.code,
            name: o.name,
            kind: o.kind,
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "organisations": body })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrganisationBody {
    code: String,
    name: String,
    kind: String,
    settings: Option<ApiSettings>,
}

pub async fn create_organisation(
    state: web::Data<AppState>,
    user: ApiUser,
    body: crate::web::json::ApiJson<NewOrganisationBody>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let actor = user.0;
    let created = state
        .run(move |pool| {
            let settings = body.settings.as_ref().map(SettingsForm::from);
            service::create_organisation(pool, &actor, &body.code, &body.name, &body.kind, settings.as_ref())
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/organisations/{}", created.code),
        ))
        .json(OrganisationJson {
            code: created.code,
            name: created.name,
            kind: created.kind,
        }))
}

pub async fn organisation(
    state: web::Data<AppState>,
    user: ApiUser,
    code: web::Path<String>,
) -> AppResult<HttpResponse> {
    let grants = user.0.grants();
    let code = code.into_inner().to_ascii_uppercase();
    let (detail, settings) = state
        .run(move |pool| {
            let detail = service::organisation_detail(pool, &grants, &code)?;
            let mut conn = pool.get()?;
            let settings = service::load_constitution(&mut conn, detail.id)?;
            Ok((detail, settings))
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({
        "code": detail.organisation.code,
        "name": detail.organisation.name,
        "kind": detail.organisation.kind,
        "lmcs": detail.covering_lmcs.iter().map(|l| json!({"code": l.code, "name": l.name})).collect::<Vec<_>>(),
        "member_count": detail.member_count,
        "settings": settings_json(&settings),
    })))
}

pub async fn update_settings(
    state: web::Data<AppState>,
    user: ApiUser,
    code: web::Path<String>,
    body: crate::web::json::ApiJson<ApiSettings>,
) -> AppResult<HttpResponse> {
    let actor = user.0;
    let code = code.into_inner().to_ascii_uppercase();
    let body = body.into_inner();
    let form = SettingsForm::from(&body);
    let reason = body.reason;
    let settings = state
        .run(move |pool| {
            service::update_constitution(pool, &actor, &code, &form, &reason)?;
            Ok(service::constitution(pool, &actor.grants(), &code)?.1)
        })
        .await?;
    Ok(HttpResponse::Ok().json(settings_json(&settings)))
}

/// Some of the constitution settings, as `PATCH …/settings` takes them:
/// what is left out stays as it is.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiSettingsPatch {
    #[serde(default, deserialize_with = "crate::web::json::present")]
    weighting: Option<String>,
    #[serde(default, deserialize_with = "crate::web::json::present")]
    patients_per_vote: Option<u32>,
    #[serde(default, deserialize_with = "crate::web::json::present")]
    quorum_basis: Option<String>,
    #[serde(default, deserialize_with = "crate::web::json::present")]
    quorum_percent: Option<u32>,
    #[serde(default, deserialize_with = "crate::web::json::present")]
    ordinary_threshold: Option<String>,
    #[serde(default, deserialize_with = "crate::web::json::present")]
    amendment_threshold: Option<String>,
    #[serde(default, deserialize_with = "crate::web::json::present")]
    removal_threshold: Option<String>,
    #[serde(default, deserialize_with = "crate::web::json::present")]
    dissolution_threshold: Option<String>,
    #[serde(default, deserialize_with = "crate::web::json::present")]
    minimum_notice_days: Option<u32>,
    #[serde(default, deserialize_with = "crate::web::json::present")]
    voters: Option<String>,
    #[serde(default)]
    reason: String,
}

impl ApiSettingsPatch {
    fn apply(self, mut form: SettingsForm) -> SettingsForm {
        let text = |field: &mut String, value: Option<String>| {
            if let Some(value) = value {
                *field = value;
            }
        };
        let number = |field: &mut String, value: Option<u32>| {
            if let Some(value) = value {
                *field = value.to_string();
            }
        };
        text(&mut form.weighting, self.weighting);
        number(&mut form.patients_per_vote, self.patients_per_vote);
        text(&mut form.quorum_basis, self.quorum_basis);
        number(&mut form.quorum_percent, self.quorum_percent);
        text(&mut form.ordinary_threshold, self.ordinary_threshold);
        text(&mut form.amendment_threshold, self.amendment_threshold);
        text(&mut form.removal_threshold, self.removal_threshold);
        text(&mut form.dissolution_threshold, self.dissolution_threshold);
        number(&mut form.minimum_notice_days, self.minimum_notice_days);
        text(&mut form.voters, self.voters);
        form
    }
}

pub async fn patch_settings(
    state: web::Data<AppState>,
    user: ApiUser,
    code: web::Path<String>,
    body: crate::web::json::ApiJson<ApiSettingsPatch>,
) -> AppResult<HttpResponse> {
    let actor = user.0;
    let code = code.into_inner().to_ascii_uppercase();
    let mut patch = body.into_inner();
    let reason = std::mem::take(&mut patch.reason);
    let settings = state
        .run(move |pool| {
            service::change_constitution(pool, &actor, &code, |form| patch.apply(form), &reason)?;
            Ok(service::constitution(pool, &actor.grants(), &code)?.1)
        })
        .await?;
    Ok(HttpResponse::Ok().json(settings_json(&settings)))
}

/// The register on a day, with the page's filters: `q`, `status` (repeat
/// it for several), `min`, `max`, `nominated`, `sort`, `order`, `page`,
/// `per_page` (default 100 here) and `on`.
pub async fn practices(
    state: web::Data<AppState>,
    user: ApiUser,
    code: web::Path<String>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let grants = user.0.grants();
    let code = code.into_inner();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    if pairs.iter().any(|(k, v)| k == "on" && v.trim().is_empty()) {
        return Err(AppError::BadRequest(
            "on must be a date like 2026-12-01; leave it out for today".into(),
        ));
    }
    // A form sends empty fields; a program leaves out what it does not filter on.
    if let Some((key, _)) = pairs.iter().find(|(k, v)| k != "q" && v.trim().is_empty()) {
        return Err(AppError::BadRequest(format!(
            "{key} is empty: leave it out, or give a value"
        )));
    }
    let params = super::routes::register_params(req.query_string())?;
    let day = params.day;
    let mut register_query = params.query;
    if !pairs.iter().any(|(k, _)| k == "per_page") {
        register_query.per_page = 100;
    }
    if !pairs.iter().any(|(k, _)| k == "sort") {
        register_query.sort = super::register::SortKey::Code;
    }
    let (_, page) = state
        .run(move |pool| service::register_on(pool, &grants, &code, day, &register_query))
        .await?;
    let practices: Vec<serde_json::Value> = page
        .entries
        .iter()
        .map(|e| {
            json!({
                "code": e.code,
                "name": e.name,
                "postcode": e.postcode,
                "status": e.status.as_str(),
                "member_since": e.joined_on,
                "list_size": e.list_size.map(|(_, n)| n),
                "list_size_extract_date": e.list_size.map(|(d, _)| d),
                "has_nominated_representative": e.has_nominated,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "on": day,
        "total": page.total,
        "page": page.page,
        "pages": page.pages,
        "practices": practices,
    })))
}

/// A practice as the API takes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PracticeBody {
    #[serde(default)]
    code: String,
    name: String,
    #[serde(default)]
    address: Vec<String>,
    #[serde(default)]
    postcode: String,
    #[serde(default)]
    telephone: String,
    /// A practice added or changed without a status is active.
    #[serde(default = "active")]
    status: String,
    #[serde(default)]
    opened_on: Option<String>,
    #[serde(default)]
    closed_on: Option<String>,
    #[serde(default)]
    joined_on: Option<String>,
}

fn active() -> String {
    "active".to_owned()
}

impl PracticeBody {
    fn into_form(self) -> AppResult<PracticeForm> {
        if self.address.len() > 5 {
            return Err(AppError::invalid("address", "address must have 5 lines or fewer"));
        }
        let line = |n: usize| self.address.get(n).cloned().unwrap_or_default();
        Ok(PracticeForm {
            address_1: line(0),
            address_2: line(1),
            address_3: line(2),
            address_4: line(3),
            address_5: line(4),
            code: self.code,
            name: self.name,
            postcode: self.postcode,
            telephone: self.telephone,
            status: self.status,
            opened_on: self.opened_on.unwrap_or_default(),
            closed_on: self.closed_on.unwrap_or_default(),
            joined_on: self.joined_on.unwrap_or_default(),
        })
    }
}

pub async fn create_practice(
    state: web::Data<AppState>,
    user: ApiUser,
    code: web::Path<String>,
    body: crate::web::json::ApiJson<PracticeBody>,
) -> AppResult<HttpResponse> {
    let actor = user.0;
    let organisation = code.into_inner();
    let form = body.into_inner().into_form()?;
    let ods = state
        .run(move |pool| service::add_practice(pool, &actor, &organisation, &form))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((actix_web::http::header::LOCATION, format!("/api/v1/practices/{ods}")))
        .json(json!({ "code": ods })))
}

fn practice_json(detail: &service::PracticeDetail) -> serde_json::Value {
    let p = &detail.practice;
    let address: Vec<&String> = [&p.address_1, &p.address_2, &p.address_3, &p.address_4, &p.address_5]
        .into_iter()
        .filter(|l| !l.is_empty())
        .collect();
    json!({
        "code": p.ods_code,
        "name": p.name,
        "address": address,
        "postcode": p.postcode,
        "telephone": p.telephone,
        "status": detail.status_today.as_str(),
        "opened_on": p.opened_on,
        "closed_on": p.closed_on,
        "memberships": detail.memberships.iter().map(|m| json!({
            "organisation": m.organisation_code,
            "joined_on": m.joined_on,
            "left_on": m.left_on,
        })).collect::<Vec<_>>(),
        "list_sizes": detail.list_sizes.iter().map(|(d, n)| json!({"extract_date": d, "patients": n})).collect::<Vec<_>>(),
        "representatives": detail.representatives.iter().map(|r| json!({
            "name": r.name,
            "email": r.email,
            "role": r.kind,
            "from": r.started_on,
            "to": r.ended_on,
        })).collect::<Vec<_>>(),
    })
}

pub async fn practice(state: web::Data<AppState>, user: ApiUser, ods: web::Path<String>) -> AppResult<HttpResponse> {
    let grants = user.0.grants();
    let ods = ods.into_inner();
    let detail = state
        .run(move |pool| service::practice_detail(pool, &grants, &ods))
        .await?;
    Ok(HttpResponse::Ok().json(practice_json(&detail)))
}

pub async fn update_practice(
    state: web::Data<AppState>,
    user: ApiUser,
    ods: web::Path<String>,
    body: crate::web::json::ApiJson<PracticeBody>,
) -> AppResult<HttpResponse> {
    let actor = user.0;
    let ods = ods.into_inner();
    let form = body.into_inner().into_form()?;
    let detail = state
        .run(move |pool| {
            service::edit_practice(pool, &actor, &ods, &form)?;
            service::practice_detail(pool, &actor.grants(), &ods)
        })
        .await?;
    Ok(HttpResponse::Ok().json(practice_json(&detail)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepresentativeBody {
    email: String,
    name: String,
    role: String,
}

pub async fn add_representative(
    state: web::Data<AppState>,
    user: ApiUser,
    ods: web::Path<String>,
    body: crate::web::json::ApiJson<RepresentativeBody>,
) -> AppResult<HttpResponse> {
    let actor = user.0;
    let ods = ods.into_inner();
    let body = body.into_inner();
    let outbox = state.outbox.clone();
    let new = service::NewRepresentative {
        name: body.name,
        email: body.email,
        kind: body.role,
    };
    let code = ods.clone();
    state
        .run(move |pool| service::add_representative(pool, &outbox, &actor, &code, new))
        .await
        .map_err(|e| match e {
            AppError::Invalid(mut errors) => {
                // The API calls the field "role".
                for error in &mut errors {
                    if error.field == "kind" {
                        error.field = "role".into();
                        error.message =
                            "role must be one of nominated, deputy, practice_manager, gp_partner or salaried_gp".into();
                    }
                }
                AppError::Invalid(errors)
            }
            other => other,
        })?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/practices/{}", ods.to_ascii_uppercase()),
        ))
        .json(json!({ "practice": ods.to_ascii_uppercase() })))
}
