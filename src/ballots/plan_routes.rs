//! `GET /organisations/{code}/planner`: the timetable planned back from an
//! external deadline, for the board before it publishes a consultation and
//! the ballot that follows it. A GET form: the plan is a page anyone
//! running the organisation can bookmark or send.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::plan::{Plan, PlanInput, plan};
use super::service;
use crate::calendar::BankHolidays;
use crate::error::{AppResult, FieldError};
use crate::web::auth::CurrentUser;
use crate::web::page::Ui;

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct PlanQuery {
    #[serde(default)]
    deadline: String,
    #[serde(default)]
    days_to_submit: String,
    #[serde(default)]
    voting_days: String,
    #[serde(default)]
    review_days: String,
    #[serde(default)]
    consultation_days: String,
}

#[derive(Serialize)]
struct StepView {
    label: &'static str,
    latest: String,
    note: Option<String>,
}

#[derive(Serialize)]
struct PlanView {
    deadline: String,
    steps: Vec<StepView>,
    beyond_known_holidays: bool,
}

#[derive(Serialize)]
struct PlannerPage {
    organisation: String,
    code: String,
    minimum_notice_days: u32,
    holidays_cover: String,
    form: PlanQuery,
    plan: Option<PlanView>,
}

fn weekday_date(day: NaiveDate) -> String {
    day.format("%A %-d %B %Y").to_string()
}

fn number(typed: &str, default: u32, field: &str, what: &str, errors: &mut Vec<FieldError>) -> u32 {
    let typed = typed.trim();
    if typed.is_empty() {
        return default;
    }
    typed.parse().unwrap_or_else(|_| {
        errors.push(FieldError::new(
            field,
            format!("{what} must be a whole number of days, like {default}"),
        ));
        default
    })
}

fn view(plan: &Plan) -> PlanView {
    PlanView {
        deadline: weekday_date(plan.deadline),
        steps: plan
            .steps
            .iter()
            .map(|step| StepView {
                label: step.label,
                latest: weekday_date(step.latest),
                note: step
                    .moved_from
                    .as_ref()
                    .map(|(day, why)| format!("{} is {why}", weekday_date(*day))),
            })
            .collect(),
        beyond_known_holidays: plan.beyond_known_holidays,
    }
}

pub async fn planner(
    ui: Ui,
    user: CurrentUser,
    code: web::Path<String>,
    query: web::Query<PlanQuery>,
) -> AppResult<HttpResponse> {
    let actor = (*user.0).clone();
    let code = code.into_inner();
    let (organisation, settings) = ui
        .state()
        .run(move |pool| service::defaults_for(pool, &actor, &code))
        .await?;
    let form = query.into_inner();
    let mut errors = Vec::new();
    let deadline = crate::web::form::optional_date(
        "deadline",
        &form.deadline,
        "Enter the deadline as a real date",
        &mut errors,
    );
    // Every field is read, so each bad one is named even when the deadline is.
    let days_to_submit = number(
        &form.days_to_submit,
        PlanInput::DEFAULT_DAYS_TO_SUBMIT,
        "days-to-submit",
        "Working days to submit the result",
        &mut errors,
    );
    let voting_days = number(
        &form.voting_days,
        PlanInput::DEFAULT_VOTING_DAYS,
        "voting-days",
        "Days voting is open",
        &mut errors,
    );
    let review_days = number(
        &form.review_days,
        PlanInput::DEFAULT_REVIEW_DAYS,
        "review-days",
        "Working days to consider the responses",
        &mut errors,
    );
    let consultation_days = number(
        &form.consultation_days,
        PlanInput::DEFAULT_CONSULTATION_DAYS,
        "consultation-days",
        "Days the consultation runs",
        &mut errors,
    );
    let input = deadline.map(|deadline| PlanInput {
        deadline,
        days_to_submit,
        minimum_notice_days: settings.minimum_notice_days,
        voting_days,
        review_days,
        consultation_days,
    });
    if let Some(input) = &input {
        errors.extend(input.check());
    }
    let holidays = BankHolidays::england_and_wales();
    let page = PlannerPage {
        organisation: organisation.name,
        code: organisation.ods_code,
        minimum_notice_days: settings.minimum_notice_days,
        holidays_cover: holidays
            .years()
            .map(|(first, last)| format!("{first} to {last}"))
            .unwrap_or_default(),
        plan: input
            .filter(|_| errors.is_empty())
            .map(|input| view(&plan(&input, holidays))),
        form,
    };
    if errors.is_empty() {
        ui.page("ballots/planner", "Plan a timetable from a deadline", &page)
    } else {
        ui.form_errors(
            StatusCode::UNPROCESSABLE_ENTITY,
            "ballots/planner",
            "Plan a timetable from a deadline",
            errors,
            &page,
        )
    }
}
