//! The result of a counted ballot: tables, charts, CSV.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::chart::{Bar, bar_chart};
use super::model::percent;
use super::routes::{KeyValue, ballot_id, refused};
use super::rules as count_rules;
use super::service::{self, Loaded};
use crate::error::{AppError, AppResult};
use crate::web::auth::CurrentUser;
use crate::web::page::Ui;

#[derive(Serialize)]
struct TallyRow {
    label: String,
    practices: u64,
    weight: u64,
    share: String,
}

#[derive(Serialize)]
struct CountView {
    name: String,
    sentence: String,
    rows: Vec<TallyRow>,
    turnout_practices: u64,
    turnout_weight: u64,
    electorate_practices: u64,
    electorate_weight: u64,
    turnout_share: String,
    chart: String,
}

#[derive(Serialize)]
struct ResultsPage {
    id: i32,
    title: String,
    organisation: String,
    outcome: String,
    carried: bool,
    counted_at: String,
    overall: CountView,
    constituencies: Vec<CountView>,
    voters: Option<Vec<KeyValue>>,
    recorded: Option<Vec<RecordedRow>>,
    /// A re-run: the void ballot's record, in words, and its page.
    rerun_of: Option<KeyValue>,
}

#[derive(Serialize)]
struct RecordedRow {
    practice: String,
    option: String,
}

fn count_view(loaded: &Loaded, name: &str, chart_id: &str, count: &count_rules::Count) -> CountView {
    let weighted = loaded.rules.weighting != "per_practice";
    let cast = count.tally.turnout();
    let votes_cast = count.tally.cast();
    let rows: Vec<TallyRow> = count
        .tally
        .options
        .iter()
        .map(|(key, votes)| TallyRow {
            label: loaded.option_label(key),
            practices: votes.practices,
            weight: votes.weight,
            share: if key == count_rules::ABSTAIN {
                "not a vote cast".to_owned()
            } else {
                percent(votes.weight, votes_cast.weight)
            },
        })
        .collect();
    let bars: Vec<Bar> = rows
        .iter()
        .map(|r| Bar {
            label: r.label.clone(),
            value: r.weight,
            caption: if weighted {
                format!("{} votes ({} practices)", r.weight, r.practices)
            } else {
                format!("{} practices", r.practices)
            },
        })
        .collect();
    CountView {
        name: name.to_owned(),
        sentence: super::words::count_sentence(loaded, count),
        chart: bar_chart(chart_id, &format!("Votes for each option: {name}"), &bars),
        rows,
        turnout_practices: cast.practices,
        turnout_weight: cast.weight,
        electorate_practices: count.electorate.practices,
        electorate_weight: count.electorate.weight,
        turnout_share: percent(cast.practices, count.electorate.practices),
    }
}

pub async fn results(ui: Ui, user: CurrentUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let grants = user.grants();
    let results = match ui.state().run(move |pool| service::results(pool, &grants, id)).await {
        Ok(results) => results,
        Err(AppError::Conflict(why)) => {
            return refused(
                &ui,
                StatusCode::CONFLICT,
                "There is no result yet",
                why,
                Some(format!("/ballots/{id}")),
            );
        }
        Err(other) => return Err(other),
    };
    let loaded = &results.loaded;
    let page = ResultsPage {
        rerun_of: loaded.interruptions.rerun_of.as_ref().map(|v| KeyValue {
            key: format!("/ballots/{}", v.ballot_id),
            value: format!("{}.", v.in_words()),
        }),
        id,
        title: loaded.ballot.title.clone(),
        organisation: loaded.organisation.name.clone(),
        outcome: super::words::outcome_sentence(loaded, &results.result),
        carried: matches!(
            results.result.outcome,
            count_rules::Outcome::Carried | count_rules::Outcome::Won { .. }
        ),
        counted_at: loaded.ballot.counted_at.map(crate::time::date_time).unwrap_or_default(),
        overall: count_view(loaded, "Overall", "overall", &results.result.overall),
        constituencies: results
            .result
            .constituencies
            .iter()
            .enumerate()
            .map(|(i, (name, count))| count_view(loaded, name, &format!("constituency-{}", i + 1), count))
            .collect(),
        voters: results.voters.as_ref().map(|voters| {
            voters
                .iter()
                .map(|(code, name, _)| KeyValue {
                    key: code.clone(),
                    value: name.clone(),
                })
                .collect()
        }),
        recorded: results.recorded.as_ref().map(|votes| {
            votes
                .iter()
                .map(|(code, name, option, _)| RecordedRow {
                    practice: format!("{name} ({code})"),
                    option: loaded.option_label(option),
                })
                .collect()
        }),
    };
    ui.page("ballots/results", "Result", &page)
}

pub async fn results_csv(ui: Ui, user: CurrentUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let grants = user.grants();
    let csv = ui
        .state()
        .run(move |pool| {
            let results = service::results(pool, &grants, id)?;
            service::results_csv(&results)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"ballot-{id}-result.csv\""),
        ))
        .body(csv))
}
