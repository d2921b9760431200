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
    /// An uncontested election, declared without a poll: no tally to show.
    unopposed: bool,
    counted_at: String,
    overall: CountView,
    constituencies: Vec<CountView>,
    voters: Option<Vec<KeyValue>>,
    recorded: Option<Vec<RecordedRow>>,
    /// A re-run: the void ballot's record, in words, and its page.
    rerun_of: Option<KeyValue>,
    /// An election's count, stage by stage.
    stages: Option<StageTable>,
}

/// The STV count as returning officers publish it: a column per stage.
#[derive(Serialize)]
struct StageTable {
    ballot: i32,
    /// The recorded draw for ties decided by lot: names, and the
    /// candidates' numbers as `quorate stv count --tie-order` takes them.
    tie_order: String,
    tie_order_numbers: String,
    rule_name: String,
    rule: String,
    quota: String,
    valid_papers: u64,
    stages: Vec<StageHead>,
    rows: Vec<StageRow>,
    elected: Vec<KeyValue>,
}

#[derive(Serialize)]
struct StageHead {
    number: usize,
    action: String,
    tie: Option<String>,
}

#[derive(Serialize)]
struct StageRow {
    label: String,
    cells: Vec<String>,
    /// The candidate's standing at the end of the count.
    standing: String,
}

fn stage_table(ballot: i32, report: &crate::ballots::stv::report::CountReport) -> StageTable {
    let standing = |s: crate::ballots::stv::Standing| {
        match s {
            crate::ballots::stv::Standing::Elected => "Elected",
            crate::ballots::stv::Standing::Excluded => "Excluded",
            crate::ballots::stv::Standing::Withdrawn => "Withdrawn",
            crate::ballots::stv::Standing::Hopeful => "Not elected",
        }
        .to_owned()
    };
    let mut rows: Vec<StageRow> = report
        .candidates
        .iter()
        .enumerate()
        .map(|(c, name)| StageRow {
            label: name.clone(),
            cells: report
                .stages
                .iter()
                .map(|s| s.votes.get(c).map(|v| v.votes.clone()).unwrap_or_default())
                .collect(),
            standing: report
                .final_votes
                .get(c)
                .map(|v| standing(v.standing))
                .unwrap_or_default(),
        })
        .collect();
    type Cell = fn(&crate::ballots::stv::report::StageReport) -> String;
    let totals: [(&str, Cell); 3] = [
        ("Non-transferable", |s| s.non_transferable.clone()),
        ("Lost to rounding", |s| s.residual.clone()),
        ("Quota", |s| s.quota.clone()),
    ];
    for (label, cell) in totals {
        rows.push(StageRow {
            label: label.to_owned(),
            cells: report.stages.iter().map(cell).collect(),
            standing: String::new(),
        });
    }
    StageTable {
        ballot,
        tie_order: report.tie_order.join(", "),
        tie_order_numbers: report
            .tie_order
            .iter()
            .filter_map(|name| report.candidates.iter().position(|c| c == name))
            .map(|c| (c + 1).to_string())
            .collect::<Vec<_>>()
            .join(","),
        rule_name: report.rule.clone(),
        rule: report.rule_description.clone(),
        quota: report.quota.clone(),
        valid_papers: report.valid_papers,
        stages: report
            .stages
            .iter()
            .map(|s| StageHead {
                number: s.stage,
                action: s.action.clone(),
                tie: s.tie.clone(),
            })
            .collect(),
        rows,
        elected: report
            .elected
            .iter()
            .map(|name| KeyValue {
                key: name.clone(),
                value: report
                    .final_votes
                    .iter()
                    .find(|v| v.candidate == *name)
                    .map(|v| v.votes.clone())
                    .unwrap_or_default(),
            })
            .collect(),
    }
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
        sentence: if loaded.kind.is_election() {
            "The first preference on each paper, before any transfer; the count below elects by transfers.".to_owned()
        } else {
            super::words::count_sentence(loaded, count)
        },
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
            count_rules::Outcome::Carried
                | count_rules::Outcome::Won { .. }
                | count_rules::Outcome::Elected { .. }
                | count_rules::Outcome::ElectedUnopposed { .. }
        ),
        unopposed: matches!(results.result.outcome, count_rules::Outcome::ElectedUnopposed { .. }),
        stages: results.result.stv.as_ref().map(|report| stage_table(id, report)),
        counted_at: loaded.ballot.counted_at.map(crate::time::date_time).unwrap_or_default(),
        overall: count_view(
            loaded,
            if loaded.kind.is_election() {
                "First preferences"
            } else {
                "Overall"
            },
            "overall",
            &results.result.overall,
        ),
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
                    option: loaded.paper_words(option),
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
    Ok(download(
        "text/csv; charset=utf-8",
        format!("ballot-{id}-result.csv"),
        csv,
    ))
}

/// A download of a counted ballot: `name` is the file's name.
fn download(content_type: &str, name: String, body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(body)
}

/// `GET /ballots/{id}/stages.csv`: an election's count, stage by stage.
pub async fn stages_csv(ui: Ui, user: CurrentUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let grants = user.grants();
    let csv = ui
        .state()
        .run(move |pool| service::stages_csv(&service::results(pool, &grants, id)?))
        .await?;
    Ok(download(
        "text/csv; charset=utf-8",
        format!("ballot-{id}-stages.csv"),
        csv,
    ))
}

/// `GET /ballots/{id}/papers.blt`: an election's papers for other STV software.
pub async fn papers_blt(ui: Ui, user: CurrentUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let grants = user.grants();
    let blt = ui
        .state()
        .run(move |pool| service::papers_blt(pool, &service::results(pool, &grants, id)?))
        .await?;
    Ok(download(
        "text/plain; charset=utf-8",
        format!("ballot-{id}-papers.blt"),
        blt,
    ))
}
