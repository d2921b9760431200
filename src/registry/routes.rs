//! Organisation pages.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::service::{self, OrganisationSummary};
use crate::error::AppResult;
use crate::web::auth::CurrentUser;
use crate::web::page::Ui;

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
        &OrganisationsPage { organisations },
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
}

pub async fn organisation(ui: Ui, user: CurrentUser, code: web::Path<String>) -> AppResult<HttpResponse> {
    let grants = user.grants();
    let code = code.into_inner();
    let detail = ui
        .state()
        .run(move |pool| service::organisation_detail(pool, &grants, &code))
        .await?;
    let title = detail.organisation.name.clone();
    let may_oversee = detail.members.is_some();
    let page = OrganisationPage {
        may_oversee,
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
    };
    ui.page("registry/organisation", &title, &page)
}
