//! `GET /`: the home page. Staff get their organisations; a practice's
//! representative gets the practice's ballots, consultations and deadlines.

use actix_web::HttpResponse;
use chrono::Utc;
use serde::Serialize;

use super::service::{self, RepresentedPractice};
use crate::ballots::model::BallotState;
use crate::consult::model::ConsultationState;
use crate::error::AppResult;
use crate::web::auth::CurrentUser;
use crate::web::page::Ui;

#[derive(Serialize)]
struct Link {
    href: String,
    label: String,
    hint: String,
}

#[derive(Serialize)]
struct BallotRow {
    href: String,
    title: String,
    kind: &'static str,
    state_label: &'static str,
    state_colour: &'static str,
    when: String,
    /// What the practice has done, in words.
    status: String,
    voted: bool,
    vote_href: Option<String>,
    receipt_href: Option<String>,
    outcome: Option<String>,
    results_href: Option<String>,
}

#[derive(Serialize)]
struct ConsultationRow {
    href: String,
    title: String,
    closes: String,
    status: String,
    questions: String,
}

#[derive(Serialize)]
struct DeadlineRow {
    when: String,
    what: String,
    href: String,
}

#[derive(Serialize)]
struct PracticeView {
    code: String,
    name: String,
    organisation: Option<String>,
    roles: String,
    current_ballots: Vec<BallotRow>,
    open_consultations: Vec<ConsultationRow>,
    past_ballots: Vec<BallotRow>,
    past_consultations: Vec<ConsultationRow>,
}

#[derive(Serialize)]
struct HomePage {
    name: String,
    roles: Vec<String>,
    links: Vec<Link>,
    practices: Vec<PracticeView>,
    deadlines: Vec<DeadlineRow>,
    proxies: Vec<ProxyRow>,
}

/// A proxy the user holds, linking to the ballot's proxy page.
#[derive(Serialize)]
struct ProxyRow {
    title: String,
    href: String,
    what: String,
}

fn role_words(kind: &str) -> &str {
    match kind {
        "nominated" => "nominated voting representative",
        "deputy" => "deputy voting representative",
        "practice_manager" => "practice manager",
        "gp_partner" => "GP partner",
        "salaried_gp" => "salaried GP",
        other => other,
    }
}

fn ballot_row(b: &crate::ballots::service::PracticeBallot, practice: &str) -> BallotRow {
    let s = &b.summary;
    let id = s.id;
    let when = match s.state {
        BallotState::Published => format!(
            "Voting opens {} and closes {}",
            crate::time::date_time(s.opens_at),
            crate::time::date_time(s.closes_at)
        ),
        BallotState::Open => format!("Voting closes {}", crate::time::date_time(s.closes_at)),
        _ => format!("Voting closed {}", crate::time::date_time(s.closes_at)),
    };
    let status = match (&b.voted, b.in_electorate) {
        (_, false) => format!("{practice} is not in this ballot's electorate."),
        (Some((at, method)), true) => format!(
            "{practice} voted at {}{}. The receipt code was emailed to the person who voted{}.",
            crate::time::date_time(*at),
            match method.as_str() {
                "link" => " with the emailed link",
                "signed_in" => ", signed in",
                "api" => " through the API",
                _ => "",
            },
            if b.secret {
                "; after the count it can be checked on the ballot's public board"
            } else {
                ""
            }
        ),
        (None, true) => match s.state {
            BallotState::Open if s.suspended => format!(
                "{practice} has not voted yet. Voting is suspended while something is looked into; you will be told when it resumes."
            ),
            BallotState::Void => {
                "The ballot was declared void. If it is run again, you will get the new ballot's notice.".to_owned()
            }
            BallotState::Published | BallotState::Open => format!("{practice} has not voted yet."),
            BallotState::Cancelled => "The ballot was cancelled.".to_owned(),
            _ => format!("{practice} did not vote."),
        },
    };
    let open = s.state == BallotState::Open && !s.suspended;
    BallotRow {
        href: format!("/ballots/{id}"),
        title: s.title.clone(),
        kind: s.kind.label(),
        state_label: s.state_tag().0,
        state_colour: s.state_tag().1,
        when,
        voted: b.voted.is_some(),
        vote_href: (open && b.may_vote && b.voted.is_none()).then(|| format!("/ballots/{id}/vote")),
        receipt_href: (b.voted.is_some() && b.secret && s.state == BallotState::Counted)
            .then(|| format!("/ballots/{id}/receipt")),
        outcome: b.outcome.clone(),
        results_href: (s.state == BallotState::Counted).then(|| format!("/ballots/{id}/results")),
        status,
    }
}

fn consultation_row(c: &crate::consult::service::PracticeConsultation, practice: &str) -> ConsultationRow {
    let status = match (c.responded, c.state) {
        (Some(revision), ConsultationState::Open) => format!(
            "{practice} has responded{}; you can change the response until the close.",
            if revision > 1 {
                format!(" (changed {} times)", revision - 1)
            } else {
                String::new()
            }
        ),
        (Some(_), _) => format!("{practice} responded."),
        (None, ConsultationState::Open) => format!("{practice} has not responded yet."),
        (None, _) => format!("{practice} did not respond."),
    };
    let questions = match (c.questions_asked, c.questions_answered) {
        (0, _) => String::new(),
        (asked, answered) => format!(
            "{} asked, {} answered.",
            crate::format::plural(asked, "question", "questions"),
            answered
        ),
    };
    ConsultationRow {
        href: format!("/consultations/{}", c.consultation.id),
        title: c.consultation.title.clone(),
        closes: crate::time::date_time(c.consultation.closes_at),
        status,
        questions,
    }
}

fn practice_view(p: &RepresentedPractice) -> PracticeView {
    let current = |b: &&crate::ballots::service::PracticeBallot| {
        matches!(b.summary.state, BallotState::Published | BallotState::Open)
    };
    PracticeView {
        code: p.code.clone(),
        name: p.name.clone(),
        organisation: p.organisation.as_ref().map(|o| format!("{} ({})", o.name, o.ods_code)),
        roles: p.roles.iter().map(|r| role_words(r)).collect::<Vec<_>>().join(", "),
        current_ballots: p
            .ballots
            .iter()
            .filter(current)
            .map(|b| ballot_row(b, &p.name))
            .collect(),
        past_ballots: p
            .ballots
            .iter()
            .filter(|b| !current(b))
            .map(|b| ballot_row(b, &p.name))
            .collect(),
        open_consultations: p
            .consultations
            .iter()
            .filter(|c| c.state == ConsultationState::Open)
            .map(|c| consultation_row(c, &p.name))
            .collect(),
        past_consultations: p
            .consultations
            .iter()
            .filter(|c| c.state != ConsultationState::Open)
            .map(|c| consultation_row(c, &p.name))
            .collect(),
    }
}

pub async fn home(ui: Ui, user: CurrentUser) -> AppResult<HttpResponse> {
    let grants = user.grants();
    let mut links = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for role in &user.roles {
        if let (Some(code), Some(name)) = (&role.organisation_code, &role.organisation_name) {
            if seen.insert(code.clone()) {
                // An LMC's observers watch the organisations it covers, from
                // its dashboard; the LMC's own page is for its administrators.
                let observer = role.grant.role == crate::accounts::model::Role::LmcObserver;
                links.push(Link {
                    href: if observer {
                        "/lmc".to_owned()
                    } else {
                        format!("/organisations/{code}")
                    },
                    label: if observer {
                        format!("{name}: ballots to check")
                    } else {
                        name.clone()
                    },
                    hint: role.grant.role.label().to_owned(),
                });
            }
        }
    }
    if grants.is_system_admin() {
        links.push(Link {
            href: "/organisations".into(),
            label: "All organisations".into(),
            hint: "System administrator".into(),
        });
        links.push(Link {
            href: "/admin/users".into(),
            label: "User accounts".into(),
            hint: "System administrator".into(),
        });
        links.push(Link {
            href: "/admin/bounces".into(),
            label: "Bounces matched to no message".into(),
            hint: "System administrator".into(),
        });
    }
    let viewer = (*user.0).clone();
    let practices = ui
        .state()
        .run(move |pool| service::represented_practices(pool, &viewer))
        .await?;
    let viewer = (*user.0).clone();
    let proxies = ui
        .state()
        .run(move |pool| crate::ballots::proxy::service::held_for_home(pool, &viewer))
        .await?;
    let mut deadlines = service::deadlines(&practices, Utc::now().naive_utc());
    deadlines.extend(service::proxy_deadlines(&proxies, Utc::now().naive_utc()));
    deadlines.sort_by_key(|d| d.at);
    let deadlines = deadlines
        .into_iter()
        .map(|d| DeadlineRow {
            when: crate::time::date_time(d.at),
            what: d.what,
            href: d.href,
        })
        .collect();
    let page = HomePage {
        name: user.name.clone(),
        roles: user.roles.iter().map(|r| r.describe()).collect(),
        links,
        practices: practices.iter().map(practice_view).collect(),
        deadlines,
        proxies: proxies
            .iter()
            .map(|p| ProxyRow {
                title: p.title.clone(),
                href: format!("/ballots/{}/proxy", p.ballot_id),
                what: format!(
                    "The proxy of {}, held {}: {}",
                    p.practice,
                    p.held_as,
                    match (p.accepted, p.voted) {
                        (_, true) => "voted".to_owned(),
                        (true, false) =>
                            format!("not voted yet; voting closes {}", crate::time::date_time(p.closes_at)),
                        (false, false) => "not accepted yet".to_owned(),
                    }
                ),
            })
            .collect(),
    };
    ui.page("home", "Home", &page)
}
