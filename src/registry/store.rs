//! Queries for organisations, practices and memberships.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{memberships, organisation_lmcs, organisations, practices};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = organisations, check_for_backend(crate::db::MultiBackend))]
pub struct Organisation {
    pub id: i32,
    pub kind: String,
    pub ods_code: String,
    pub name: String,
    pub is_demo: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = organisations)]
pub struct NewOrganisation<'a> {
    pub kind: &'a str,
    pub ods_code: &'a str,
    pub name: &'a str,
    pub is_demo: bool,
    pub created_at: NaiveDateTime,
}

impl NewOrganisation<'_> {
    pub fn insert(&self, conn: &mut DbConn) -> QueryResult<i32> {
        diesel::insert_into(organisations::table)
            .values(self)
            .returning(organisations::id)
            .get_result(conn)
    }
}

impl Organisation {
    pub fn find_by_code(conn: &mut DbConn, code: &str) -> QueryResult<Option<Organisation>> {
        organisations::table
            .filter(organisations::ods_code.eq(code))
            .select(Organisation::as_select())
            .first(conn)
            .optional()
    }

    pub fn all(conn: &mut DbConn) -> QueryResult<Vec<Organisation>> {
        organisations::table
            .order(organisations::name.asc())
            .select(Organisation::as_select())
            .load(conn)
    }

    pub fn with_ids(conn: &mut DbConn, ids: &[i32]) -> QueryResult<Vec<Organisation>> {
        organisations::table
            .filter(organisations::id.eq_any(ids.to_vec()))
            .order(organisations::name.asc())
            .select(Organisation::as_select())
            .load(conn)
    }

    /// The LMCs that cover organisation `id`.
    pub fn covering_lmcs(conn: &mut DbConn, id: i32) -> QueryResult<Vec<Organisation>> {
        organisation_lmcs::table
            .inner_join(organisations::table.on(organisations::id.eq(organisation_lmcs::lmc_id)))
            .filter(organisation_lmcs::organisation_id.eq(id))
            .order(organisations::name.asc())
            .select(Organisation::as_select())
            .load(conn)
    }

    /// Organisations covered by any of the given LMCs.
    pub fn covered_by(conn: &mut DbConn, lmc_ids: &[i32]) -> QueryResult<Vec<i32>> {
        organisation_lmcs::table
            .filter(organisation_lmcs::lmc_id.eq_any(lmc_ids.to_vec()))
            .select(organisation_lmcs::organisation_id)
            .load(conn)
    }

    /// The organisation practice `practice_id` is a member of on `day`.
    pub fn of_practice_on(conn: &mut DbConn, practice_id: i32, day: NaiveDate) -> QueryResult<Option<Organisation>> {
        memberships::table
            .inner_join(organisations::table)
            .filter(memberships::practice_id.eq(practice_id))
            .filter(memberships::joined_on.le(day))
            .filter(memberships::left_on.is_null().or(memberships::left_on.gt(day)))
            .order(memberships::joined_on.desc())
            .select(Organisation::as_select())
            .first(conn)
            .optional()
    }

    pub fn remove_covering_lmc(conn: &mut DbConn, id: i32, lmc_id: i32) -> QueryResult<usize> {
        diesel::delete(
            organisation_lmcs::table
                .filter(organisation_lmcs::organisation_id.eq(id))
                .filter(organisation_lmcs::lmc_id.eq(lmc_id)),
        )
        .execute(conn)
    }

    pub fn add_covering_lmc(conn: &mut DbConn, id: i32, lmc_id: i32) -> QueryResult<usize> {
        diesel::insert_into(organisation_lmcs::table)
            .values((
                organisation_lmcs::organisation_id.eq(id),
                organisation_lmcs::lmc_id.eq(lmc_id),
            ))
            .execute(conn)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = practices, check_for_backend(crate::db::MultiBackend))]
pub struct Practice {
    pub id: i32,
    pub ods_code: String,
    pub name: String,
    pub is_demo: bool,
    pub created_at: NaiveDateTime,
    pub address_1: String,
    pub address_2: String,
    pub address_3: String,
    pub address_4: String,
    pub address_5: String,
    pub postcode: String,
    pub status: String,
    pub opened_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub telephone: String,
    pub prescribing_setting: String,
}

/// The fields of a practice that come from ODS (and can be edited).
#[derive(Debug, Clone, PartialEq, Eq, Insertable, AsChangeset)]
#[diesel(table_name = practices, treat_none_as_null = true)]
pub struct PracticeDetails {
    pub name: String,
    pub address_1: String,
    pub address_2: String,
    pub address_3: String,
    pub address_4: String,
    pub address_5: String,
    pub postcode: String,
    pub status: String,
    pub opened_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub telephone: String,
    pub prescribing_setting: String,
}

/// One membership of a practice, with the organisation's code and name.
#[derive(Debug, Clone, Queryable)]
pub struct MembershipRecord {
    pub organisation_code: String,
    pub organisation_name: String,
    pub joined_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
}

#[derive(Insertable)]
#[diesel(table_name = practices)]
struct NewPracticeRow {
    ods_code: String,
    is_demo: bool,
    created_at: NaiveDateTime,
    #[diesel(embed)]
    details: PracticeDetails,
}

impl Practice {
    pub fn details(&self) -> PracticeDetails {
        PracticeDetails {
            name: self.name.clone(),
            address_1: self.address_1.clone(),
            address_2: self.address_2.clone(),
            address_3: self.address_3.clone(),
            address_4: self.address_4.clone(),
            address_5: self.address_5.clone(),
            postcode: self.postcode.clone(),
            status: self.status.clone(),
            opened_on: self.opened_on,
            closed_on: self.closed_on,
            telephone: self.telephone.clone(),
            prescribing_setting: self.prescribing_setting.clone(),
        }
    }

    /// Every practice whose code is in `codes`.
    pub fn with_codes(conn: &mut DbConn, codes: &[String]) -> QueryResult<Vec<Practice>> {
        let mut found = Vec::with_capacity(codes.len());
        for chunk in codes.chunks(5_000) {
            found.extend(
                practices::table
                    .filter(practices::ods_code.eq_any(chunk))
                    .select(Practice::as_select())
                    .load(conn)?,
            );
        }
        Ok(found)
    }

    /// Practices with an open membership of `organisation_id`.
    pub fn current_members(conn: &mut DbConn, organisation_id: i32) -> QueryResult<Vec<Practice>> {
        memberships::table
            .inner_join(practices::table)
            .filter(memberships::organisation_id.eq(organisation_id))
            .filter(memberships::left_on.is_null())
            .select(Practice::as_select())
            .load(conn)
    }

    pub fn update_details(conn: &mut DbConn, id: i32, details: &PracticeDetails) -> QueryResult<usize> {
        diesel::update(practices::table.find(id)).set(details).execute(conn)
    }

    /// Inserts many new practices with one statement per chunk.
    pub fn insert_all(
        conn: &mut DbConn,
        rows: Vec<(String, PracticeDetails)>,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        let values: Vec<NewPracticeRow> = rows
            .into_iter()
            .map(|(ods_code, details)| NewPracticeRow {
                ods_code,
                is_demo: false,
                created_at: now,
                details,
            })
            .collect();
        let mut written = 0;
        for chunk in values.chunks(500) {
            written += crate::per_backend!(conn, |c| diesel::insert_into(practices::table).values(chunk).execute(c))?;
        }
        Ok(written)
    }

    /// Ends practice `practice_id`'s open membership of `organisation_id`.
    pub fn leave(conn: &mut DbConn, practice_id: i32, organisation_id: i32, left_on: NaiveDate) -> QueryResult<usize> {
        diesel::update(
            memberships::table
                .filter(memberships::practice_id.eq(practice_id))
                .filter(memberships::organisation_id.eq(organisation_id))
                .filter(memberships::left_on.is_null()),
        )
        .set(memberships::left_on.eq(left_on))
        .execute(conn)
    }

    /// Opens memberships in bulk: (practice id, joined on).
    pub fn join_all(conn: &mut DbConn, organisation_id: i32, joins: &[(i32, NaiveDate)]) -> QueryResult<usize> {
        let values: Vec<_> = joins
            .iter()
            .map(|(practice_id, joined_on)| {
                (
                    memberships::practice_id.eq(*practice_id),
                    memberships::organisation_id.eq(organisation_id),
                    memberships::joined_on.eq(*joined_on),
                )
            })
            .collect();
        let mut written = 0;
        for chunk in values.chunks(500) {
            written += crate::per_backend!(conn, |c| diesel::insert_into(memberships::table)
                .values(chunk)
                .execute(c))?;
        }
        Ok(written)
    }
}

#[derive(Insertable)]
#[diesel(table_name = practices)]
pub struct NewPractice<'a> {
    pub ods_code: &'a str,
    pub name: &'a str,
    pub is_demo: bool,
    pub created_at: NaiveDateTime,
}

impl NewPractice<'_> {
    pub fn insert(&self, conn: &mut DbConn) -> QueryResult<i32> {
        diesel::insert_into(practices::table)
            .values(self)
            .returning(practices::id)
            .get_result(conn)
    }
}

impl Practice {
    pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<Practice>> {
        practices::table
            .find(id)
            .select(Practice::as_select())
            .first(conn)
            .optional()
    }

    pub fn find_by_code(conn: &mut DbConn, code: &str) -> QueryResult<Option<Practice>> {
        practices::table
            .filter(practices::ods_code.eq(code))
            .select(Practice::as_select())
            .first(conn)
            .optional()
    }

    /// Members of organisation `id` on `day`, with the day each joined.
    pub fn members_with_joined_on(
        conn: &mut DbConn,
        organisation_id: i32,
        day: NaiveDate,
    ) -> QueryResult<Vec<(Practice, NaiveDate)>> {
        memberships::table
            .inner_join(practices::table)
            .filter(memberships::organisation_id.eq(organisation_id))
            .filter(memberships::joined_on.le(day))
            .filter(memberships::left_on.is_null().or(memberships::left_on.gt(day)))
            .select((Practice::as_select(), memberships::joined_on))
            .load(conn)
    }

    /// A practice's memberships: (organisation code, name, joined, left).
    pub fn membership_history(conn: &mut DbConn, practice_id: i32) -> QueryResult<Vec<MembershipRecord>> {
        memberships::table
            .inner_join(organisations::table)
            .filter(memberships::practice_id.eq(practice_id))
            .order((memberships::joined_on.desc(), memberships::id.desc()))
            .select((
                organisations::ods_code,
                organisations::name,
                memberships::joined_on,
                memberships::left_on,
            ))
            .load(conn)
    }

    /// Practices that are members of organisation `id` on `day`.
    pub fn members_on(conn: &mut DbConn, organisation_id: i32, day: NaiveDate) -> QueryResult<Vec<Practice>> {
        memberships::table
            .inner_join(practices::table)
            .filter(memberships::organisation_id.eq(organisation_id))
            .filter(memberships::joined_on.le(day))
            .filter(memberships::left_on.is_null().or(memberships::left_on.gt(day)))
            .order(practices::name.asc())
            .select(Practice::as_select())
            .load(conn)
    }

    pub fn join(conn: &mut DbConn, practice_id: i32, organisation_id: i32, joined_on: NaiveDate) -> QueryResult<usize> {
        diesel::insert_into(memberships::table)
            .values((
                memberships::practice_id.eq(practice_id),
                memberships::organisation_id.eq(organisation_id),
                memberships::joined_on.eq(joined_on),
            ))
            .execute(conn)
    }
}

/// Registered list sizes, one row per practice and extract date.
pub mod list_sizes {
    use chrono::{NaiveDate, NaiveDateTime};
    use diesel::prelude::*;

    use crate::db::DbConn;
    use crate::db::schema::list_sizes;

    /// (practice id, patients) recorded for `extract_date`.
    pub fn on_date(conn: &mut DbConn, extract_date: NaiveDate) -> QueryResult<Vec<(i32, i32)>> {
        list_sizes::table
            .filter(list_sizes::extract_date.eq(extract_date))
            .select((list_sizes::practice_id, list_sizes::patients))
            .load(conn)
    }

    pub fn insert_all(conn: &mut DbConn, rows: &[(i32, NaiveDate, i32)], now: NaiveDateTime) -> QueryResult<usize> {
        let values: Vec<_> = rows
            .iter()
            .map(|(practice_id, extract_date, patients)| {
                (
                    list_sizes::practice_id.eq(*practice_id),
                    list_sizes::extract_date.eq(*extract_date),
                    list_sizes::patients.eq(*patients),
                    list_sizes::recorded_at.eq(now),
                )
            })
            .collect();
        let mut written = 0;
        for chunk in values.chunks(1_000) {
            written += crate::per_backend!(conn, |c| diesel::insert_into(list_sizes::table)
                .values(chunk)
                .execute(c))?;
        }
        Ok(written)
    }

    pub fn update(
        conn: &mut DbConn,
        practice_id: i32,
        extract_date: NaiveDate,
        patients: i32,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::update(
            list_sizes::table
                .filter(list_sizes::practice_id.eq(practice_id))
                .filter(list_sizes::extract_date.eq(extract_date)),
        )
        .set((list_sizes::patients.eq(patients), list_sizes::recorded_at.eq(now)))
        .execute(conn)
    }

    /// For each of `practice_ids`, the latest list size extracted on or before `day`.
    pub fn latest_on(
        conn: &mut DbConn,
        practice_ids: &[i32],
        day: NaiveDate,
    ) -> QueryResult<std::collections::HashMap<i32, (NaiveDate, i32)>> {
        let mut latest = std::collections::HashMap::new();
        for chunk in practice_ids.chunks(5_000) {
            let rows: Vec<(i32, NaiveDate, i32)> = list_sizes::table
                .filter(list_sizes::practice_id.eq_any(chunk))
                .filter(list_sizes::extract_date.le(day))
                .select((list_sizes::practice_id, list_sizes::extract_date, list_sizes::patients))
                .load(conn)?;
            for (practice_id, date, patients) in rows {
                let entry = latest.entry(practice_id).or_insert((date, patients));
                if date > entry.0 {
                    *entry = (date, patients);
                }
            }
        }
        Ok(latest)
    }

    /// A practice's list sizes, newest first.
    pub fn history(conn: &mut DbConn, practice_id: i32) -> QueryResult<Vec<(NaiveDate, i32)>> {
        list_sizes::table
            .filter(list_sizes::practice_id.eq(practice_id))
            .order(list_sizes::extract_date.desc())
            .select((list_sizes::extract_date, list_sizes::patients))
            .load(conn)
    }
}

/// People acting for practices.
pub mod representatives {
    use chrono::{NaiveDate, NaiveDateTime};
    use diesel::prelude::*;

    use crate::db::DbConn;
    use crate::db::schema::{representatives, users};

    /// A representative with their name and email.
    #[derive(Debug, Clone, Queryable)]
    pub struct RepresentativeRecord {
        pub id: i32,
        pub kind: String,
        pub started_on: NaiveDate,
        pub ended_on: Option<NaiveDate>,
        pub user_id: i32,
        pub name: String,
        pub email: String,
    }

    /// A practice's representatives, current ones first, newest first.
    pub fn of_practice(conn: &mut DbConn, practice_id: i32) -> QueryResult<Vec<RepresentativeRecord>> {
        let mut all: Vec<RepresentativeRecord> = representatives::table
            .inner_join(users::table)
            .filter(representatives::practice_id.eq(practice_id))
            .order((representatives::started_on.desc(), representatives::id.desc()))
            .select((
                representatives::id,
                representatives::kind,
                representatives::started_on,
                representatives::ended_on,
                users::id,
                users::name,
                users::email,
            ))
            .load(conn)?;
        all.sort_by_key(|r| r.ended_on.is_some());
        Ok(all)
    }

    /// Practices (of `practice_ids`) with a nominated representative on `day`.
    pub fn practices_with_nominated_on(
        conn: &mut DbConn,
        practice_ids: &[i32],
        day: NaiveDate,
    ) -> QueryResult<Vec<i32>> {
        let mut found = Vec::new();
        for chunk in practice_ids.chunks(5_000) {
            found.extend(
                representatives::table
                    .filter(representatives::practice_id.eq_any(chunk))
                    .filter(representatives::kind.eq("nominated"))
                    .filter(representatives::started_on.le(day))
                    .filter(
                        representatives::ended_on
                            .is_null()
                            .or(representatives::ended_on.gt(day)),
                    )
                    .select(representatives::practice_id)
                    .load::<i32>(conn)?,
            );
        }
        Ok(found)
    }

    /// A practice's nominated representative or deputy on a day, with how
    /// to reach them.
    #[derive(Debug, Clone, Queryable)]
    pub struct CurrentRepresentative {
        pub practice_id: i32,
        pub kind: String,
        pub user_id: i32,
        pub name: String,
        pub email: String,
    }

    /// The nominated representatives and deputies of `practice_ids` on `day`.
    pub fn voting_representatives_on(
        conn: &mut DbConn,
        practice_ids: &[i32],
        day: NaiveDate,
    ) -> QueryResult<Vec<CurrentRepresentative>> {
        let mut found = Vec::new();
        for chunk in practice_ids.chunks(5_000) {
            found.extend(
                representatives::table
                    .inner_join(users::table)
                    .filter(representatives::practice_id.eq_any(chunk))
                    .filter(representatives::kind.eq_any(["nominated", "deputy"]))
                    .filter(representatives::started_on.le(day))
                    .filter(
                        representatives::ended_on
                            .is_null()
                            .or(representatives::ended_on.gt(day)),
                    )
                    .select((
                        representatives::practice_id,
                        representatives::kind,
                        users::id,
                        users::name,
                        users::email,
                    ))
                    .load::<CurrentRepresentative>(conn)?,
            );
        }
        Ok(found)
    }

    /// Ends the current holder of `kind` for a practice; returns how many ended.
    pub fn end_current(conn: &mut DbConn, practice_id: i32, kind: &str, on: NaiveDate) -> QueryResult<usize> {
        diesel::update(
            representatives::table
                .filter(representatives::practice_id.eq(practice_id))
                .filter(representatives::kind.eq(kind))
                .filter(representatives::ended_on.is_null()),
        )
        .set(representatives::ended_on.eq(on))
        .execute(conn)
    }

    pub fn end(conn: &mut DbConn, id: i32, practice_id: i32, on: NaiveDate) -> QueryResult<usize> {
        diesel::update(
            representatives::table
                .filter(representatives::id.eq(id))
                .filter(representatives::practice_id.eq(practice_id))
                .filter(representatives::ended_on.is_null()),
        )
        .set(representatives::ended_on.eq(on))
        .execute(conn)
    }

    pub fn insert(
        conn: &mut DbConn,
        practice_id: i32,
        user_id: i32,
        kind: &str,
        started_on: NaiveDate,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::insert_into(representatives::table)
            .values((
                representatives::practice_id.eq(practice_id),
                representatives::user_id.eq(user_id),
                representatives::kind.eq(kind),
                representatives::started_on.eq(started_on),
                representatives::created_at.eq(now),
            ))
            .execute(conn)
    }
}

/// Constitution settings, stored as text and checked on the way out.
pub mod constitution {
    use chrono::NaiveDateTime;
    use diesel::prelude::*;

    use crate::db::DbConn;
    use crate::db::schema::constitution_settings;
    use crate::registry::constitution::SettingsForm;

    type Row = (String, i32, String, i32, String, String, String, String, i32, String);

    pub fn find(conn: &mut DbConn, organisation_id: i32) -> QueryResult<Option<SettingsForm>> {
        let row: Option<Row> = constitution_settings::table
            .find(organisation_id)
            .select((
                constitution_settings::weighting,
                constitution_settings::patients_per_vote,
                constitution_settings::quorum_basis,
                constitution_settings::quorum_percent,
                constitution_settings::ordinary_threshold,
                constitution_settings::amendment_threshold,
                constitution_settings::removal_threshold,
                constitution_settings::dissolution_threshold,
                constitution_settings::minimum_notice_days,
                constitution_settings::voters,
            ))
            .first(conn)
            .optional()?;
        Ok(row.map(
            |(weighting, per, basis, percent, ordinary, amendment, removal, dissolution, notice, voters)| {
                SettingsForm {
                    weighting,
                    patients_per_vote: per.to_string(),
                    quorum_basis: basis,
                    quorum_percent: percent.to_string(),
                    ordinary_threshold: ordinary,
                    amendment_threshold: amendment,
                    removal_threshold: removal,
                    dissolution_threshold: dissolution,
                    minimum_notice_days: notice.to_string(),
                    voters,
                }
            },
        ))
    }

    /// Replaces the settings (the form must already be checked).
    pub fn save(conn: &mut DbConn, organisation_id: i32, form: &SettingsForm, now: NaiveDateTime) -> QueryResult<()> {
        let number = |s: &str| s.replace(',', "").trim().parse::<i32>().unwrap_or(0);
        diesel::delete(constitution_settings::table.find(organisation_id)).execute(conn)?;
        diesel::insert_into(constitution_settings::table)
            .values((
                constitution_settings::organisation_id.eq(organisation_id),
                constitution_settings::weighting.eq(&form.weighting),
                constitution_settings::patients_per_vote.eq(number(&form.patients_per_vote).max(1)),
                constitution_settings::quorum_basis.eq(&form.quorum_basis),
                constitution_settings::quorum_percent.eq(number(&form.quorum_percent)),
                constitution_settings::ordinary_threshold.eq(&form.ordinary_threshold),
                constitution_settings::amendment_threshold.eq(&form.amendment_threshold),
                constitution_settings::removal_threshold.eq(&form.removal_threshold),
                constitution_settings::dissolution_threshold.eq(&form.dissolution_threshold),
                constitution_settings::minimum_notice_days.eq(number(&form.minimum_notice_days)),
                constitution_settings::voters.eq(&form.voters),
                constitution_settings::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    }
}

/// The history of constitution settings: every change with its reason.
pub mod constitution_changes {
    use chrono::NaiveDateTime;
    use diesel::prelude::*;

    use crate::db::DbConn;
    use crate::db::schema::constitution_changes;

    #[derive(Debug, Clone, Queryable, Selectable)]
    #[diesel(table_name = constitution_changes, check_for_backend(crate::db::MultiBackend))]
    pub struct Change {
        pub id: i32,
        pub organisation_id: i32,
        pub changed_at: NaiveDateTime,
        pub changed_by: Option<i32>,
        pub reason: String,
        pub summary: String,
        pub before_settings: String,
        pub after_settings: String,
    }

    #[derive(Insertable)]
    #[diesel(table_name = constitution_changes)]
    pub struct NewChange<'a> {
        pub organisation_id: i32,
        pub changed_at: NaiveDateTime,
        pub changed_by: Option<i32>,
        pub reason: &'a str,
        pub summary: &'a str,
        pub before_settings: &'a str,
        pub after_settings: &'a str,
    }

    pub fn insert(conn: &mut DbConn, change: &NewChange<'_>) -> QueryResult<usize> {
        diesel::insert_into(constitution_changes::table)
            .values(change)
            .execute(conn)
    }

    /// The changes of one organisation made in `[from, to]`, oldest first.
    pub fn between(
        conn: &mut DbConn,
        organisation_id: i32,
        from: NaiveDateTime,
        to: NaiveDateTime,
    ) -> QueryResult<Vec<Change>> {
        constitution_changes::table
            .filter(constitution_changes::organisation_id.eq(organisation_id))
            .filter(constitution_changes::changed_at.ge(from))
            .filter(constitution_changes::changed_at.le(to))
            .order(constitution_changes::changed_at.asc())
            .select(Change::as_select())
            .load(conn)
    }
}

/// Files uploaded through the web, waiting for confirmation.
pub mod pending_imports {
    use chrono::NaiveDateTime;
    use diesel::prelude::*;

    use crate::db::DbConn;
    use crate::db::schema::pending_imports;

    #[derive(Debug, Clone, Queryable)]
    pub struct PendingImport {
        pub id: i32,
        pub kind: String,
        pub file_name: String,
        pub content: Vec<u8>,
        pub uploaded_by: i32,
        pub created_at: NaiveDateTime,
    }

    #[derive(Insertable)]
    #[diesel(table_name = pending_imports)]
    pub struct NewPendingImport<'a> {
        pub token: &'a str,
        pub organisation_id: i32,
        pub kind: &'a str,
        pub file_name: &'a str,
        pub content: &'a [u8],
        pub uploaded_by: i32,
        pub created_at: NaiveDateTime,
    }

    pub fn insert(conn: &mut DbConn, new: &NewPendingImport<'_>) -> QueryResult<usize> {
        diesel::insert_into(pending_imports::table).values(new).execute(conn)
    }

    pub fn find(conn: &mut DbConn, token: &str, organisation_id: i32) -> QueryResult<Option<PendingImport>> {
        pending_imports::table
            .filter(pending_imports::token.eq(token))
            .filter(pending_imports::organisation_id.eq(organisation_id))
            .select((
                pending_imports::id,
                pending_imports::kind,
                pending_imports::file_name,
                pending_imports::content,
                pending_imports::uploaded_by,
                pending_imports::created_at,
            ))
            .first(conn)
            .optional()
    }

    pub fn delete(conn: &mut DbConn, id: i32) -> QueryResult<usize> {
        diesel::delete(pending_imports::table.find(id)).execute(conn)
    }

    pub fn delete_older_than(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
        diesel::delete(pending_imports::table.filter(pending_imports::created_at.lt(before))).execute(conn)
    }
}

/// Changes proposed by a practice's representatives.
pub mod change_requests {
    use chrono::NaiveDateTime;
    use diesel::prelude::*;

    use crate::db::DbConn;
    use crate::db::schema::{memberships, practice_change_requests, practices, users};

    #[derive(Debug, Clone, Queryable)]
    pub struct ChangeRequest {
        pub id: i32,
        pub practice_id: i32,
        pub practice_code: String,
        pub practice_name: String,
        pub requested_by: String,
        pub proposed: String,
        pub note: String,
        pub created_at: NaiveDateTime,
    }

    pub fn insert(
        conn: &mut DbConn,
        practice_id: i32,
        requested_by: i32,
        proposed: &str,
        note: &str,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::insert_into(practice_change_requests::table)
            .values((
                practice_change_requests::practice_id.eq(practice_id),
                practice_change_requests::requested_by.eq(requested_by),
                practice_change_requests::proposed.eq(proposed),
                practice_change_requests::note.eq(note),
                practice_change_requests::state.eq("pending"),
                practice_change_requests::created_at.eq(now),
            ))
            .execute(conn)
    }

    /// Pending requests for practices currently members of `organisation_id`.
    pub fn pending_for(conn: &mut DbConn, organisation_id: i32) -> QueryResult<Vec<ChangeRequest>> {
        let member_ids: Vec<i32> = memberships::table
            .filter(memberships::organisation_id.eq(organisation_id))
            .filter(memberships::left_on.is_null())
            .select(memberships::practice_id)
            .load(conn)?;
        let mut found = Vec::new();
        for chunk in member_ids.chunks(5_000) {
            found.extend(
                practice_change_requests::table
                    .inner_join(practices::table)
                    .inner_join(users::table.on(users::id.eq(practice_change_requests::requested_by)))
                    .filter(practice_change_requests::state.eq("pending"))
                    .filter(practice_change_requests::practice_id.eq_any(chunk))
                    .order(practice_change_requests::id.asc())
                    .select((
                        practice_change_requests::id,
                        practice_change_requests::practice_id,
                        practices::ods_code,
                        practices::name,
                        users::name,
                        practice_change_requests::proposed,
                        practice_change_requests::note,
                        practice_change_requests::created_at,
                    ))
                    .load::<ChangeRequest>(conn)?,
            );
        }
        Ok(found)
    }

    /// Marks a pending request decided; 0 when it was not pending.
    pub fn decide(conn: &mut DbConn, id: i32, state: &str, decided_by: i32, now: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(
            practice_change_requests::table
                .filter(practice_change_requests::id.eq(id))
                .filter(practice_change_requests::state.eq("pending")),
        )
        .set((
            practice_change_requests::state.eq(state),
            practice_change_requests::decided_by.eq(decided_by),
            practice_change_requests::decided_at.eq(now),
        ))
        .execute(conn)
    }
}
