//! Organisation pages.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::service::{self, OrganisationSummary};
use crate::error::{AppError, AppResult, FieldError};
use crate::web::auth::CurrentUser;
use crate::web::csrf::CsrfForm;
use crate::web::form::{Choice, choices};
use crate::web::page::Ui;
use crate::web::render::Flash;

#[derive(Serialize)]
struct OrganisationView {
    code: String,
    name: String,
    kind: String,
    is_demo: bool,
}

impl From<OrganisationSummary> for OrganisationView {
    fn from(o: OrganisationSummary) -> Self {
        OrganisationView {
            code: o.code,
            name: o.name,
            kind: o.kind,
            is_demo: o.is_demo,
        }
    }
}

#[derive(Serialize)]
struct OrganisationsPage {
    organisations: Vec<OrganisationView>,
    may_create: bool,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct NewOrganisationForm {
    code: String,
    name: String,
    kind: String,
}

#[derive(Serialize)]
struct NewOrganisationPage {
    form: NewOrganisationForm,
    kinds: Vec<Choice>,
}

fn new_organisation_page(
    ui: &Ui,
    user: &CurrentUser,
    form: NewOrganisationForm,
    errors: Vec<FieldError>,
) -> AppResult<HttpResponse> {
    if !user.grants().is_system_admin() {
        return Err(AppError::Forbidden(
            "Only system administrators can create organisations.".into(),
        ));
    }
    use super::model::OrganisationKind;
    let kinds: Vec<(&str, &str)> = [
        OrganisationKind::Ccg,
        OrganisationKind::Lmc,
        OrganisationKind::Federation,
        OrganisationKind::Pcn,
    ]
    .into_iter()
    .map(|k| (k.as_str(), k.label()))
    .collect();
    let page = NewOrganisationPage {
        kinds: choices("kind", &kinds, &form.kind),
        form,
    };
    ui.form_page("registry/new_organisation", "Create an organisation", errors, &page)
}

pub async fn new_organisation_form(ui: Ui, user: CurrentUser) -> AppResult<HttpResponse> {
    new_organisation_page(&ui, &user, NewOrganisationForm::default(), Vec::new())
}

pub async fn create_organisation(
    ui: Ui,
    user: CurrentUser,
    form: CsrfForm<NewOrganisationForm>,
) -> AppResult<HttpResponse> {
    let form = form.0;
    let actor = (*user.0).clone();
    let (code, name, kind) = (form.code.clone(), form.name.clone(), form.kind.clone());
    match ui
        .state()
        .run(move |pool| service::create_organisation(pool, &actor, &code, &name, &kind, None))
        .await
    {
        Ok(created) => Ok(ui.see_other(
            &format!("/organisations/{}", created.code),
            Some(Flash {
                heading: format!("{} created", created.name),
                body: Some(
                    "Next: set its constitution, add its member practices (or import them from the NHS list) and appoint its administrators."
                        .into(),
                ),
            }),
        )),
        Err(AppError::Invalid(errors)) => {
            // The API's wording names its values; a person chooses a radio.
            let errors = errors
                .into_iter()
                .map(|e| {
                    if e.field == "kind" {
                        FieldError::new("kind", "Choose the type of organisation")
                    } else {
                        e
                    }
                })
                .collect();
            new_organisation_page(&ui, &user, form, errors)
        }
        Err(AppError::Conflict(why)) => new_organisation_page(&ui, &user, form, vec![FieldError::new("code", why)]),
        Err(other) => Err(other),
    }
}

pub async fn organisations(ui: Ui, user: CurrentUser) -> AppResult<HttpResponse> {
    let grants = user.grants();
    let organisations = ui
        .state()
        .run(move |pool| service::visible_organisations(pool, &grants))
        .await?
        .into_iter()
        .map(OrganisationView::from)
        .collect();
    ui.page(
        "registry/organisations",
        "Organisations",
        &OrganisationsPage {
            organisations,
            may_create: user.grants().is_system_admin(),
        },
    )
}

#[derive(Serialize)]
struct MemberView {
    code: String,
    name: String,
}

#[derive(Serialize)]
struct OrganisationPage {
    organisation: OrganisationView,
    lmcs: Vec<OrganisationView>,
    members: Option<Vec<MemberView>>,
    member_count: usize,
    may_oversee: bool,
    may_administer: bool,
    is_system_admin: bool,
    /// What was typed in the LMC form, shown again with its error.
    lmc_typed: String,
}

pub async fn organisation(ui: Ui, user: CurrentUser, code: web::Path<String>) -> AppResult<HttpResponse> {
    organisation_page(&ui, &user, code.into_inner(), String::new(), Vec::new()).await
}

/// The organisation's page; with errors, the LMC form again with what was
/// typed and the error summary.
async fn organisation_page(
    ui: &Ui,
    user: &CurrentUser,
    code: String,
    lmc_typed: String,
    errors: Vec<FieldError>,
) -> AppResult<HttpResponse> {
    let grants = user.grants();
    let detail = ui
        .state()
        .run(move |pool| service::organisation_detail(pool, &grants, &code))
        .await?;
    let title = detail.organisation.name.clone();
    let may_oversee = detail.members.is_some();
    let page = OrganisationPage {
        may_oversee,
        may_administer: user.grants().administers_organisation(detail.id),
        is_system_admin: user.grants().is_system_admin(),
        organisation: detail.organisation.into(),
        lmcs: detail.covering_lmcs.into_iter().map(OrganisationView::from).collect(),
        members: detail.members.map(|members| {
            members
                .into_iter()
                .map(|p| MemberView {
                    code: p.ods_code,
                    name: p.name,
                })
                .collect()
        }),
        member_count: detail.member_count,
        lmc_typed,
    };
    if errors.is_empty() {
        ui.page("registry/organisation", &title, &page)
    } else {
        ui.form_errors(
            StatusCode::UNPROCESSABLE_ENTITY,
            "registry/organisation",
            &title,
            errors,
            &page,
        )
    }
}

/// The query string of the register page, checked.
pub(super) struct RegisterParams {
    pub(super) day: chrono::NaiveDate,
    pub(super) query: super::register::RegisterQuery,
    /// The raw values, to show the form again.
    search: String,
    statuses: Vec<String>,
    min: String,
    max: String,
    nominated: String,
}

/// The register's filters, the same for the page and the API.
pub(super) fn register_params(query_string: &str) -> AppResult<RegisterParams> {
    use super::model::PracticeStatus;
    use super::register::{RegisterQuery, SortKey};
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query_string)
        .map_err(|e| AppError::BadRequest(format!("the address's query cannot be read: {e}")))?;
    let mut params = RegisterParams {
        day: chrono::Utc::now().date_naive(),
        query: RegisterQuery::default(),
        search: String::new(),
        statuses: Vec::new(),
        min: String::new(),
        max: String::new(),
        nominated: String::new(),
    };
    let size = |name: &str, value: &str| -> AppResult<Option<i32>> {
        let value = value.trim().replace(',', "");
        if value.is_empty() {
            return Ok(None);
        }
        value
            .parse::<i32>()
            .map(Some)
            .map_err(|_| AppError::BadRequest(format!("{name} must be a whole number of patients")))
    };
    for (key, value) in pairs {
        match key.as_str() {
            "q" => {
                params.query.search = value.trim().to_owned();
                params.search = value;
            }
            "status" => {
                let status = PracticeStatus::parse(&value).ok_or_else(|| {
                    AppError::BadRequest(format!(
                        "status must be active, closed, dormant or proposed, not \"{value}\""
                    ))
                })?;
                params.query.statuses.push(status);
                params.statuses.push(value);
            }
            "min" => {
                params.query.min_list_size = size("The smallest list size", &value)?;
                params.min = value;
            }
            "max" => {
                params.query.max_list_size = size("The largest list size", &value)?;
                params.max = value;
            }
            "nominated" => {
                params.query.nominated = match value.as_str() {
                    "" => None,
                    "yes" => Some(true),
                    "no" => Some(false),
                    _ => return Err(AppError::BadRequest("nominated must be yes or no".into())),
                };
                params.nominated = value;
            }
            "sort" => {
                params.query.sort = SortKey::parse(&value)
                    .ok_or_else(|| AppError::BadRequest("sort must be name, code or list_size".into()))?;
            }
            "order" => {
                params.query.descending = match value.as_str() {
                    "" | "asc" => false,
                    "desc" => true,
                    _ => return Err(AppError::BadRequest("order must be asc or desc".into())),
                };
            }
            "per_page" => {
                params.query.per_page = value
                    .parse::<usize>()
                    .map_err(|_| AppError::BadRequest("per_page must be a number of practices, 1 to 1000".into()))?
                    .clamp(1, 1000);
            }
            "page" => {
                params.query.page = value
                    .parse()
                    .map_err(|_| AppError::BadRequest("page must be a page number".into()))?;
            }
            "on" if !value.trim().is_empty() => {
                params.day = chrono::NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
                    .map_err(|_| AppError::BadRequest(format!("on must be a date like 2026-12-01, not \"{value}\"")))?;
            }
            _ => {}
        }
    }
    Ok(params)
}

#[derive(Serialize)]
struct RegisterRow {
    code: String,
    name: String,
    postcode: String,
    status: &'static str,
    status_colour: &'static str,
    list_size: String,
    list_size_date: String,
}

#[derive(Serialize)]
struct SortHeader {
    label: &'static str,
    href: String,
    aria_sort: &'static str,
    numeric: bool,
}

#[derive(Serialize)]
struct StatusOption {
    value: &'static str,
    label: &'static str,
    checked: bool,
}

#[derive(Serialize)]
struct PageLink {
    number: usize,
    href: String,
    current: bool,
}

#[derive(Serialize)]
struct RegisterView {
    organisation: String,
    code: String,
    /// Importing, adding and reviewing proposals are for administrators.
    may_administer: bool,
    day: String,
    day_iso: String,
    search: String,
    min: String,
    max: String,
    nominated_any: bool,
    nominated_yes: bool,
    nominated_no: bool,
    statuses: Vec<StatusOption>,
    headers: Vec<SortHeader>,
    rows: Vec<RegisterRow>,
    total: usize,
    first: usize,
    last: usize,
    pages: Vec<PageLink>,
    previous: Option<String>,
    next: Option<String>,
    csv_href: String,
}

fn status_colour(status: super::model::PracticeStatus) -> &'static str {
    use super::model::PracticeStatus;
    match status {
        PracticeStatus::Active => "green",
        PracticeStatus::Closed => "grey",
        PracticeStatus::Dormant => "yellow",
        PracticeStatus::Proposed => "blue",
    }
}

pub async fn register(
    ui: Ui,
    user: CurrentUser,
    code: web::Path<String>,
    req: actix_web::HttpRequest,
) -> AppResult<HttpResponse> {
    use super::register::SortKey;
    let params = register_params(req.query_string())?;
    let code = code.into_inner().to_ascii_uppercase();
    let grants = user.grants();
    let (lookup, day, query) = (code.clone(), params.day, params.query.clone());
    let (organisation, page) = ui
        .state()
        .run(move |pool| service::register_on(pool, &grants, &lookup, day, &query))
        .await?;

    // Links keep every filter; only the changed key differs.
    let base = format!("/organisations/{code}/practices");
    let mut kept: Vec<(&str, String)> = vec![("q", params.search.clone())];
    kept.extend(params.statuses.iter().map(|s| ("status", s.clone())));
    kept.extend([
        ("min", params.min.clone()),
        ("max", params.max.clone()),
        ("on", params.day.to_string()),
    ]);
    let link = |sort: SortKey, descending: bool, page: usize| {
        let mut pairs = kept.clone();
        pairs.push(("sort", sort.as_str().to_owned()));
        pairs.push(("order", if descending { "desc" } else { "asc" }.to_owned()));
        pairs.push(("page", page.to_string()));
        let pairs: Vec<(&str, String)> = pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        format!("{base}?{}", serde_urlencoded::to_string(pairs).unwrap_or_default())
    };
    let (sort, descending) = (params.query.sort, params.query.descending);
    let headers = [
        ("Practice", SortKey::Name, false),
        ("ODS code", SortKey::Code, false),
        ("List size", SortKey::ListSize, true),
    ]
    .into_iter()
    .map(|(label, key, numeric)| {
        let current = key == sort;
        SortHeader {
            label,
            href: link(key, current && !descending, 1),
            aria_sort: match (current, descending) {
                (false, _) => "none",
                (true, false) => "ascending",
                (true, true) => "descending",
            },
            numeric,
        }
    })
    .collect();
    let per_page = params.query.per_page;
    let first = if page.total == 0 {
        0
    } else {
        (page.page - 1) * per_page + 1
    };
    let view = RegisterView {
        may_administer: user.grants().administers_organisation(organisation.id),
        organisation: organisation.summary.name.clone(),
        code: code.clone(),
        day: crate::time::day(params.day),
        day_iso: params.day.to_string(),
        search: params.search.clone(),
        min: params.min.clone(),
        max: params.max.clone(),
        nominated_any: params.query.nominated.is_none(),
        nominated_yes: params.query.nominated == Some(true),
        nominated_no: params.query.nominated == Some(false),
        statuses: super::model::PracticeStatus::ALL
            .into_iter()
            .map(|s| StatusOption {
                value: s.as_str(),
                label: s.label(),
                checked: params.query.statuses.contains(&s),
            })
            .collect(),
        headers,
        rows: page
            .entries
            .iter()
            .map(|e| RegisterRow {
                code: e.code.clone(),
                name: e.name.clone(),
                postcode: e.postcode.clone(),
                status: e.status.label(),
                status_colour: status_colour(e.status),
                list_size: e
                    .list_size
                    .map(|(_, n)| crate::format::group_thousands(n))
                    .unwrap_or_default(),
                list_size_date: e.list_size.map(|(d, _)| crate::time::day(d)).unwrap_or_default(),
            })
            .collect(),
        total: page.total,
        first,
        last: (first + page.entries.len()).saturating_sub(1),
        pages: (1..=page.pages)
            .filter(|n| *n == 1 || *n == page.pages || n.abs_diff(page.page) <= 2)
            .map(|n| PageLink {
                number: n,
                href: link(sort, descending, n),
                current: n == page.page,
            })
            .collect(),
        previous: (page.page > 1).then(|| link(sort, descending, page.page - 1)),
        next: (page.page < page.pages).then(|| link(sort, descending, page.page + 1)),
        csv_href: format!("/organisations/{code}/register.csv?on={}", params.day),
    };
    ui.page("registry/practices", "Register of member practices", &view)
}

pub async fn register_csv(
    user: CurrentUser,
    state: web::Data<crate::web::AppState>,
    code: web::Path<String>,
    req: actix_web::HttpRequest,
) -> AppResult<HttpResponse> {
    let params = register_params(req.query_string())?;
    let code = code.into_inner().to_ascii_uppercase();
    let grants = user.grants();
    let (lookup, day) = (code.clone(), params.day);
    let csv = state
        .run(move |pool| service::register_csv(pool, &grants, &lookup, day))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"register-{code}-{day}.csv\""),
        ))
        .body(csv))
}

#[derive(Serialize)]
struct MembershipRow {
    organisation: String,
    joined: String,
    left: String,
}

#[derive(Serialize)]
struct SizeRow {
    date: String,
    patients: String,
}

#[derive(Serialize)]
struct RepresentativeRow {
    id: i32,
    name: String,
    email: String,
    role: &'static str,
    from: String,
    to: String,
    current: bool,
    /// Why the last email to this address failed, if it did.
    email_problem: Option<String>,
}

#[derive(Serialize)]
struct KindOption {
    value: &'static str,
    label: &'static str,
    id: String,
    checked: bool,
}

#[derive(Serialize)]
struct PracticeView {
    code: String,
    name: String,
    address: Vec<String>,
    postcode: String,
    telephone: String,
    status: &'static str,
    status_colour: &'static str,
    opened: String,
    closed: String,
    memberships: Vec<MembershipRow>,
    list_sizes: Vec<SizeRow>,
    representatives: Vec<RepresentativeRow>,
    may_manage: bool,
    may_propose: bool,
    kinds: Vec<KindOption>,
    form_name: String,
    form_email: String,
}

fn practice_view(detail: service::PracticeDetail, form: Option<&RepresentativeForm>) -> PracticeView {
    use super::model::RepresentativeKind;
    let p = &detail.practice;
    let chosen = form.map(|f| f.kind.as_str()).unwrap_or_default();
    PracticeView {
        code: p.ods_code.clone(),
        name: p.name.clone(),
        address: [&p.address_1, &p.address_2, &p.address_3, &p.address_4, &p.address_5]
            .into_iter()
            .filter(|l| !l.is_empty())
            .cloned()
            .collect(),
        postcode: p.postcode.clone(),
        telephone: p.telephone.clone(),
        status: detail.status_today.label(),
        status_colour: status_colour(detail.status_today),
        opened: p.opened_on.map(crate::time::day).unwrap_or_default(),
        closed: p.closed_on.map(crate::time::day).unwrap_or_default(),
        memberships: detail
            .memberships
            .iter()
            .map(|m| MembershipRow {
                organisation: format!("{} ({})", m.organisation_name, m.organisation_code),
                joined: crate::time::day(m.joined_on),
                left: m.left_on.map(crate::time::day).unwrap_or_default(),
            })
            .collect(),
        list_sizes: detail
            .list_sizes
            .iter()
            .map(|(d, n)| SizeRow {
                date: crate::time::day(*d),
                patients: crate::format::group_thousands(*n),
            })
            .collect(),
        representatives: detail
            .representatives
            .iter()
            .map(|r| RepresentativeRow {
                id: r.id,
                name: r.name.clone(),
                email: r.email.clone(),
                role: RepresentativeKind::parse(&r.kind).map_or("Representative", RepresentativeKind::label),
                from: crate::time::day(r.started_on),
                to: r.ended_on.map(crate::time::day).unwrap_or_default(),
                current: r.ended_on.is_none(),
                email_problem: detail.failing_addresses.get(&r.user_id).cloned(),
            })
            .collect(),
        may_manage: detail.may_manage,
        may_propose: detail.may_propose,
        kinds: RepresentativeKind::ALL
            .iter()
            .enumerate()
            .map(|(i, k)| KindOption {
                value: k.as_str(),
                label: k.label(),
                id: if i == 0 {
                    "kind".to_owned()
                } else {
                    format!("kind-{}", i + 1)
                },
                checked: k.as_str() == chosen,
            })
            .collect(),
        form_name: form.map(|f| f.name.clone()).unwrap_or_default(),
        form_email: form.map(|f| f.email.clone()).unwrap_or_default(),
    }
}

async fn load_practice(ui: &Ui, user: &CurrentUser, ods: &str) -> AppResult<service::PracticeDetail> {
    let grants = user.grants();
    let ods = ods.to_owned();
    ui.state()
        .run(move |pool| service::practice_detail(pool, &grants, &ods))
        .await
}

pub async fn practice(ui: Ui, user: CurrentUser, ods: web::Path<String>) -> AppResult<HttpResponse> {
    let view = practice_view(load_practice(&ui, &user, &ods).await?, None);
    let title = view.name.clone();
    ui.page("registry/practice", &title, &view)
}

#[derive(serde::Deserialize)]
pub struct RepresentativeForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    kind: String,
}

pub async fn add_representative(
    ui: Ui,
    user: CurrentUser,
    ods: web::Path<String>,
    form: CsrfForm<RepresentativeForm>,
) -> AppResult<HttpResponse> {
    let ods = ods.into_inner();
    let form = form.0;
    let actor = (*user.0).clone();
    let outbox = ui.state().outbox.clone();
    let new = service::NewRepresentative {
        name: form.name.clone(),
        email: form.email.clone(),
        kind: form.kind.clone(),
    };
    let code = ods.clone();
    match ui
        .state()
        .run(move |pool| service::add_representative(pool, &outbox, &actor, &code, new))
        .await
    {
        Ok(()) => Ok(ui.see_other(
            &format!("/practices/{}", ods.to_ascii_uppercase()),
            Some(Flash {
                heading: "Representative added".into(),
                body: Some(format!(
                    "{} has been added. If they had no account, they have been emailed an invitation.",
                    form.name.trim()
                )),
            }),
        )),
        Err(AppError::Invalid(errors)) => {
            let view = practice_view(load_practice(&ui, &user, &ods).await?, Some(&form));
            let title = view.name.clone();
            ui.form_errors(
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                "registry/practice",
                &title,
                errors,
                &view,
            )
        }
        Err(other) => Err(other),
    }
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct EndRoleForm {
    reason: String,
}

#[derive(Serialize)]
struct EndRolePage {
    code: String,
    practice: String,
    id: i32,
    name: String,
    role: &'static str,
    nominated: bool,
    ballots_awaiting: Vec<(i32, String)>,
    form: EndRoleForm,
}

async fn end_role_page(
    ui: &Ui,
    user: &CurrentUser,
    ods: String,
    id: i32,
    form: EndRoleForm,
    errors: Vec<FieldError>,
) -> AppResult<HttpResponse> {
    let grants = user.grants();
    let ending = ui
        .state()
        .run(move |pool| service::ending_role(pool, &grants, &ods, id))
        .await?;
    let role = super::model::RepresentativeKind::parse(&ending.record.kind)
        .map_or("Representative", super::model::RepresentativeKind::label);
    let page = EndRolePage {
        code: ending.practice.ods_code.clone(),
        practice: ending.practice.name.clone(),
        id,
        name: ending.record.name.clone(),
        role,
        nominated: ending.record.kind == "nominated",
        ballots_awaiting: ending.ballots_awaiting,
        form,
    };
    let title = format!("End {}'s role", ending.record.name);
    ui.form_page("registry/end_role", &title, errors, &page)
}

pub async fn end_representative_form(
    ui: Ui,
    user: CurrentUser,
    path: web::Path<(String, i32)>,
) -> AppResult<HttpResponse> {
    let (ods, id) = path.into_inner();
    end_role_page(&ui, &user, ods, id, EndRoleForm::default(), Vec::new()).await
}

pub async fn end_representative(
    ui: Ui,
    user: CurrentUser,
    path: web::Path<(String, i32)>,
    form: CsrfForm<EndRoleForm>,
) -> AppResult<HttpResponse> {
    let (ods, id) = path.into_inner();
    let actor = (*user.0).clone();
    let code = ods.clone();
    let reason = form.0.reason.clone();
    match ui
        .state()
        .run(move |pool| service::end_representative(pool, &actor, &code, id, &reason))
        .await
    {
        Ok(()) => Ok(ui.see_other(
            &format!("/practices/{}", ods.to_ascii_uppercase()),
            Some(Flash {
                heading: "Role ended".into(),
                body: None,
            }),
        )),
        Err(AppError::Invalid(errors)) => end_role_page(&ui, &user, ods, id, form.0, errors).await,
        Err(other) => Err(other),
    }
}

#[derive(Serialize)]
struct ThresholdField {
    id: String,
    name: &'static str,
    label: &'static str,
    options: Vec<Choice>,
}

#[derive(Serialize)]
struct SettingsRow {
    key: &'static str,
    value: String,
}

#[derive(Serialize)]
struct SettingsView {
    organisation: String,
    code: String,
    summary: Vec<SettingsRow>,
    may_edit: bool,
    weighting: Vec<Choice>,
    patients_per_vote: String,
    quorum_basis: Vec<Choice>,
    quorum_percent: String,
    thresholds: Vec<ThresholdField>,
    minimum_notice_days: String,
    voters: Vec<Choice>,
    reason: String,
}

fn settings_view(
    overseen: &service::Overseen,
    settings: &super::constitution::ConstitutionSettings,
    form: &super::constitution::SettingsForm,
    may_edit: bool,
    reason: &str,
) -> SettingsView {
    use super::constitution::{DECISIONS, Threshold};
    let threshold_field = |(name, label): (&'static str, &'static str), current: &str| {
        let mut options: Vec<(String, String)> = Threshold::PRESETS.iter().map(|t| (t.stored(), t.label())).collect();
        if let Some(custom) = Threshold::parse(current).filter(|t| !Threshold::PRESETS.contains(t)) {
            options.push((custom.stored(), custom.label()));
        }
        ThresholdField {
            id: name.replace('_', "-"),
            name,
            label,
            options: options
                .into_iter()
                .enumerate()
                .map(|(i, (value, label))| Choice {
                    checked: value == current,
                    value,
                    label,
                    id: i.to_string(),
                })
                .collect(),
        }
    };
    SettingsView {
        reason: reason.to_owned(),
        organisation: overseen.summary.name.clone(),
        code: overseen.summary.code.clone(),
        summary: settings
            .describe()
            .into_iter()
            .map(|(key, value)| SettingsRow { key, value })
            .collect(),
        may_edit,
        weighting: choices(
            "weighting",
            &[
                ("per_practice", "One practice, one vote"),
                ("per_patients", "One vote per so many registered patients, rounded up"),
                ("list_size", "By registered list size"),
            ],
            &form.weighting,
        ),
        patients_per_vote: form.patients_per_vote.clone(),
        quorum_basis: choices(
            "quorum-basis",
            &[
                ("practices", "A share of member practices"),
                ("weight", "A share of the total vote weight"),
                ("none", "No quorum"),
            ],
            &form.quorum_basis,
        ),
        quorum_percent: form.quorum_percent.clone(),
        thresholds: vec![
            threshold_field(DECISIONS[0], &form.ordinary_threshold),
            threshold_field(DECISIONS[1], &form.amendment_threshold),
            threshold_field(DECISIONS[2], &form.removal_threshold),
            threshold_field(DECISIONS[3], &form.dissolution_threshold),
        ],
        minimum_notice_days: form.minimum_notice_days.clone(),
        voters: choices(
            "voters",
            &[
                (
                    "nominated_or_deputy",
                    "The nominated voting representative or their deputy",
                ),
                ("nominated", "Only the nominated voting representative"),
            ],
            &form.voters,
        ),
    }
}

const SETTINGS_TITLE: &str = "Constitution settings";

pub async fn constitution(ui: Ui, user: CurrentUser, code: web::Path<String>) -> AppResult<HttpResponse> {
    let grants = user.grants();
    let code = code.into_inner();
    let (overseen, settings) = ui
        .state()
        .run(move |pool| service::constitution(pool, &grants, &code))
        .await?;
    let view = settings_view(
        &overseen,
        &settings,
        &settings.to_form(),
        user.grants().administers_organisation(overseen.id),
        "",
    );
    ui.page("registry/constitution", SETTINGS_TITLE, &view)
}

/// The settings form with the reason for the change.
#[derive(serde::Deserialize)]
pub struct SettingsChange {
    #[serde(flatten)]
    settings: super::constitution::SettingsForm,
    #[serde(default)]
    reason: String,
}

pub async fn update_constitution(
    ui: Ui,
    user: CurrentUser,
    code: web::Path<String>,
    form: CsrfForm<SettingsChange>,
) -> AppResult<HttpResponse> {
    let code = code.into_inner().to_ascii_uppercase();
    let SettingsChange { settings: form, reason } = form.0;
    let actor = (*user.0).clone();
    let (lookup, submitted, why) = (code.clone(), form.clone(), reason.clone());
    match ui
        .state()
        .run(move |pool| service::update_constitution(pool, &actor, &lookup, &submitted, &why))
        .await
    {
        Ok(()) => Ok(ui.see_other(
            &format!("/organisations/{code}/settings"),
            Some(Flash {
                heading: "Constitution settings saved".into(),
                body: None,
            }),
        )),
        Err(AppError::Invalid(errors)) => {
            let grants = user.grants();
            let lookup = code.clone();
            let (overseen, settings) = ui
                .state()
                .run(move |pool| service::constitution(pool, &grants, &lookup))
                .await?;
            let view = settings_view(&overseen, &settings, &form, true, &reason);
            ui.form_errors(
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                "registry/constitution",
                SETTINGS_TITLE,
                errors,
                &view,
            )
        }
        Err(other) => Err(other),
    }
}

/// The upload form of `/organisations/{code}/import`.
#[derive(actix_multipart::form::MultipartForm)]
pub struct UploadForm {
    #[multipart(rename = "_csrf")]
    csrf: Option<actix_multipart::form::text::Text<String>>,
    kind: Option<actix_multipart::form::text::Text<String>>,
    file: Option<actix_multipart::form::bytes::Bytes>,
}

/// Upload limits: the largest file accepted, and a clear message beyond it.
pub fn upload_config() -> actix_multipart::form::MultipartFormConfig {
    let limit = super::import::MAX_FILE_BYTES + 64 * 1024;
    actix_multipart::form::MultipartFormConfig::default()
        .total_limit(limit)
        .memory_limit(limit)
        .error_handler(|error, _req| {
            let message = error.to_string();
            if message.to_lowercase().contains("limit") {
                AppError::BadRequest(format!(
                    "the selected file must be smaller than {} MB",
                    super::import::MAX_FILE_BYTES / 1024 / 1024
                ))
                .into()
            } else {
                AppError::BadRequest(format!("the upload could not be read: {message}")).into()
            }
        })
}

#[derive(Serialize)]
struct UploadView {
    organisation: String,
    code: String,
    kinds: Vec<Choice>,
}

fn upload_view(overseen: &service::Overseen, kind: &str) -> UploadView {
    UploadView {
        organisation: overseen.summary.name.clone(),
        code: overseen.summary.code.clone(),
        kinds: choices(
            "kind",
            &[
                ("practices", "GP practices: the ODS epraccur.csv file"),
                (
                    "list_sizes",
                    "Registered list sizes: NHS Digital's gp-reg-pat-prac-all.csv",
                ),
            ],
            kind,
        ),
    }
}

async fn administered(ui: &Ui, user: &CurrentUser, code: &str) -> AppResult<service::Overseen> {
    let grants = user.grants();
    let lookup = code.to_owned();
    let overseen = ui
        .state()
        .run(move |pool| service::overseen_organisation(pool, &grants, &lookup))
        .await?;
    if !user.grants().administers_organisation(overseen.id) {
        return Err(AppError::Forbidden(format!(
            "Only administrators of {} can import into its register.",
            overseen.summary.name
        )));
    }
    Ok(overseen)
}

const UPLOAD_TITLE: &str = "Import NHS files";

pub async fn upload_form(ui: Ui, user: CurrentUser, code: web::Path<String>) -> AppResult<HttpResponse> {
    let overseen = administered(&ui, &user, &code).await?;
    ui.page("registry/import", UPLOAD_TITLE, &upload_view(&overseen, "practices"))
}

pub async fn upload(
    req: actix_web::HttpRequest,
    ui: Ui,
    user: CurrentUser,
    code: web::Path<String>,
    form: actix_multipart::form::MultipartForm<UploadForm>,
) -> AppResult<HttpResponse> {
    use super::import::UploadKind;
    use crate::error::FieldError;
    let form = form.into_inner();
    crate::web::csrf::verify(&req, form.csrf.as_ref().map(|t| t.0.as_str()))?;
    let overseen = administered(&ui, &user, &code).await?;
    let kind_text = form.kind.map(|t| t.0).unwrap_or_default();
    let kind = UploadKind::parse(&kind_text);
    let file = form
        .file
        .filter(|f| f.file_name.as_deref().is_some_and(|n| !n.is_empty()));
    let mut errors = Vec::new();
    if kind.is_none() {
        errors.push(FieldError::new("kind", "Select what the file holds"));
    }
    match &file {
        None => errors.push(FieldError::new("file", "Select a CSV file")),
        Some(f) if f.data.is_empty() => errors.push(FieldError::new("file", "The selected file is empty")),
        Some(_) => {}
    }
    let (Some(kind), Some(file), true) = (kind, file, errors.is_empty()) else {
        return ui.form_errors(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            "registry/import",
            UPLOAD_TITLE,
            errors,
            &upload_view(&overseen, &kind_text),
        );
    };
    let file_name = file.file_name.clone().unwrap_or_default();
    let (id, org_code, user_id) = (overseen.id, overseen.summary.code.clone(), user.id);
    let data = file.data;
    let staged = ui
        .state()
        .run(move |pool| super::import::stage_upload(pool, id, &org_code, user_id, kind, &file_name, &data))
        .await;
    match staged {
        Ok(token) => Ok(ui.see_other(
            &format!("/organisations/{}/import/{token}", overseen.summary.code),
            None,
        )),
        Err(AppError::Invalid(errors)) => ui.form_errors(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            "registry/import",
            UPLOAD_TITLE,
            errors.into_iter().map(|e| FieldError::new("file", e.message)).collect(),
            &upload_view(&overseen, kind.as_str()),
        ),
        Err(other) => Err(other),
    }
}

#[derive(Serialize)]
struct ChangeRow {
    code: String,
    name: String,
    field: String,
    before: String,
    after: String,
}

#[derive(Serialize)]
struct RowError {
    line: usize,
    message: String,
}

#[derive(Serialize)]
struct PreviewView {
    organisation: String,
    code: String,
    token: String,
    file_name: String,
    is_practices: bool,
    counts: Vec<SettingsRow>,
    added: Vec<super::import::PracticeRef>,
    changes: Vec<ChangeRow>,
    left: Vec<super::import::PracticeRef>,
    errors: Vec<RowError>,
    changes_anything: bool,
}

pub async fn preview(ui: Ui, user: CurrentUser, path: web::Path<(String, String)>) -> AppResult<HttpResponse> {
    use super::import::UploadPlan;
    let (code, token) = path.into_inner();
    let overseen = administered(&ui, &user, &code).await?;
    let (id, org_code, lookup) = (overseen.id, overseen.summary.code.clone(), token.clone());
    let staged = ui
        .state()
        .run(move |pool| super::import::staged_plan(pool, id, &org_code, &lookup))
        .await?;
    let errors = staged
        .plan
        .errors()
        .iter()
        .map(|e| RowError {
            line: e.line,
            message: e.message.clone(),
        })
        .collect();
    let row = |key: &'static str, n: usize| SettingsRow {
        key,
        value: crate::format::group_thousands(i32::try_from(n).unwrap_or(i32::MAX)),
    };
    let mut view = PreviewView {
        organisation: overseen.summary.name.clone(),
        code: overseen.summary.code.clone(),
        token,
        file_name: staged.file_name,
        is_practices: matches!(staged.plan, UploadPlan::Practices(_)),
        counts: Vec::new(),
        added: Vec::new(),
        changes: Vec::new(),
        left: Vec::new(),
        errors,
        changes_anything: false,
    };
    match staged.plan {
        UploadPlan::Practices(plan) => {
            if let Some(org) = plan.organisations.into_iter().next() {
                view.counts = vec![
                    row("Practices to add", org.added.len() + org.joined.len()),
                    row("Practices that change", org.changed.len()),
                    row("Practices that close", org.closed.len()),
                    row("Practices that leave", org.left.len()),
                    row("Unchanged", org.unchanged),
                    row("Active members after the import", org.active_members),
                ];
                view.changes_anything = org.changes_anything();
                view.changes = org
                    .changed
                    .iter()
                    .flat_map(|c| {
                        c.changes.iter().map(|f| ChangeRow {
                            code: c.code.clone(),
                            name: c.name.clone(),
                            field: f.field.to_owned(),
                            before: f.before.clone(),
                            after: f.after.clone(),
                        })
                    })
                    .collect();
                view.added = org.added.into_iter().chain(org.joined).collect();
                view.left = org.left;
            }
        }
        UploadPlan::ListSizes(plan) => {
            view.counts = vec![
                row("List sizes to add", plan.added),
                row("List sizes that change", plan.changed.len()),
                row("Unchanged", plan.unchanged),
                row("Practices not in the register (ignored)", plan.not_in_register),
            ];
            view.changes_anything = plan.added > 0 || !plan.changed.is_empty();
            view.changes = plan
                .changed
                .iter()
                .map(|c| ChangeRow {
                    code: c.code.clone(),
                    name: c.name.clone(),
                    field: "registered patients".into(),
                    before: c.before.to_string(),
                    after: c.after.to_string(),
                })
                .collect();
        }
    }
    ui.page(
        "registry/import_preview",
        "Check the changes before you import them",
        &view,
    )
}

#[derive(serde::Deserialize)]
pub struct ConfirmForm {
    skip_bad_rows: Option<String>,
}

pub async fn confirm_import(
    ui: Ui,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    form: CsrfForm<ConfirmForm>,
) -> AppResult<HttpResponse> {
    use super::import::UploadPlan;
    let (code, token) = path.into_inner();
    let overseen = administered(&ui, &user, &code).await?;
    let actor = user.actor();
    let skip = form.0.skip_bad_rows.is_some();
    let (id, org_code) = (overseen.id, overseen.summary.code.clone());
    let plan = ui
        .state()
        .run(move |pool| super::import::confirm_upload(pool, &actor, id, &org_code, &token, skip))
        .await?;
    let body = match plan {
        UploadPlan::Practices(plan) => plan
            .organisations
            .first()
            .map(|o| {
                format!(
                    "{} practices added, {} changed, {} closed and {} left.",
                    o.added.len() + o.joined.len(),
                    o.changed.len(),
                    o.closed.len(),
                    o.left.len()
                )
            })
            .unwrap_or_default(),
        UploadPlan::ListSizes(plan) => format!("{} list sizes added and {} changed.", plan.added, plan.changed.len()),
    };
    Ok(ui.see_other(
        &format!("/organisations/{}/practices", overseen.summary.code),
        Some(Flash {
            heading: "Register updated".into(),
            body: Some(body),
        }),
    ))
}

#[derive(Serialize)]
struct PracticeFormView {
    is_new: bool,
    heading: String,
    action: String,
    back: String,
    form: super::practice_form::PracticeForm,
    statuses: Vec<Choice>,
}

fn practice_form_view(
    is_new: bool,
    heading: String,
    action: String,
    back: String,
    form: super::practice_form::PracticeForm,
) -> PracticeFormView {
    let options: Vec<(&str, &str)> = super::model::PracticeStatus::ALL
        .iter()
        .map(|s| (s.as_str(), s.label()))
        .collect();
    PracticeFormView {
        statuses: choices("status", &options, &form.status),
        is_new,
        heading,
        action,
        back,
        form,
    }
}

pub async fn edit_practice_form(ui: Ui, user: CurrentUser, ods: web::Path<String>) -> AppResult<HttpResponse> {
    let grants = user.grants();
    let ods = ods.into_inner();
    let (practice, form) = ui
        .state()
        .run(move |pool| service::practice_for_editing(pool, &grants, &ods))
        .await?;
    let code = practice.ods_code.clone();
    let view = practice_form_view(
        false,
        format!("Change {}", practice.name),
        format!("/practices/{code}/edit"),
        format!("/practices/{code}"),
        form,
    );
    ui.page("registry/practice_form", "Change practice details", &view)
}

pub async fn edit_practice(
    ui: Ui,
    user: CurrentUser,
    ods: web::Path<String>,
    form: CsrfForm<super::practice_form::PracticeForm>,
) -> AppResult<HttpResponse> {
    let code = ods.into_inner().to_ascii_uppercase();
    let form = form.0;
    let actor = (*user.0).clone();
    let (lookup, submitted) = (code.clone(), form.clone());
    match ui
        .state()
        .run(move |pool| service::edit_practice(pool, &actor, &lookup, &submitted))
        .await
    {
        Ok(()) => Ok(ui.see_other(
            &format!("/practices/{code}"),
            Some(Flash {
                heading: "Practice details saved".into(),
                body: None,
            }),
        )),
        Err(AppError::Invalid(errors)) => {
            let view = practice_form_view(
                false,
                format!("Change {code}"),
                format!("/practices/{code}/edit"),
                format!("/practices/{code}"),
                form,
            );
            ui.form_errors(
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                "registry/practice_form",
                "Change practice details",
                errors,
                &view,
            )
        }
        Err(other) => Err(other),
    }
}

pub async fn add_practice_form(ui: Ui, user: CurrentUser, code: web::Path<String>) -> AppResult<HttpResponse> {
    let overseen = administered(&ui, &user, &code).await?;
    let org = overseen.summary.code.clone();
    let form = super::practice_form::PracticeForm {
        status: "active".into(),
        ..Default::default()
    };
    let view = practice_form_view(
        true,
        "Add a practice".into(),
        format!("/organisations/{org}/practices/new"),
        format!("/organisations/{org}/practices"),
        form,
    );
    ui.page("registry/practice_form", "Add a practice", &view)
}

pub async fn add_practice(
    ui: Ui,
    user: CurrentUser,
    code: web::Path<String>,
    form: CsrfForm<super::practice_form::PracticeForm>,
) -> AppResult<HttpResponse> {
    let org = code.into_inner().to_ascii_uppercase();
    let form = form.0;
    let actor = (*user.0).clone();
    let (lookup, submitted) = (org.clone(), form.clone());
    match ui
        .state()
        .run(move |pool| service::add_practice(pool, &actor, &lookup, &submitted))
        .await
        .map_err(|e| match e {
            // On the form, an existing code is a problem with the code field.
            AppError::Conflict(message) => AppError::invalid("code", message),
            other => other,
        }) {
        Ok(ods) => Ok(ui.see_other(
            &format!("/practices/{ods}"),
            Some(Flash {
                heading: "Practice added".into(),
                body: None,
            }),
        )),
        Err(AppError::Invalid(errors)) => {
            let view = practice_form_view(
                true,
                "Add a practice".into(),
                format!("/organisations/{org}/practices/new"),
                format!("/organisations/{org}/practices"),
                form,
            );
            ui.form_errors(
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                "registry/practice_form",
                "Add a practice",
                errors,
                &view,
            )
        }
        Err(other) => Err(other),
    }
}

#[derive(Serialize)]
struct ProposeView {
    code: String,
    name: String,
    form: super::practice_form::PracticeForm,
    statuses: Vec<Choice>,
    note: String,
}

#[derive(serde::Deserialize)]
pub struct ProposeForm {
    #[serde(flatten)]
    practice: super::practice_form::PracticeForm,
    #[serde(default)]
    note: String,
}

fn propose_view(code: &str, name: &str, form: super::practice_form::PracticeForm, note: String) -> ProposeView {
    let options: Vec<(&str, &str)> = super::model::PracticeStatus::ALL
        .iter()
        .map(|s| (s.as_str(), s.label()))
        .collect();
    ProposeView {
        statuses: choices("status", &options, &form.status),
        code: code.to_owned(),
        name: name.to_owned(),
        form,
        note,
    }
}

const PROPOSE_TITLE: &str = "Propose a change";

pub async fn propose_form(ui: Ui, user: CurrentUser, ods: web::Path<String>) -> AppResult<HttpResponse> {
    let detail = load_practice(&ui, &user, &ods).await?;
    if !user.grants().represents_practice(detail.practice.id) {
        return Err(AppError::Forbidden(
            "Only the practice's own representatives can propose changes to it.".into(),
        ));
    }
    let p = &detail.practice;
    let form = super::practice_form::PracticeForm::from_details(&p.ods_code, &p.details());
    ui.page(
        "registry/propose",
        PROPOSE_TITLE,
        &propose_view(&p.ods_code, &p.name, form, String::new()),
    )
}

pub async fn propose(
    ui: Ui,
    user: CurrentUser,
    ods: web::Path<String>,
    form: CsrfForm<ProposeForm>,
) -> AppResult<HttpResponse> {
    let code = ods.into_inner().to_ascii_uppercase();
    let form = form.0;
    let actor = (*user.0).clone();
    let (lookup, practice_form, note) = (code.clone(), form.practice.clone(), form.note.clone());
    match ui
        .state()
        .run(move |pool| service::propose_change(pool, &actor, &lookup, &practice_form, &note))
        .await
    {
        Ok(()) => Ok(ui.see_other(
            &format!("/practices/{code}"),
            Some(Flash {
                heading: "Change proposed".into(),
                body: Some("An administrator of your organisation will check it before it takes effect.".into()),
            }),
        )),
        Err(AppError::Invalid(errors)) => {
            let name = form.practice.name.clone();
            ui.form_errors(
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                "registry/propose",
                PROPOSE_TITLE,
                errors,
                &propose_view(&code, &name, form.practice, form.note),
            )
        }
        Err(other) => Err(other),
    }
}

#[derive(Serialize)]
struct ProposalRow {
    id: i32,
    practice: String,
    code: String,
    requested_by: String,
    when: String,
    changes: Vec<ChangeRow>,
    note: String,
}

#[derive(Serialize)]
struct ProposalsView {
    organisation: String,
    code: String,
    proposals: Vec<ProposalRow>,
}

pub async fn proposals(ui: Ui, user: CurrentUser, code: web::Path<String>) -> AppResult<HttpResponse> {
    let grants = user.grants();
    let code = code.into_inner();
    let (organisation, proposals) = ui
        .state()
        .run(move |pool| service::proposals(pool, &grants, &code))
        .await?;
    let view = ProposalsView {
        organisation: organisation.summary.name.clone(),
        code: organisation.summary.code.clone(),
        proposals: proposals
            .into_iter()
            .map(|p| ProposalRow {
                id: p.id,
                practice: p.practice_name.clone(),
                code: p.practice_code.clone(),
                requested_by: p.requested_by,
                when: crate::time::date_time(p.created_at),
                changes: p
                    .changes
                    .iter()
                    .map(|f| ChangeRow {
                        code: p.practice_code.clone(),
                        name: p.practice_name.clone(),
                        field: f.field.to_owned(),
                        before: f.before.clone(),
                        after: f.after.clone(),
                    })
                    .collect(),
                note: p.note,
            })
            .collect(),
    };
    ui.page("registry/proposals", "Proposed changes", &view)
}

pub async fn decide_proposal(
    ui: Ui,
    user: CurrentUser,
    path: web::Path<(String, i32, String)>,
    _form: CsrfForm<crate::web::csrf::NoFields>,
) -> AppResult<HttpResponse> {
    let (code, id, decision) = path.into_inner();
    let approve = match decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(AppError::NotFound),
    };
    let actor = (*user.0).clone();
    let lookup = code.clone();
    let practice = ui
        .state()
        .run(move |pool| service::decide_proposal(pool, &actor, &lookup, id, approve))
        .await?;
    Ok(ui.see_other(
        &format!("/organisations/{}/proposals", code.to_ascii_uppercase()),
        Some(Flash {
            heading: if approve {
                "Change approved".into()
            } else {
                "Change rejected".into()
            },
            body: Some(format!(
                "{practice}'s proposed change has been {}.",
                if approve { "applied" } else { "rejected" }
            )),
        }),
    ))
}

#[derive(serde::Deserialize)]
pub struct LmcForm {
    #[serde(default)]
    lmc: String,
}

/// Adds (`/lmcs`) or removes (`/lmcs/remove`) an LMC's coverage of an organisation.
pub async fn change_lmc(
    ui: Ui,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    form: CsrfForm<LmcForm>,
) -> AppResult<HttpResponse> {
    let (code, action) = path.into_inner();
    let covers = match action.as_str() {
        "add" => true,
        "remove" => false,
        _ => return Err(AppError::NotFound),
    };
    let actor = (*user.0).clone();
    let typed = form.0.lmc;
    let (lookup, lmc) = (code.clone(), typed.clone());
    let outcome = ui
        .state()
        .run(move |pool| service::set_lmc_coverage(pool, &actor, &lookup, &lmc, covers))
        .await;
    let name = match outcome {
        Ok(name) => name,
        // The organisation's page again, with the form's error and what was typed.
        Err(AppError::Invalid(errors)) => {
            let errors = errors.into_iter().map(|e| FieldError::new("lmc", e.message)).collect();
            return organisation_page(&ui, &user, code, typed, errors).await;
        }
        Err(other) => return Err(other),
    };
    Ok(ui.see_other(
        &format!("/organisations/{}", code.to_ascii_uppercase()),
        Some(Flash {
            heading: if covers {
                format!("{name} now covers this organisation")
            } else {
                format!("{name} no longer covers this organisation")
            },
            body: None,
        }),
    ))
}
