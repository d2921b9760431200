// Written to match migrations/{sqlite,postgres}; keep the column order of
// each table the same as in the migrations (RETURNING maps by position).

diesel::table! {
    organisations (id) {
        id -> Integer,
        kind -> Text,
        ods_code -> Text,
        name -> Text,
        is_demo -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    constitution_changes (id) {
        id -> Integer,
        organisation_id -> Integer,
        changed_at -> Timestamp,
        changed_by -> Nullable<Integer>,
        reason -> Text,
        summary -> Text,
        before_settings -> Text,
        after_settings -> Text,
    }
}

diesel::table! {
    organisation_lmcs (organisation_id, lmc_id) {
        organisation_id -> Integer,
        lmc_id -> Integer,
    }
}

diesel::table! {
    practices (id) {
        id -> Integer,
        ods_code -> Text,
        name -> Text,
        is_demo -> Bool,
        created_at -> Timestamp,
        address_1 -> Text,
        address_2 -> Text,
        address_3 -> Text,
        address_4 -> Text,
        address_5 -> Text,
        postcode -> Text,
        status -> Text,
        opened_on -> Nullable<Date>,
        closed_on -> Nullable<Date>,
        telephone -> Text,
        prescribing_setting -> Text,
    }
}

diesel::table! {
    list_sizes (id) {
        id -> Integer,
        practice_id -> Integer,
        extract_date -> Date,
        patients -> Integer,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    representatives (id) {
        id -> Integer,
        practice_id -> Integer,
        user_id -> Integer,
        kind -> Text,
        started_on -> Date,
        ended_on -> Nullable<Date>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    constitution_settings (organisation_id) {
        organisation_id -> Integer,
        weighting -> Text,
        patients_per_vote -> Integer,
        quorum_basis -> Text,
        quorum_percent -> Integer,
        ordinary_threshold -> Text,
        amendment_threshold -> Text,
        removal_threshold -> Text,
        dissolution_threshold -> Text,
        minimum_notice_days -> Integer,
        voters -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    pending_imports (id) {
        id -> Integer,
        token -> Text,
        organisation_id -> Integer,
        kind -> Text,
        file_name -> Text,
        content -> Binary,
        uploaded_by -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Integer,
        user_id -> Integer,
        name -> Text,
        token_digest -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    practice_change_requests (id) {
        id -> Integer,
        practice_id -> Integer,
        requested_by -> Integer,
        proposed -> Text,
        note -> Text,
        state -> Text,
        decided_by -> Nullable<Integer>,
        decided_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Integer,
        at -> Timestamp,
        actor_user_id -> Nullable<Integer>,
        actor -> Text,
        organisation_id -> Nullable<Integer>,
        action -> Text,
        object_kind -> Text,
        object_key -> Text,
        summary -> Text,
        previous_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    memberships (id) {
        id -> Integer,
        practice_id -> Integer,
        organisation_id -> Integer,
        joined_on -> Date,
        left_on -> Nullable<Date>,
    }
}

diesel::table! {
    users (id) {
        id -> Integer,
        email -> Text,
        email_normalized -> Text,
        name -> Text,
        password_hash -> Text,
        created_at -> Timestamp,
        sessions_valid_after -> Timestamp,
    }
}

diesel::table! {
    user_roles (id) {
        id -> Integer,
        user_id -> Integer,
        role -> Text,
        organisation_id -> Nullable<Integer>,
        practice_id -> Nullable<Integer>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    revoked_sessions (session_digest) {
        session_digest -> Text,
        user_id -> Integer,
        revoked_at -> Timestamp,
    }
}

diesel::table! {
    two_factor_keys (user_id) {
        user_id -> Integer,
        secret_sealed -> Text,
        enrolled_at -> Timestamp,
        last_step -> BigInt,
    }
}

diesel::table! {
    organisation_sign_in (organisation_id) {
        organisation_id -> Integer,
        staff_sso_only -> Bool,
        updated_at -> Timestamp,
        updated_by -> Text,
        practice_staff_may_join -> Bool,
    }
}

diesel::table! {
    sso_link_requests (id) {
        id -> Integer,
        user_id -> Integer,
        provider -> Text,
        issuer -> Text,
        subject -> Text,
        provider_email -> Nullable<Text>,
        token_digest -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    account_requests (id) {
        id -> Integer,
        user_id -> Integer,
        practice_id -> Integer,
        organisation_id -> Integer,
        provider -> Text,
        requested_at -> Timestamp,
        decision -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        decided_by -> Nullable<Text>,
        reason -> Nullable<Text>,
    }
}

diesel::table! {
    identity_links (id) {
        id -> Integer,
        user_id -> Integer,
        provider -> Text,
        issuer -> Text,
        subject -> Text,
        email -> Nullable<Text>,
        linked_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> Integer,
        user_id -> Integer,
        code_digest -> Text,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_failures (id) {
        id -> Integer,
        subject -> Text,
        failed_at -> Timestamp,
    }
}

diesel::table! {
    login_lockouts (id) {
        id -> Integer,
        subject -> Text,
        locked_at -> Timestamp,
        locked_until -> Timestamp,
    }
}

diesel::table! {
    setup_tokens (id) {
        id -> Integer,
        token_digest -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(memberships -> organisations (organisation_id));
diesel::joinable!(memberships -> practices (practice_id));
diesel::joinable!(list_sizes -> practices (practice_id));
diesel::joinable!(representatives -> practices (practice_id));
diesel::joinable!(practice_change_requests -> practices (practice_id));
diesel::joinable!(representatives -> users (user_id));
diesel::joinable!(user_roles -> users (user_id));

diesel::table! {
    ballots (id) {
        id -> Integer,
        organisation_id -> Integer,
        kind -> Text,
        title -> Text,
        question -> Text,
        papers -> Text,
        current_text -> Text,
        proposed_text -> Text,
        motion_kind -> Text,
        motion_subject -> Text,
        state -> Text,
        rules -> Text,
        opens_at -> Timestamp,
        closes_at -> Timestamp,
        original_closes_at -> Nullable<Timestamp>,
        extension_reason -> Nullable<Text>,
        published_at -> Nullable<Timestamp>,
        opened_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        counted_at -> Nullable<Timestamp>,
        cancelled_at -> Nullable<Timestamp>,
        cancel_reason -> Nullable<Text>,
        electorate_digest -> Nullable<Text>,
        result -> Nullable<Text>,
        created_by -> Nullable<Integer>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        constitution -> Nullable<Text>,
        election -> Nullable<Text>,
        aggregates -> Nullable<Text>,
        close_reason -> Nullable<Text>,
    }
}

diesel::table! {
    ballot_options (ballot_id, option_key) {
        ballot_id -> Integer,
        position -> Integer,
        option_key -> Text,
        label -> Text,
        description -> Text,
    }
}

diesel::table! {
    ballot_electors (ballot_id, practice_id) {
        ballot_id -> Integer,
        practice_id -> Integer,
        weight -> BigInt,
        list_size -> Nullable<Integer>,
        list_size_date -> Nullable<Date>,
        constituency -> Nullable<Text>,
        nominated_user_id -> Nullable<Integer>,
        deputy_user_id -> Nullable<Integer>,
    }
}

diesel::table! {
    voting_tokens (id) {
        id -> Integer,
        ballot_id -> Integer,
        practice_id -> Integer,
        user_id -> Nullable<Integer>,
        token_digest -> Text,
        created_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    ballot_voters (ballot_id, practice_id) {
        ballot_id -> Integer,
        practice_id -> Integer,
        voted_at -> Timestamp,
        method -> Text,
    }
}

diesel::table! {
    ballot_papers (ballot_id, paper_id) {
        ballot_id -> Integer,
        paper_id -> Text,
        receipt_digest -> Text,
        option_key -> Text,
        weight -> BigInt,
        constituency -> Nullable<Text>,
    }
}

diesel::table! {
    ballot_recorded_votes (ballot_id, practice_id) {
        ballot_id -> Integer,
        practice_id -> Integer,
        paper_id -> Text,
        cast_at -> Timestamp,
        changes -> Integer,
    }
}

diesel::table! {
    ballot_trustees (ballot_id, position) {
        ballot_id -> Integer,
        position -> Integer,
        user_id -> Integer,
        public_part -> Nullable<Text>,
        public_at -> Nullable<Timestamp>,
        shares -> Nullable<Text>,
        shares_at -> Nullable<Timestamp>,
        partial -> Nullable<Text>,
        partial_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    encrypted_papers (ballot_id, practice_id) {
        ballot_id -> Integer,
        practice_id -> Integer,
        tracker -> Text,
        paper -> Text,
    }
}

diesel::table! {
    spoiled_papers (ballot_id, tracker) {
        ballot_id -> Integer,
        tracker -> Text,
    }
}

diesel::table! {
    ballot_reminders (ballot_id, days_before) {
        ballot_id -> Integer,
        days_before -> Integer,
        sent_at -> Timestamp,
        recipients -> Integer,
    }
}

diesel::table! {
    retention_purges (id) {
        id -> Integer,
        organisation_id -> Nullable<Integer>,
        purged_at -> Timestamp,
        record -> Text,
        signature -> Nullable<Text>,
        key_fingerprint -> Nullable<Text>,
    }
}

diesel::joinable!(retention_purges -> organisations (organisation_id));
diesel::joinable!(ballots -> organisations (organisation_id));
diesel::joinable!(signing_keys -> organisations (organisation_id));
diesel::joinable!(ballot_options -> ballots (ballot_id));
diesel::joinable!(ballot_electors -> ballots (ballot_id));
diesel::joinable!(ballot_electors -> practices (practice_id));
diesel::joinable!(ballot_voters -> practices (practice_id));
diesel::joinable!(ballot_recorded_votes -> practices (practice_id));
diesel::joinable!(encrypted_papers -> practices (practice_id));
diesel::joinable!(ballot_trustees -> users (user_id));

diesel::table! {
    signing_keys (id) {
        id -> Integer,
        organisation_id -> Integer,
        public_key -> Text,
        fingerprint -> Text,
        first_used_at -> Timestamp,
        retired_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    certificates (id) {
        id -> Text,
        ballot_id -> Integer,
        organisation_id -> Integer,
        document -> Text,
        issued_at -> Timestamp,
        issued_by -> Nullable<Integer>,
    }
}

diesel::table! {
    consultations (id) {
        id -> Integer,
        organisation_id -> Integer,
        title -> Text,
        summary -> Text,
        body -> Text,
        options -> Text,
        state -> Text,
        closes_at -> Timestamp,
        ballot_id -> Nullable<Integer>,
        published_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        last_digest_at -> Nullable<Timestamp>,
        created_by -> Nullable<Integer>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    consultation_questions (id) {
        id -> Integer,
        consultation_id -> Integer,
        practice_id -> Integer,
        asked_by -> Integer,
        question -> Text,
        anonymous -> Bool,
        asked_at -> Timestamp,
        answer -> Nullable<Text>,
        answered_by -> Nullable<Integer>,
        answered_at -> Nullable<Timestamp>,
        in_digest_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(consultation_questions -> practices (practice_id));

diesel::table! {
    consultation_responses (id) {
        id -> Integer,
        consultation_id -> Integer,
        practice_id -> Integer,
        submitted_by -> Integer,
        positions -> Text,
        comment -> Text,
        revision -> Integer,
        submitted_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(consultation_responses -> practices (practice_id));
diesel::joinable!(consultation_responses -> consultations (consultation_id));

diesel::table! {
    impact_assessments (id) {
        id -> Integer,
        consultation_id -> Integer,
        practice_id -> Integer,
        contract_type -> Text,
        list_size -> Integer,
        answers -> Text,
        notes -> Text,
        updated_by -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    consultation_documents (id) {
        id -> Integer,
        consultation_id -> Integer,
        file_name -> Text,
        content_type -> Text,
        size_bytes -> Integer,
        sha256 -> Text,
        content -> Binary,
        uploaded_by -> Integer,
        uploaded_at -> Timestamp,
    }
}

diesel::table! {
    ballot_suspensions (ballot_id, number) {
        ballot_id -> Integer,
        number -> Integer,
        suspended_at -> Timestamp,
        suspended_by -> Text,
        reason -> Text,
        closes_at_before -> Timestamp,
        resumed_at -> Nullable<Timestamp>,
        resumed_by -> Nullable<Text>,
        closes_at_after -> Nullable<Timestamp>,
        short_reason -> Nullable<Text>,
    }
}

diesel::table! {
    ballot_voids (ballot_id) {
        ballot_id -> Integer,
        voided_at -> Timestamp,
        voided_by -> Text,
        reason -> Text,
        state_before -> Text,
        rerun_ballot_id -> Nullable<Integer>,
    }
}

diesel::table! {
    mail_bounces (id) {
        id -> Integer,
        received_at -> Timestamp,
        outbox_id -> Nullable<Integer>,
        organisation_id -> Nullable<Integer>,
        severity -> Text,
        recipient -> Nullable<Text>,
        status -> Nullable<Text>,
        diagnostic -> Nullable<Text>,
        subject -> Nullable<Text>,
        raw -> Text,
        read_at -> Nullable<Timestamp>,
        read_by -> Nullable<Text>,
    }
}

diesel::table! {
    nomination_calls (ballot_id) {
        ballot_id -> Integer,
        opens_at -> Timestamp,
        closes_at -> Timestamp,
        withdrawals_close -> Timestamp,
        nominators_required -> Integer,
        statement_word_limit -> Integer,
        eligibility -> Text,
        called_at -> Timestamp,
        list_published_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    nominations (id) {
        id -> Integer,
        ballot_id -> Integer,
        candidate_name -> Text,
        candidate_email -> Text,
        post -> Text,
        candidate_practice_id -> Nullable<Integer>,
        submitted_at -> Timestamp,
        submitted_by -> Nullable<Integer>,
        token_digest -> Text,
        accepted_at -> Nullable<Timestamp>,
        declared_at -> Nullable<Timestamp>,
        interests -> Text,
        statement -> Text,
        ballot_line -> Text,
        withdrawn_at -> Nullable<Timestamp>,
        decision -> Nullable<Text>,
        decision_reasons -> Text,
        option_key -> Nullable<Text>,
    }
}

diesel::table! {
    nomination_supporters (nomination_id, practice_id) {
        nomination_id -> Integer,
        practice_id -> Integer,
        user_id -> Nullable<Integer>,
        supported_at -> Timestamp,
    }
}

diesel::joinable!(nomination_supporters -> nominations (nomination_id));
diesel::joinable!(nomination_supporters -> practices (practice_id));

diesel::table! {
    proxy_appointments (id) {
        id -> Integer,
        ballot_id -> Integer,
        practice_id -> Integer,
        holder_practice_id -> Nullable<Integer>,
        direction -> Nullable<Text>,
        made_by -> Nullable<Integer>,
        made_at -> Timestamp,
        accepted_by -> Nullable<Integer>,
        accepted_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    interest_people (id) {
        id -> Integer,
        organisation_id -> Integer,
        name -> Text,
        email -> Nullable<Text>,
        position -> Text,
        decision_maker -> Bool,
        user_id -> Nullable<Integer>,
        added_at -> Timestamp,
        left_on -> Nullable<Date>,
        appointed_on -> Nullable<Date>,
    }
}

diesel::table! {
    interests (id) {
        id -> Integer,
        person_id -> Integer,
        category -> Text,
        kind -> Text,
        counterparty -> Text,
        description -> Text,
        starts_on -> Date,
        ends_on -> Nullable<Date>,
        declared_on -> Date,
        value_pence -> Nullable<BigInt>,
        accepted -> Nullable<Bool>,
        management -> Text,
        agreed_by -> Text,
        withheld_reason -> Nullable<Text>,
        recorded_by -> Nullable<Integer>,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    committees (id) {
        id -> Integer,
        organisation_id -> Integer,
        name -> Text,
        quorum_numerator -> Integer,
        quorum_denominator -> Integer,
        quorum_including -> Text,
        casting_vote -> Bool,
        withhold_papers -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    committee_members (id) {
        id -> Integer,
        committee_id -> Integer,
        person_id -> Integer,
        role -> Text,
        voting -> Bool,
        substitute_for -> Nullable<Integer>,
    }
}

diesel::table! {
    meetings (id) {
        id -> Integer,
        committee_id -> Integer,
        title -> Text,
        starts_at -> Timestamp,
        location -> Text,
        created_at -> Timestamp,
        noticed_at -> Nullable<Timestamp>,
        minutes -> Nullable<Text>,
        minutes_approved_at -> Nullable<Timestamp>,
        minutes_approved_by -> Nullable<Integer>,
        minutes_published_at -> Nullable<Timestamp>,
        terms_at_meeting -> Nullable<Text>,
    }
}

diesel::table! {
    meeting_attendance (meeting_id, person_id) {
        meeting_id -> Integer,
        person_id -> Integer,
        attendance -> Text,
    }
}

diesel::table! {
    agenda_items (id) {
        id -> Integer,
        meeting_id -> Integer,
        position -> Integer,
        title -> Text,
        description -> Text,
        private -> Bool,
        subjects -> Text,
        motion -> Text,
        status -> Text,
        proposer_id -> Nullable<Integer>,
        seconder_id -> Nullable<Integer>,
        result -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    item_declarations (id) {
        id -> Integer,
        item_id -> Integer,
        person_id -> Integer,
        interest_id -> Nullable<Integer>,
        action -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    item_votes (item_id, person_id, casting) {
        item_id -> Integer,
        person_id -> Integer,
        vote -> Text,
        casting -> Bool,
    }
}

diesel::table! {
    item_papers (id) {
        id -> Integer,
        item_id -> Integer,
        file_name -> Text,
        content_type -> Text,
        size_bytes -> Integer,
        sha256 -> Text,
        content -> Binary,
        uploaded_by -> Nullable<Integer>,
        uploaded_at -> Timestamp,
    }
}

diesel::table! {
    interest_rounds (id) {
        id -> Integer,
        organisation_id -> Integer,
        title -> Text,
        due_on -> Date,
        opened_at -> Timestamp,
        last_reminded_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    interest_returns (round_id, person_id) {
        round_id -> Integer,
        person_id -> Integer,
        nil -> Bool,
        returned_at -> Timestamp,
    }
}

diesel::table! {
    interest_breaches (id) {
        id -> Integer,
        organisation_id -> Integer,
        person_id -> Nullable<Integer>,
        occurred_on -> Date,
        description -> Text,
        action_taken -> Text,
        recorded_by -> Nullable<Integer>,
        recorded_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    item_papers,
    interest_rounds,
    interest_returns,
    interest_breaches,
    committees,
    committee_members,
    meetings,
    meeting_attendance,
    agenda_items,
    item_declarations,
    item_votes,
    interest_people,
    interests,
    proxy_appointments,
    nomination_calls,
    nominations,
    nomination_supporters,
    mail_bounces,
    ballot_suspensions,
    ballot_voids,
    constitution_changes,
    consultation_documents,
    impact_assessments,
    consultation_responses,
    consultations,
    consultation_questions,
    certificates,
    signing_keys,
    retention_purges,
    ballots,
    ballot_options,
    ballot_electors,
    voting_tokens,
    ballot_voters,
    ballot_papers,
    ballot_recorded_votes,
    ballot_reminders,
    ballot_trustees,
    encrypted_papers,
    spoiled_papers,
    organisations,
    organisation_lmcs,
    practices,
    memberships,
    users,
    user_roles,
    two_factor_keys,
    recovery_codes,
    identity_links,
    organisation_sign_in,
    sso_link_requests,
    account_requests,
    login_failures,
    revoked_sessions,
    login_lockouts,
    setup_tokens,
    outbox_messages,
    password_tokens,
    list_sizes,
    audit_log,
    representatives,
    constitution_settings,
    pending_imports,
    api_tokens,
    practice_change_requests,
);

diesel::joinable!(user_roles -> organisations (organisation_id));
diesel::joinable!(user_roles -> practices (practice_id));

diesel::table! {
    outbox_messages (id) {
        id -> Integer,
        message_id -> Text,
        recipient_email -> Text,
        recipient_name -> Text,
        template -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        event_kind -> Text,
        event_id -> Nullable<Integer>,
        organisation_id -> Nullable<Integer>,
        practice_id -> Nullable<Integer>,
        user_id -> Nullable<Integer>,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        give_up_at -> Timestamp,
        claimed_by -> Nullable<Text>,
        claimed_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        resend_of -> Nullable<Integer>,
    }
}

diesel::table! {
    password_tokens (id) {
        id -> Integer,
        user_id -> Integer,
        purpose -> Text,
        token_digest -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        new_email -> Nullable<Text>,
    }
}

diesel::joinable!(outbox_messages -> organisations (organisation_id));
diesel::joinable!(outbox_messages -> practices (practice_id));
diesel::joinable!(password_tokens -> users (user_id));
diesel::joinable!(account_requests -> users (user_id));
diesel::joinable!(interests -> interest_people (person_id));
diesel::joinable!(committee_members -> committees (committee_id));
diesel::joinable!(meetings -> committees (committee_id));
diesel::joinable!(agenda_items -> meetings (meeting_id));
diesel::joinable!(item_papers -> agenda_items (item_id));
