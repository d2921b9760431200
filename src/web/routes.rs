//! Every URL Quorate answers, in one table.

use actix_web::web::{self, get, post, resource};

use super::{assets, health, pages};
use crate::{accounts, mail, registry};

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
        .service(resource("/account/tokens").route(post().to(accounts::routes::create_token)))
        .service(resource("/account/tokens/{id}/revoke").route(post().to(accounts::routes::revoke_token)))
        .service(resource("/admin/users").route(get().to(accounts::routes::users)))
        .service(
            resource("/admin/users/invite")
                .route(get().to(accounts::routes::invite_form))
                .route(post().to(accounts::routes::invite)),
        )
        .service(
            resource("/forgot-password")
                .route(get().to(accounts::routes::forgot_password_form))
                .route(post().to(accounts::routes::forgot_password)),
        )
        .service(
            resource("/password/{token}")
                .route(get().to(accounts::routes::password_link_form))
                .route(post().to(accounts::routes::password_link)),
        )
        // Register
        .service(resource("/organisations").route(get().to(registry::routes::organisations)))
        .service(resource("/organisations/{code}").route(get().to(registry::routes::organisation)))
        .service(resource("/organisations/{code}/practices").route(get().to(registry::routes::register)))
        .service(
            resource("/organisations/{code}/settings")
                .route(get().to(registry::routes::constitution))
                .route(post().to(registry::routes::update_constitution)),
        )
        .service(
            resource("/organisations/{code}/import")
                .app_data(registry::routes::upload_config())
                .route(get().to(registry::routes::upload_form))
                .route(post().to(registry::routes::upload)),
        )
        .service(resource("/organisations/{code}/import/{token}").route(get().to(registry::routes::preview)))
        .service(
            resource("/organisations/{code}/import/{token}/confirm").route(post().to(registry::routes::confirm_import)),
        )
        .service(resource("/organisations/{code}/register.csv").route(get().to(registry::routes::register_csv)))
        .service(resource("/practices/{ods}").route(get().to(registry::routes::practice)))
        .service(
            resource("/practices/{ods}/propose")
                .route(get().to(registry::routes::propose_form))
                .route(post().to(registry::routes::propose)),
        )
        .service(resource("/organisations/{code}/proposals").route(get().to(registry::routes::proposals)))
        .service(resource("/organisations/{code}/lmcs/{action}").route(post().to(registry::routes::change_lmc)))
        .service(
            resource("/organisations/{code}/proposals/{id}/{decision}")
                .route(post().to(registry::routes::decide_proposal)),
        )
        .service(
            resource("/practices/{ods}/edit")
                .route(get().to(registry::routes::edit_practice_form))
                .route(post().to(registry::routes::edit_practice)),
        )
        .service(
            resource("/organisations/{code}/practices/new")
                .route(get().to(registry::routes::add_practice_form))
                .route(post().to(registry::routes::add_practice)),
        )
        .service(resource("/practices/{ods}/representatives").route(post().to(registry::routes::add_representative)))
        .service(
            resource("/practices/{ods}/representatives/{id}/end")
                .route(post().to(registry::routes::end_representative)),
        )
        // Email
        .service(resource("/organisations/{code}/deliveries").route(get().to(mail::routes::deliveries)))
        .service(resource("/organisations/{code}/deliveries/{id}/resend").route(post().to(mail::routes::resend)))
        // JSON API (personal tokens)
        .service(
            web::scope("/api/v1")
                .app_data(registry::api::json_config())
                .service(
                    resource("/organisations")
                        .route(get().to(registry::api::list_organisations))
                        .route(post().to(registry::api::create_organisation)),
                )
                .service(resource("/organisations/{code}").route(get().to(registry::api::organisation)))
                .service(
                    resource("/organisations/{code}/settings").route(web::put().to(registry::api::update_settings)),
                )
                .service(
                    resource("/organisations/{code}/practices")
                        .route(get().to(registry::api::practices))
                        .route(post().to(registry::api::create_practice)),
                )
                .service(
                    resource("/practices/{ods}")
                        .route(get().to(registry::api::practice))
                        .route(web::put().to(registry::api::update_practice)),
                )
                .service(
                    resource("/practices/{ods}/representatives").route(post().to(registry::api::add_representative)),
                )
                .default_service(web::to(pages::not_found)),
        )
        .default_service(web::to(pages::not_found));
}
