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
}

fn register_view(register: &Register) -> RegisterPage {
    let code = register.organisation.ods_code.clone();
    let mut entries = Vec::new();
    for person in &register.people {
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
                dates: match d.ends_on {
                    Some(end) => format!("{} to {}", crate::time::day(d.starts_on), crate::time::day(end)),
                    None => format!("From {}", crate::time::day(d.starts_on)),
                },
                declared: crate::time::day(d.declared_on),
                late: d.declared_late(),
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
        late: entries.iter().filter(|e| e.late).count(),
        withheld_hidden: register.withheld_hidden,
        people: register
            .people
            .iter()
            .map(|p| PersonView {
                name: p.person.name.clone(),
                position: p.person.position.clone(),
                decision_maker: p.person.decision_maker,
                declared: p.entries.len(),
                declare_href: register
                    .may_administer
                    .then(|| format!("/organisations/{code}/interests/declare?person={}", p.person.id)),
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
}

pub async fn register(
    ui: Ui,
    user: MaybeUser,
    code: web::Path<String>,
    query: web::Query<RegisterQuery>,
) -> AppResult<HttpResponse> {
    let grants = grants_of(&user);
    let public_only = query.view == "public";
    let code = code.into_inner();
    let register = ui
        .state()
        .run(move |pool| service::register(pool, &grants, &code, service::today(), public_only))
        .await?;
    let page = register_view(&register);
    ui.page("committee/register", "Register of interests", &page)
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
struct PersonPage {
    code: String,
    organisation: String,
    form: PersonForm,
    decision_maker: Vec<Choice>,
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
        code: organisation.ods_code,
        organisation: organisation.name,
        decision_maker: choices(
            "decision-maker",
            &[
                ("yes", "Yes: a decision-maker, whose interests are published"),
                ("no", "No: kept on the register for the organisation only"),
            ],
            &form.decision_maker,
        ),
        form,
    };
    ui.form_page("committee/person", "Add a person to the register", errors, &page)
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
