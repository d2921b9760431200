//! The OpenAPI document describes every route of the JSON API, and every
//! route it describes is served.

mod common;

use serde_json::Value;

/// The paths mounted under /api/v1 in the route table.
fn routed_paths() -> Vec<String> {
    let table = include_str!("../src/web/routes.rs");
    let scope = &table[table.find("web::scope(\"/api/v1\")").expect("the API scope")..];
    scope
        .split("resource(\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .flat_map(|path| {
            if path.ends_with("/{action}") {
                ["publish", "open", "close", "cancel", "extend"]
                    .iter()
                    .map(|a| path.replace("{action}", a))
                    .collect::<Vec<_>>()
            } else {
                vec![path.to_owned()]
            }
        })
        .collect()
}

#[actix_web::test]
async fn the_openapi_document_covers_the_whole_api() {
    let app = common::spawn_app(common::Backend::Sqlite).await;
    let (status, doc) = app.api(reqwest::Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    let documented: Vec<&str> = doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .map(String::as_str)
        .collect();
    let routed = routed_paths();
    assert!(routed.len() >= 15, "{routed:?}");
    for path in &routed {
        assert!(
            documented.contains(&path.as_str()),
            "{path} is served but not documented"
        );
    }
    // Each documented operation exists: without a token it is refused,
    // never "not found" or "method not allowed".
    for (path, operations) in doc["paths"].as_object().expect("paths") {
        let concrete = path
            .replace("{code}", "08V")
            .replace("{ods}", "F84012")
            .replace("{id}", "1");
        for (method, operation) in operations.as_object().expect("operations") {
            // Public operations answer 404 for a ballot that does not exist,
            // so for them the route table is the evidence.
            if operation["security"] == serde_json::json!([]) && path != "/openapi.json" {
                assert!(routed.contains(path), "{method} {path} is documented but not served");
                continue;
            }
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let response = app
                .client
                .request(method.clone(), app.url(&format!("/api/v1{concrete}")))
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .expect("request");
            let status = response.status().as_u16();
            assert!(status != 404 && status != 405, "{method} {path}: {status}");
            let body: Value = response.json().await.expect("JSON");
            if path != "/openapi.json" {
                assert!(body["error"]["code"].is_string(), "{method} {path}: {body}");
            }
        }
    }
}
