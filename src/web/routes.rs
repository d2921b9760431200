//! Every URL Quorate answers, in one table.

use actix_web::web::{self, get, post, resource};

use super::{assets, health, pages};
use crate::{accounts, registry};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/healthz").route(get().to(health::healthz)))
        .service(resource("/assets/{path:.*}").route(get().to(assets::serve)))
        .service(resource("/").route(get().to(pages::home)))
        .service(resource("/accessibility").route(get().to(pages::accessibility)))
        // Accounts
        .service(
            resource("/login")
                .route(get().to(accounts::routes::login_form))
                .route(post().to(accounts::routes::login)),
        )
        .service(resource("/logout").route(post().to(accounts::routes::logout)))
        .service(
            resource("/setup/{token}")
                .route(get().to(accounts::routes::setup_form))
                .route(post().to(accounts::routes::setup)),
        )
        .service(resource("/account").route(get().to(accounts::routes::account)))
        .service(resource("/account/password").route(post().to(accounts::routes::change_password)))
        .service(resource("/admin/users").route(get().to(accounts::routes::users)))
        // Register
        .service(resource("/organisations").route(get().to(registry::routes::organisations)))
        .service(resource("/organisations/{code}").route(get().to(registry::routes::organisation)))
        .default_service(web::to(pages::not_found));
}
