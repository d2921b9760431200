// embed_migrations! does not notice a new migration folder by itself.
// The PostgreSQL half of the integration suite is compiled only when
// QUORATE_TEST_POSTGRES_URL is set, so `cargo test` counts only the tests
// that really run.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=templates");
    println!("cargo:rerun-if-changed=static");
    println!("cargo:rerun-if-env-changed=QUORATE_TEST_POSTGRES_URL");
    if std::env::var_os("QUORATE_TEST_POSTGRES_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo:rustc-cfg=quorate_pg_tests");
    }
}
