//! The register of interests' pages: the register (public, or the
//! organisation's own view), its CSV, adding a person and recording a
//! declaration.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::model::{self, Category, Kind};
use super::service::{self, DeclarationForm, PersonForm, Register};
use crate::accounts::model::Grants;
use crate::error::{AppError, AppResult, FieldError};
use crate::web::auth::{CurrentUser, MaybeUser};
use crate::web::csrf::CsrfForm;
use crate::web::form::{Choice, choices};
use crate::web::page::Ui;
use crate::web::render::Flash;

#[derive(Serialize)]
struct EntryView {
    person: String,
    position: String,
    interest: String,
    category: String,
    counterparty: String,
    description: String,
    dates: String,
    declared: String,
    late: bool,
    value: String,
    management: String,
    agreed_by: String,
    /// For the organisation's view: why the entry is not on the public
    /// register.
    not_public: Option<String>,
}

#[derive(Serialize)]
struct PersonView {
    name: String,
    position: String,
    decision_maker: bool,
    declared: usize,
    declare_href: Option<String>,
    edit_href: Option<String>,
    /// When they left, if they have.
    left: Option<String>,
}

#[derive(Serialize)]
struct RegisterPage {
    code: String,
    organisation: String,
    full: bool,
    may_administer: bool,
    today: String,
    entries: Vec<EntryView>,
    people: Vec<PersonView>,
    late: usize,
    withheld_hidden: usize,
    page: usize,
    pages: usize,
    showing: String,
    previous_href: Option<String>,
    next_href: Option<String>,
}

/// "From 1 April 2026", or "1 April 2026 to 31 March 2027".
fn dates_held(d: &model::Declaration) -> String {
    match d.ends_on {
        Some(end) => format!("{} to {}", crate::time::day(d.starts_on), crate::time::day(end)),
        None => format!("From {}", crate::time::day(d.starts_on)),
    }
}

/// People shown on one page of the register (a page of 50 people and their
/// entries stays quick to load and to read; the CSV has everyone).
const PEOPLE_PER_PAGE: usize = 50;

fn register_view(register: &Register, page: usize, public_only: bool) -> RegisterPage {
    let code = register.organisation.ods_code.clone();
    let pages = register.people.len().div_ceil(PEOPLE_PER_PAGE).max(1);
    let page = page.clamp(1, pages);
    let shown = &register.people[((page - 1) * PEOPLE_PER_PAGE).min(register.people.len())
        ..(page * PEOPLE_PER_PAGE).min(register.people.len())];
    let late = register
        .people
        .iter()
        .map(|p| {
            p.entries
                .iter()
                .filter(|e| e.declaration.declared_late_after(p.person.appointed_on))
                .count()
        })
        .sum();
    let href = |n: usize| {
        format!(
            "/organisations/{code}/interests?{}page={n}",
            if public_only { "view=public&" } else { "" }
        )
    };
    let mut entries = Vec::new();
    for person in shown {
        for entry in &person.entries {
            let d = &entry.declaration;
            let not_public = if !register.full {
                None
            } else if let Some(reason) = &d.withheld_reason {
                Some(format!("Withheld from the public register: {reason}"))
            } else if !person.person.decision_maker {
                Some("Not a decision-maker, so not on the public register".to_owned())
            } else if !d.public_on(register.today) {
                Some("Ended more than six months ago, so no longer on the public register".to_owned())
            } else {
                None
            };
            entries.push(EntryView {
                person: person.person.name.clone(),
                position: person.person.position.clone(),
                interest: d.kind.words().to_owned(),
                category: d.category.words().to_owned(),
                counterparty: d.counterparty.clone(),
                description: d.description.clone(),
                dates: dates_held(d),
                declared: crate::time::day(d.declared_on),
                late: d.declared_late_after(person.person.appointed_on),
                value: match (d.value_pence, d.accepted) {
                    (Some(v), Some(true)) => format!("{}, accepted", model::pounds(v)),
                    (Some(v), Some(false)) => format!("{}, declined", model::pounds(v)),
                    (Some(v), None) => model::pounds(v),
                    (None, _) => String::new(),
                },
                management: d.management.clone(),
                agreed_by: d.agreed_by.clone(),
                not_public,
            });
        }
    }
    RegisterPage {
        organisation: register.organisation.name.clone(),
        full: register.full,
        may_administer: register.may_administer,
        today: crate::time::day(register.today),
        late,
        withheld_hidden: register.withheld_hidden,
        page,
        pages,
        showing: if pages > 1 {
            format!(
                "People {} to {} of {}, with their entries.",
                (page - 1) * PEOPLE_PER_PAGE + 1,
                (page - 1) * PEOPLE_PER_PAGE + shown.len(),
                register.people.len()
            )
        } else {
            String::new()
        },
        previous_href: (page > 1).then(|| href(page - 1)),
        next_href: (page < pages).then(|| href(page + 1)),
        people: shown
            .iter()
            .map(|p| PersonView {
                name: p.person.name.clone(),
                position: p.person.position.clone(),
                decision_maker: p.person.decision_maker,
                declared: p.entries.len(),
                declare_href: register
                    .may_administer
                    .then(|| format!("/organisations/{code}/interests/declare?person={}", p.person.id)),
                edit_href: register
                    .may_administer
                    .then(|| format!("/organisations/{code}/interests/people/{}", p.person.id)),
                left: p
                    .person
                    .left_on
                    .filter(|left| *left <= register.today)
                    .map(crate::time::day),
            })
            .collect(),
        entries,
        code,
    }
}

fn grants_of(user: &MaybeUser) -> Grants {
    user.0.as_ref().map(|u| u.grants()).unwrap_or_default()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegisterQuery {
    /// "public" shows the organisation's own people the public register.
    view: String,
    /// The page of people, from 1.
    page: String,
}

#[derive(Serialize)]
struct RoundView {
    id: i32,
    title: String,
    due: String,
    returned: usize,
    nil: usize,
    reminded: Option<String>,
    non_declarers: Vec<String>,
    people: Vec<Choice>,
    kinds: Vec<Choice>,
}

#[derive(Serialize)]
struct BreachView {
    occurred: String,
    person: String,
    description: String,
    action_taken: String,
}

#[derive(Serialize)]
struct FullRegisterPage {
    #[serde(flatten)]
    register: RegisterPage,
    round: Option<RoundView>,
    /// A round is open until its date due: no other can be opened.
    round_open: bool,
    breaches: Vec<BreachView>,
    breach_people: Vec<Choice>,
    round_form: service::RoundForm,
    breach_form: service::BreachForm,
}

async fn register_page(
    ui: &Ui,
    user: &MaybeUser,
    code: String,
    (public_only, page): (bool, usize),
    status: StatusCode,
    errors: Vec<FieldError>,
    forms: (service::RoundForm, service::BreachForm),
) -> AppResult<HttpResponse> {
    let grants = grants_of(user);
    let (register, round, breaches) = ui
        .state()
        .run(move |pool| {
            let register = service::register(pool, &grants, &code, service::today(), public_only)?;
            let (round, breaches) = if register.full {
                (
                    service::round_status(pool, &grants, &code)?,
                    service::breaches(pool, &grants, &code)?,
                )
            } else {
                (None, Vec::new())
            };
            Ok((register, round, breaches))
        })
        .await?;
    let names: Vec<(String, String)> = register
        .people
        .iter()
        .map(|p| {
            (
                p.person.id.to_string(),
                format!("{}, {}", p.person.name, p.person.position),
            )
        })
        .collect();
    let name_of = |id: i32| {
        register
            .people
            .iter()
            .find(|p| p.person.id == id)
            .map_or_else(String::new, |p| p.person.name.clone())
    };
    let today = register.today;
    let in_post: Vec<&(String, String)> = names
        .iter()
        .zip(&register.people)
        .filter(|(_, p)| p.person.active_on(today))
        .map(|(n, _)| n)
        .collect();
    let mut person_pairs: Vec<(&str, &str)> = vec![("", "Choose a person")];
    person_pairs.extend(in_post.iter().map(|(v, l)| (v.as_str(), l.as_str())));
    let mut breach_pairs: Vec<(&str, &str)> = vec![("", "Nobody named")];
    breach_pairs.extend(names.iter().map(|(v, l)| (v.as_str(), l.as_str())));
    let page = FullRegisterPage {
        round_open: round.as_ref().is_some_and(|r| today <= r.round.due_on),
        round: round.map(|r| RoundView {
            id: r.round.id,
            title: r.round.title.clone(),
            due: crate::time::day(r.round.due_on),
            returned: r.returns.len(),
            nil: r.returns.iter().filter(|(_, nil, _)| *nil).count(),
            reminded: r.round.last_reminded_at.map(crate::time::date_time),
            non_declarers: r
                .non_declarers
                .iter()
                .map(|p| {
                    format!(
                        "{}, {}{}",
                        p.name,
                        p.position,
                        if p.email.is_none() { " (no email address)" } else { "" }
                    )
                })
                .collect(),
            people: choices("return-person", &person_pairs, ""),
            kinds: choices(
                "return-kind",
                &[
                    ("nil", "A nil return: no interests to declare"),
                    (
                        "declared",
                        "Interests declared: those running on the register are complete",
                    ),
                ],
                "",
            ),
        }),
        breaches: breaches
            .iter()
            .map(|b| BreachView {
                occurred: crate::time::day(b.occurred_on),
                person: b.person_id.map(name_of).unwrap_or_default(),
                description: b.description.clone(),
                action_taken: b.action_taken.clone(),
            })
            .collect(),
        breach_people: choices("breach-person", &breach_pairs, &forms.1.person),
        round_form: forms.0,
        breach_form: forms.1,
        register: register_view(&register, page, public_only),
    };
    ui.form_errors(status, "committee/register", "Register of interests", errors, &page)
}

pub async fn register(
    ui: Ui,
    user: MaybeUser,
    code: web::Path<String>,
    query: web::Query<RegisterQuery>,
) -> AppResult<HttpResponse> {
    register_page(
        &ui,
        &user,
        code.into_inner(),
        (query.view == "public", query.page.trim().parse().unwrap_or(1)),
        StatusCode::OK,
        Vec::new(),
        Default::default(),
    )
    .await
}

/// After a keeper's form on the register page: back to it, or the page
/// again with what was wrong.
async fn after(
    ui: &Ui,
    user: CurrentUser,
    code: String,
    done: AppResult<Flash>,
    forms: (service::RoundForm, service::BreachForm),
) -> AppResult<HttpResponse> {
    let code = code.to_ascii_uppercase();
    let user = MaybeUser(Some(user.0));
    match done {
        Ok(flash) => Ok(ui.see_other(&format!("/organisations/{code}/interests"), Some(flash))),
        Err(AppError::Invalid(errors)) => {
            register_page(
                ui,
                &user,
                code,
                (false, 1),
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
                forms,
            )
            .await
        }
        Err(AppError::Conflict(why)) => {
            let errors = vec![FieldError::new("round", why)];
            register_page(ui, &user, code, (false, 1), StatusCode::CONFLICT, errors, forms).await
        }
        Err(other) => Err(other),
    }
}

pub async fn open_round(
    ui: Ui,
    user: CurrentUser,
    code: web::Path<String>,
    form: CsrfForm<service::RoundForm>,
) -> AppResult<HttpResponse> {
    let code = code.into_inner();
    let form = form.0;
    let actor = (*user.0).clone();
    let outbox = ui.state().outbox.clone();
    let (lookup, sent) = (code.clone(), form.clone());
    let done = ui
        .state()
        .run(move |pool| service::open_round(pool, &outbox, &actor, &lookup, &sent))
        .await
        .map(|_| Flash {
            heading: "Declaration round opened".into(),
            body: Some("Everyone on the register with an email address has been asked to declare.".into()),
        });
    after(&ui, user, code, done, (form, Default::default())).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReturnForm {
    person: String,
    kind: String,
}

pub async fn record_return(
    ui: Ui,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    form: CsrfForm<ReturnForm>,
) -> AppResult<HttpResponse> {
    let (code, round) = path.into_inner();
    let round: i32 = round.parse().map_err(|_| AppError::NotFound)?;
    let actor = (*user.0).clone();
    let lookup = code.clone();
    let form = form.0;
    let done = ui
        .state()
        .run(move |pool| service::record_return(pool, &actor, &lookup, round, &form.person, &form.kind))
        .await
        .map(|()| Flash {
            heading: "Return recorded".into(),
            body: None,
        });
    after(&ui, user, code, done, Default::default()).await
}

pub async fn remind(
    ui: Ui,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    _form: CsrfForm<std::collections::HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    let (code, round) = path.into_inner();
    let round: i32 = round.parse().map_err(|_| AppError::NotFound)?;
    let actor = (*user.0).clone();
    let outbox = ui.state().outbox.clone();
    let lookup = code.clone();
    let done = ui
        .state()
        .run(move |pool| service::remind(pool, &outbox, &actor, &lookup, round))
        .await
        .map(|reminded| Flash {
            heading: format!("{reminded} reminded by email"),
            body: Some("Those with no email address on the register are listed: remind them another way.".into()),
        });
    after(&ui, user, code, done, Default::default()).await
}

pub async fn record_breach(
    ui: Ui,
    user: CurrentUser,
    code: web::Path<String>,
    form: CsrfForm<service::BreachForm>,
) -> AppResult<HttpResponse> {
    let code = code.into_inner();
    let form = form.0;
    let actor = (*user.0).clone();
    let (lookup, sent) = (code.clone(), form.clone());
    let done = ui
        .state()
        .run(move |pool| service::record_breach(pool, &actor, &lookup, &sent))
        .await
        .map(|_| Flash {
            heading: "Breach recorded".into(),
            body: None,
        });
    after(&ui, user, code, done, (Default::default(), form)).await
}

pub async fn register_csv(ui: Ui, code: web::Path<String>) -> AppResult<HttpResponse> {
    let code = code.into_inner();
    let (csv, code) = ui
        .state()
        .run(move |pool| {
            let register = service::register(pool, &Grants::default(), &code, service::today(), true)?;
            Ok((service::register_csv(&register)?, register.organisation.ods_code))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{code}-register-of-interests.csv\""),
        ))
        .body(csv))
}

#[derive(Serialize)]
struct PersonEntryLine {
    id: i32,
    interest: String,
    counterparty: String,
    description: String,
    dates: String,
    declared: String,
    running: bool,
    field: String,
    label: String,
    message: Option<String>,
}

#[derive(Serialize)]
struct PersonPage {
    code: String,
    organisation: String,
    heading: String,
    action: String,
    button: &'static str,
    editing: bool,
    person_id: Option<i32>,
    entries: Vec<PersonEntryLine>,
    form: PersonForm,
    decision_maker: Vec<Choice>,
}

fn decision_maker_choices(chosen: &str) -> Vec<Choice> {
    choices(
        "decision-maker",
        &[
            ("yes", "Yes: a decision-maker, whose interests are published"),
            ("no", "No: kept on the register for the organisation only"),
        ],
        chosen,
    )
}

async fn person_page(
    ui: &Ui,
    user: &CurrentUser,
    code: String,
    form: PersonForm,
    errors: Vec<FieldError>,
) -> AppResult<HttpResponse> {
    let actor = (*user.0).clone();
    let (organisation, _) = ui.state().run(move |pool| service::people(pool, &actor, &code)).await?;
    let page = PersonPage {
        action: format!("/organisations/{}/interests/people", organisation.ods_code),
        heading: "Add a person to the register of interests".into(),
        button: "Add the person",
        editing: false,
        person_id: None,
        entries: Vec::new(),
        code: organisation.ods_code,
        organisation: organisation.name,
        decision_maker: decision_maker_choices(&form.decision_maker),
        form,
    };
    ui.form_page("committee/person", "Add a person to the register", errors, &page)
}

/// A person's own page: their details to edit, and their interests, each
/// running one with a form to record its end. `form` is what was sent, or
/// `None` for the stored details.
async fn edit_person_page(
    ui: &Ui,
    user: &CurrentUser,
    (code, id): (String, i32),
    form: Option<PersonForm>,
    status: StatusCode,
    errors: Vec<FieldError>,
) -> AppResult<HttpResponse> {
    let actor = (*user.0).clone();
    let record = ui
        .state()
        .run(move |pool| service::person_record(pool, &actor, &code, id))
        .await?;
    let person = &record.person;
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let form = form.unwrap_or_else(|| PersonForm {
        name: person.name.clone(),
        email: person.email.clone().unwrap_or_default(),
        position: person.position.clone(),
        decision_maker: if person.decision_maker { "yes" } else { "no" }.into(),
        appointed: date(person.appointed_on),
        left: date(person.left_on),
    });
    let today = service::today();
    let entries = record
        .entries
        .iter()
        .map(|e| {
            let d = &e.declaration;
            let field = format!("ended-{}", e.row.id);
            PersonEntryLine {
                id: e.row.id,
                interest: d.kind.words().to_owned(),
                counterparty: d.counterparty.clone(),
                description: d.description.clone(),
                dates: dates_held(d),
                declared: crate::time::day(d.declared_on),
                running: d.ends_on.is_none() && d.starts_on <= today,
                label: format!("When the interest with {} ended", d.counterparty),
                message: errors.iter().find(|x| x.field == field).map(|x| x.message.clone()),
                field,
            }
        })
        .collect();
    let page = PersonPage {
        action: format!(
            "/organisations/{}/interests/people/{}",
            record.organisation.ods_code, person.id
        ),
        heading: person.name.clone(),
        button: "Save the changes",
        editing: true,
        person_id: Some(person.id),
        entries,
        code: record.organisation.ods_code.clone(),
        organisation: record.organisation.name.clone(),
        decision_maker: decision_maker_choices(&form.decision_maker),
        form,
    };
    ui.form_errors(status, "committee/person", &person.name, errors, &page)
}

fn person_path(path: web::Path<(String, String)>) -> AppResult<(String, i32)> {
    let (code, id) = path.into_inner();
    Ok((code, id.parse().map_err(|_| AppError::NotFound)?))
}

pub async fn edit_person_form(ui: Ui, user: CurrentUser, path: web::Path<(String, String)>) -> AppResult<HttpResponse> {
    let path = person_path(path)?;
    edit_person_page(&ui, &user, path, None, StatusCode::OK, Vec::new()).await
}

pub async fn update_person(
    ui: Ui,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    form: CsrfForm<PersonForm>,
) -> AppResult<HttpResponse> {
    let (code, id) = person_path(path)?;
    let form = form.0;
    let actor = (*user.0).clone();
    let (lookup, sent) = (code.clone(), form.clone());
    match ui
        .state()
        .run(move |pool| service::update_person(pool, &actor, &lookup, id, &sent))
        .await
    {
        Ok(()) => Ok(ui.see_other(
            &format!("/organisations/{}/interests/people/{id}", code.to_ascii_uppercase()),
            Some(Flash {
                heading: "Changes saved".into(),
                body: None,
            }),
        )),
        Err(AppError::Invalid(errors)) => {
            edit_person_page(
                &ui,
                &user,
                (code, id),
                Some(form),
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
            )
            .await
        }
        Err(other) => Err(other),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EndForm {
    ended: String,
}

pub async fn end_interest(
    ui: Ui,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    form: CsrfForm<EndForm>,
) -> AppResult<HttpResponse> {
    let (code, interest) = person_path(path)?;
    let actor = (*user.0).clone();
    let lookup = code.clone();
    let ended = form.0.ended;
    let done = ui
        .state()
        .run(move |pool| service::end_interest(pool, &actor, &lookup, interest, &ended))
        .await;
    let field = format!("ended-{interest}");
    let (status, errors) = match done {
        Ok(person) => {
            return Ok(ui.see_other(
                &format!("/organisations/{}/interests/people/{person}", code.to_ascii_uppercase()),
                Some(Flash {
                    heading: "End of the interest recorded".into(),
                    body: Some("It stays on the public register for six months after it ended.".into()),
                }),
            ));
        }
        Err(AppError::Invalid(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
        Err(AppError::Conflict(why)) => (StatusCode::CONFLICT, vec![FieldError::new(&field, why)]),
        Err(other) => return Err(other),
    };
    // Back to the page of the person whose interest it is.
    let actor = (*user.0).clone();
    let lookup = code.clone();
    let person = ui
        .state()
        .run(move |pool| service::person_of_interest(pool, &actor, &lookup, interest))
        .await?;
    edit_person_page(&ui, &user, (code, person), None, status, errors).await
}

pub async fn person_form(ui: Ui, user: CurrentUser, code: web::Path<String>) -> AppResult<HttpResponse> {
    person_page(&ui, &user, code.into_inner(), PersonForm::default(), Vec::new()).await
}

pub async fn add_person(
    ui: Ui,
    user: CurrentUser,
    code: web::Path<String>,
    form: CsrfForm<PersonForm>,
) -> AppResult<HttpResponse> {
    let code = code.into_inner();
    let form = form.0;
    let actor = (*user.0).clone();
    let (lookup, sent) = (code.clone(), form.clone());
    match ui
        .state()
        .run(move |pool| service::add_person(pool, &actor, &lookup, &sent))
        .await
    {
        Ok(id) => Ok(ui.see_other(
            &format!(
                "/organisations/{}/interests/declare?person={id}",
                code.to_ascii_uppercase()
            ),
            Some(Flash {
                heading: format!("{} is on the register", form.name.trim()),
                body: Some("Now record their interests, one at a time.".into()),
            }),
        )),
        Err(AppError::Invalid(errors)) => person_page(&ui, &user, code, form, errors).await,
        Err(other) => Err(other),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeclareQuery {
    person: String,
}

#[derive(Serialize)]
struct DeclarePage {
    code: String,
    organisation: String,
    form: DeclarationForm,
    people: Vec<Choice>,
    categories: Vec<Choice>,
    kinds: Vec<Choice>,
    accepted: Vec<Choice>,
    no_people: bool,
}

async fn declare_page(
    ui: &Ui,
    user: &CurrentUser,
    code: String,
    form: DeclarationForm,
    status: StatusCode,
    errors: Vec<FieldError>,
) -> AppResult<HttpResponse> {
    let actor = (*user.0).clone();
    let (organisation, people) = ui.state().run(move |pool| service::people(pool, &actor, &code)).await?;
    let labels: Vec<(String, String)> = people
        .iter()
        .map(|p| (p.id.to_string(), format!("{}, {}", p.name, p.position)))
        .collect();
    let mut people_pairs: Vec<(&str, &str)> = vec![("", "Choose a person")];
    people_pairs.extend(labels.iter().map(|(id, label)| (id.as_str(), label.as_str())));
    let categories: Vec<(&str, &str)> = Category::ALL.iter().map(|c| (c.key(), c.words())).collect();
    let mut kinds: Vec<(&str, &str)> = vec![("", "Choose a type")];
    kinds.extend(Kind::ALL.iter().map(|k| (k.key(), k.words())));
    let page = DeclarePage {
        code: organisation.ods_code,
        organisation: organisation.name,
        no_people: people.is_empty(),
        people: choices("person", &people_pairs, &form.person),
        categories: choices("category", &categories, &form.category),
        kinds: choices("kind", &kinds, &form.kind),
        accepted: choices(
            "accepted",
            &[
                ("", "Not a gift or hospitality"),
                ("accepted", "Accepted"),
                ("declined", "Declined"),
            ],
            &form.accepted,
        ),
        form,
    };
    ui.form_errors(status, "committee/declare", "Declare an interest", errors, &page)
}

pub async fn declare_form(
    ui: Ui,
    user: CurrentUser,
    code: web::Path<String>,
    query: web::Query<DeclareQuery>,
) -> AppResult<HttpResponse> {
    let form = DeclarationForm {
        person: query.into_inner().person,
        ..DeclarationForm::default()
    };
    declare_page(&ui, &user, code.into_inner(), form, StatusCode::OK, Vec::new()).await
}

pub async fn declare(
    ui: Ui,
    user: CurrentUser,
    code: web::Path<String>,
    form: CsrfForm<DeclarationForm>,
) -> AppResult<HttpResponse> {
    let code = code.into_inner();
    let form = form.0;
    let actor = (*user.0).clone();
    let (lookup, sent) = (code.clone(), form.clone());
    match ui
        .state()
        .run(move |pool| service::declare(pool, &actor, &lookup, &sent))
        .await
    {
        Ok(_) => Ok(ui.see_other(
            &format!("/organisations/{}/interests", code.to_ascii_uppercase()),
            Some(Flash {
                heading: "Interest recorded".into(),
                body: None,
            }),
        )),
        Err(AppError::Invalid(errors)) => {
            declare_page(&ui, &user, code, form, StatusCode::UNPROCESSABLE_ENTITY, errors).await
        }
        Err(AppError::Conflict(why)) => {
            declare_page(
                &ui,
                &user,
                code,
                form,
                StatusCode::CONFLICT,
                vec![FieldError::new("person", why)],
            )
            .await
        }
        Err(other) => Err(other),
    }
}
