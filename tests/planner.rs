//! The timetable planned back from a deadline, over HTTP: the board's
//! planner page with the organisation's own notice period, bad input named
//! at its field, and nobody else let in.

mod common;

use common::PASSWORD;

backend_tests! {
    async fn the_board_plans_back_from_the_delegated_commissioning_deadline(app: TestApp) {
        let ccg = app.create_organisation("ccg", "08V", "Test CCG");
        app.create_member_practice("F84012", "Test Surgery", ccg);
        app.create_user("board@example.org", "org_admin", Some("08V"));
        app.login("board@example.org", PASSWORD).await;

        let (_, ballots) = app.get_text("/organisations/08V/ballots").await;
        assert!(ballots.contains("href=\"/organisations/08V/planner\""), "{ballots}");
        let (status, empty) = app.get_text("/organisations/08V/planner").await;
        assert_eq!(status, 200);
        assert!(empty.contains("Minimum notice of a ballot, from the constitution: <strong>14 days</strong>"), "{empty}");
        assert!(!empty.contains("Latest days for"));

        // NHS England's date for delegated applications in the first year.
        let (status, plan) = app.get_text("/organisations/08V/planner?deadline=2015-01-09").await;
        assert_eq!(status, 200, "{plan}");
        assert!(plan.contains("Latest days for a deadline of Friday 9 January 2015"), "{plan}");
        let rows: Vec<usize> = [
            "Publish the consultation</td>\n      <td class=\"nhsuk-table__cell\">Wednesday 12 November 2014",
            "Close the consultation</td>\n      <td class=\"nhsuk-table__cell\">Wednesday 10 December 2014",
            "Give notice of the ballot (publish it)</td>\n      <td class=\"nhsuk-table__cell\">Wednesday 17 December 2014",
            "Open voting</td>\n      <td class=\"nhsuk-table__cell\">Wednesday 31 December 2014",
            "Close voting and count</td>\n      <td class=\"nhsuk-table__cell\">Wednesday 7 January 2015",
            "Issue the certificate of result</td>\n      <td class=\"nhsuk-table__cell\">Thursday 8 January 2015",
        ]
        .iter()
        .map(|row| plan.find(row).unwrap_or_else(|| panic!("{row} in {plan}")))
        .collect();
        assert!(rows.windows(2).all(|w| w[0] < w[1]), "in the order they happen");

        // Over Christmas a step moves off the bank holidays, and says why.
        let (_, moved) = app
            .get_text("/organisations/08V/planner?deadline=2014-12-29&voting_days=9&days_to_submit=&review_days=&consultation_days=")
            .await;
        assert!(moved.contains("Moved earlier: Sunday 14 December 2014 is Sunday"), "{moved}");
        assert!(moved.contains("Wednesday 24 December 2014"), "{moved}");

        // Bad input is named at its field, and what was typed is kept.
        let (status, bad) = app.get_text("/organisations/08V/planner?deadline=2015-02-30&voting_days=seven").await;
        assert_eq!(status, 422);
        assert!(bad.contains("href=\"#deadline\"") && bad.contains("Enter the deadline as a real date"), "{bad}");
        assert!(bad.contains("value=\"2015-02-30\""), "{bad}");
        assert!(bad.contains("href=\"#voting-days\""), "a bad number is named even when the date is bad too: {bad}");
        let (status, bad) = app.get_text("/organisations/08V/planner?deadline=2015-01-09&voting_days=seven&consultation_days=999").await;
        assert_eq!(status, 422);
        assert!(bad.contains("Days voting is open must be a whole number of days, like 7"), "{bad}");
        assert!(bad.contains("Days the consultation runs must be between 1 and 180"), "{bad}");
        assert!(bad.contains("value=\"seven\"") && !bad.contains("Latest days for"), "{bad}");
    }

    async fn only_those_who_run_the_organisation_may_plan(app: TestApp) {
        let ccg = app.create_organisation("ccg", "08V", "Test CCG");
        app.create_member_practice("F84012", "Test Surgery", ccg);
        app.create_user("rep@example.org", "practice_rep", Some("F84012"));
        app.login("rep@example.org", PASSWORD).await;
        assert_eq!(app.get_text("/organisations/08V/planner?deadline=2015-01-09").await.0, 403);
        let visitor = app.new_visitor();
        let response = visitor.get("/organisations/08V/planner").await;
        assert!(matches!(response.status().as_u16(), 303 | 302 | 401), "{}", response.status());
    }
}
