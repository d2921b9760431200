use super::*;

const OURS: &str = "bounces@ccg.example.org";

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bounces")
        .join(name);
    std::fs::read(path).expect("fixture")
}

#[test]
fn a_return_path_carries_the_message_id_and_comes_back() {
    let path = return_path(OURS, "<Qx7_kP2mZ9-aB3cD4eF5gH6@ccg.example.org>").expect("a path");
    assert_eq!(path, "bounces+Qx7_kP2mZ9-aB3cD4eF5gH6@ccg.example.org");
    assert_eq!(tag_in_address(&path, OURS).as_deref(), Some("Qx7_kP2mZ9-aB3cD4eF5gH6"));
    assert_eq!(
        tag_in_address("<BOUNCES+abc@CCG.example.org>", OURS),
        None,
        "local parts are exact"
    );
    assert_eq!(tag_in_address("bounces+abc@elsewhere.example", OURS), None);
    assert_eq!(
        tag_in_address("bounces+a/b@ccg.example.org", OURS),
        None,
        "only safe tags"
    );
    assert_eq!(return_path(OURS, "<odd id@x>"), None);
    assert_eq!(return_path("not an address", "<abc@x>"), None);
}

#[test]
fn a_postfix_dsn_is_a_hard_bounce_with_the_remote_reason() {
    let bounce = read(&fixture("postfix-hard.eml"), Some(OURS), None);
    assert_eq!(bounce.severity, Severity::Hard);
    assert_eq!(bounce.status.as_deref(), Some("5.1.1"));
    assert_eq!(bounce.recipient.as_deref(), Some("old.manager@riverside.nhs.example"));
    let diagnostic = bounce.diagnostic.expect("diagnostic");
    assert!(
        diagnostic.starts_with("550 5.1.1") && diagnostic.contains("User unknown"),
        "{diagnostic}"
    );
    assert_eq!(bounce.verp_tag.as_deref(), Some("Qx7_kP2mZ9-aB3cD4eF5gH6"));
    assert_eq!(
        bounce.original_message_id.as_deref(),
        Some("<Qx7_kP2mZ9-aB3cD4eF5gH6@ccg.example.org>")
    );
}

#[test]
fn the_recipient_the_mta_names_wins_over_headers() {
    let bounce = read(
        &fixture("postfix-hard.eml"),
        Some(OURS),
        Some("bounces+FromTheMta@ccg.example.org"),
    );
    assert_eq!(bounce.verp_tag.as_deref(), Some("FromTheMta"));
}

#[test]
fn a_delay_is_a_soft_bounce() {
    let bounce = read(&fixture("delayed.eml"), Some(OURS), None);
    assert_eq!(bounce.severity, Severity::Soft);
    assert_eq!(bounce.status.as_deref(), Some("4.2.2"));
    assert_eq!(bounce.recipient.as_deref(), Some("pm@full.nhs.example"));
    assert_eq!(bounce.verp_tag.as_deref(), Some("Zz9_delay0000000000000"));
}

#[test]
fn a_bounce_without_a_report_is_read_from_its_text() {
    let bounce = read(&fixture("exim-plain.eml"), Some(OURS), None);
    assert_eq!(bounce.severity, Severity::Hard);
    assert_eq!(bounce.recipient.as_deref(), Some("gone@closed-practice.nhs.example"));
    assert_eq!(bounce.diagnostic.as_deref(), Some("550 No such user here"));
    assert_eq!(bounce.verp_tag.as_deref(), Some("Ex1m_tag_0000000000000"));
}

#[test]
fn an_auto_reply_or_garbage_is_not_understood_but_still_read() {
    let bounce = read(&fixture("out-of-office.eml"), Some(OURS), None);
    assert_eq!(bounce.severity, Severity::Unknown);
    assert_eq!(bounce.verp_tag.as_deref(), Some("Ooo_tag_00000000000000"));
    assert_eq!(bounce.subject.as_deref(), Some("Out of office: Notice of ballot"));
    let garbage = read(b"\xff\xfe not a message at all", Some(OURS), None);
    assert_eq!(garbage.severity, Severity::Unknown);
    assert_eq!(read(b"", None, None).severity, Severity::Unknown);
}

#[test]
fn enhanced_status_codes_are_found_in_words() {
    assert_eq!(
        enhanced_status("5.1.1 (bad destination mailbox address)").as_deref(),
        Some("5.1.1")
    );
    assert_eq!(enhanced_status("smtp; 550 5.7.1 blocked").as_deref(), Some("5.7.1"));
    assert_eq!(enhanced_status("version 1.2"), None);
    assert_eq!(enhanced_status("3.1.1"), None);
}
