//! Committees, their members, meetings, agenda items, declarations made
//! for an item and recorded votes.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{
    agenda_items, committee_members, committees, item_declarations, item_votes, meeting_attendance, meetings,
};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = committees, check_for_backend(crate::db::MultiBackend))]
pub struct CommitteeRow {
    pub id: i32,
    pub organisation_id: i32,
    pub name: String,
    pub quorum_numerator: i32,
    pub quorum_denominator: i32,
    pub quorum_including: String,
    pub casting_vote: bool,
    pub withhold_papers: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = committees)]
pub struct CommitteeTerms {
    pub name: String,
    pub quorum_numerator: i32,
    pub quorum_denominator: i32,
    pub quorum_including: String,
    pub casting_vote: bool,
    pub withhold_papers: bool,
}

pub fn insert_committee(
    conn: &mut DbConn,
    organisation_id: i32,
    terms: &CommitteeTerms,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    diesel::insert_into(committees::table)
        .values((
            terms,
            committees::organisation_id.eq(organisation_id),
            committees::created_at.eq(now),
        ))
        .returning(committees::id)
        .get_result(conn)
}

pub fn update_terms(conn: &mut DbConn, id: i32, terms: &CommitteeTerms) -> QueryResult<usize> {
    diesel::update(committees::table.find(id)).set(terms).execute(conn)
}

pub fn committee(conn: &mut DbConn, id: i32) -> QueryResult<Option<CommitteeRow>> {
    committees::table
        .find(id)
        .select(CommitteeRow::as_select())
        .first(conn)
        .optional()
}

pub fn committees_of(conn: &mut DbConn, organisation_id: i32) -> QueryResult<Vec<CommitteeRow>> {
    committees::table
        .filter(committees::organisation_id.eq(organisation_id))
        .order(committees::name.asc())
        .select(CommitteeRow::as_select())
        .load(conn)
}

pub fn name_taken(conn: &mut DbConn, organisation_id: i32, name: &str, other_than: Option<i32>) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        committees::table
            .filter(committees::organisation_id.eq(organisation_id))
            .filter(committees::name.eq(name))
            // Ids start at 1, so 0 excludes nothing.
            .filter(committees::id.ne(other_than.unwrap_or(0))),
    ))
    .get_result(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = committee_members, check_for_backend(crate::db::MultiBackend))]
pub struct MemberRow {
    pub id: i32,
    pub committee_id: i32,
    pub person_id: i32,
    pub role: String,
    pub voting: bool,
    pub substitute_for: Option<i32>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = committee_members)]
pub struct NewMember {
    pub committee_id: i32,
    pub person_id: i32,
    pub role: String,
    pub voting: bool,
    pub substitute_for: Option<i32>,
}

pub fn members(conn: &mut DbConn, committee_id: i32) -> QueryResult<Vec<MemberRow>> {
    committee_members::table
        .filter(committee_members::committee_id.eq(committee_id))
        .order(committee_members::id.asc())
        .select(MemberRow::as_select())
        .load(conn)
}

pub fn insert_member(conn: &mut DbConn, row: &NewMember) -> QueryResult<usize> {
    diesel::insert_into(committee_members::table).values(row).execute(conn)
}

pub fn remove_member(conn: &mut DbConn, committee_id: i32, person_id: i32) -> QueryResult<usize> {
    diesel::delete(
        committee_members::table
            .filter(committee_members::committee_id.eq(committee_id))
            .filter(committee_members::person_id.eq(person_id)),
    )
    .execute(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = meetings, check_for_backend(crate::db::MultiBackend))]
pub struct MeetingRow {
    pub id: i32,
    pub committee_id: i32,
    pub title: String,
    pub starts_at: NaiveDateTime,
    pub location: String,
    pub created_at: NaiveDateTime,
    pub noticed_at: Option<NaiveDateTime>,
    pub minutes: Option<String>,
    pub minutes_approved_at: Option<NaiveDateTime>,
    pub minutes_approved_by: Option<i32>,
    pub minutes_published_at: Option<NaiveDateTime>,
    /// The terms of reference as they stood when attendance was recorded
    /// (JSON), which the meeting is judged by from then on.
    pub terms_at_meeting: Option<String>,
}

pub fn insert_meeting(
    conn: &mut DbConn,
    committee_id: i32,
    title: &str,
    starts_at: NaiveDateTime,
    location: &str,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    diesel::insert_into(meetings::table)
        .values((
            meetings::committee_id.eq(committee_id),
            meetings::title.eq(title),
            meetings::starts_at.eq(starts_at),
            meetings::location.eq(location),
            meetings::created_at.eq(now),
        ))
        .returning(meetings::id)
        .get_result(conn)
}

pub fn meeting(conn: &mut DbConn, id: i32) -> QueryResult<Option<MeetingRow>> {
    meetings::table
        .find(id)
        .select(MeetingRow::as_select())
        .first(conn)
        .optional()
}

pub fn meetings_of(conn: &mut DbConn, committee_id: i32) -> QueryResult<Vec<MeetingRow>> {
    meetings::table
        .filter(meetings::committee_id.eq(committee_id))
        .order(meetings::starts_at.desc())
        .select(MeetingRow::as_select())
        .load(conn)
}

pub fn set_minutes(conn: &mut DbConn, id: i32, text: &str) -> QueryResult<usize> {
    diesel::update(meetings::table.find(id).filter(meetings::minutes_approved_at.is_null()))
        .set(meetings::minutes.eq(text))
        .execute(conn)
}

pub fn approve_minutes(conn: &mut DbConn, id: i32, at_meeting: i32, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        meetings::table
            .find(id)
            .filter(meetings::minutes.is_not_null())
            .filter(meetings::minutes_approved_at.is_null()),
    )
    .set((
        meetings::minutes_approved_at.eq(now),
        meetings::minutes_approved_by.eq(at_meeting),
    ))
    .execute(conn)
}

pub fn publish_minutes(conn: &mut DbConn, id: i32, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        meetings::table
            .find(id)
            .filter(meetings::minutes_approved_at.is_not_null())
            .filter(meetings::minutes_published_at.is_null()),
    )
    .set(meetings::minutes_published_at.eq(now))
    .execute(conn)
}

pub fn attendance(conn: &mut DbConn, meeting_id: i32) -> QueryResult<Vec<(i32, String)>> {
    meeting_attendance::table
        .filter(meeting_attendance::meeting_id.eq(meeting_id))
        .select((meeting_attendance::person_id, meeting_attendance::attendance))
        .load(conn)
}

/// Replaces the meeting's attendance record (a committee's few members,
/// one row each).
pub fn keep_terms_at_meeting(conn: &mut DbConn, meeting_id: i32, terms: &str) -> QueryResult<usize> {
    diesel::update(meetings::table.find(meeting_id))
        .set(meetings::terms_at_meeting.eq(terms))
        .execute(conn)
}

pub fn set_attendance(conn: &mut DbConn, meeting_id: i32, rows: &[(i32, &str)]) -> QueryResult<()> {
    diesel::delete(meeting_attendance::table.filter(meeting_attendance::meeting_id.eq(meeting_id))).execute(conn)?;
    for (person, attendance) in rows {
        diesel::insert_into(meeting_attendance::table)
            .values((
                meeting_attendance::meeting_id.eq(meeting_id),
                meeting_attendance::person_id.eq(*person),
                meeting_attendance::attendance.eq(*attendance),
            ))
            .execute(conn)?;
    }
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = agenda_items, check_for_backend(crate::db::MultiBackend))]
pub struct ItemRow {
    pub id: i32,
    pub meeting_id: i32,
    pub position: i32,
    pub title: String,
    pub description: String,
    pub private: bool,
    pub subjects: String,
    pub motion: String,
    pub status: String,
    pub proposer_id: Option<i32>,
    pub seconder_id: Option<i32>,
    pub result: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = agenda_items)]
pub struct NewItem {
    pub meeting_id: i32,
    pub position: i32,
    pub title: String,
    pub description: String,
    pub private: bool,
    pub subjects: String,
    pub motion: String,
    pub status: String,
}

pub fn insert_item(conn: &mut DbConn, row: &NewItem) -> QueryResult<i32> {
    diesel::insert_into(agenda_items::table)
        .values(row)
        .returning(agenda_items::id)
        .get_result(conn)
}

pub fn items(conn: &mut DbConn, meeting_id: i32) -> QueryResult<Vec<ItemRow>> {
    agenda_items::table
        .filter(agenda_items::meeting_id.eq(meeting_id))
        .order((agenda_items::position.asc(), agenda_items::id.asc()))
        .select(ItemRow::as_select())
        .load(conn)
}

/// Records the item's decision once: 0 when it was decided or deferred
/// already.
pub fn decide_item(
    conn: &mut DbConn,
    id: i32,
    status: &str,
    proposer: Option<i32>,
    seconder: Option<i32>,
    result: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(agenda_items::table.find(id).filter(agenda_items::status.eq("open")))
        .set((
            agenda_items::status.eq(status),
            agenda_items::proposer_id.eq(proposer),
            agenda_items::seconder_id.eq(seconder),
            agenda_items::result.eq(result),
            agenda_items::decided_at.eq(now),
        ))
        .execute(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = item_declarations, check_for_backend(crate::db::MultiBackend))]
pub struct DeclarationRow {
    pub id: i32,
    pub item_id: i32,
    pub person_id: i32,
    pub interest_id: Option<i32>,
    pub action: String,
    pub recorded_at: NaiveDateTime,
}

pub fn declarations(conn: &mut DbConn, item_ids: &[i32]) -> QueryResult<Vec<DeclarationRow>> {
    item_declarations::table
        .filter(item_declarations::item_id.eq_any(item_ids))
        .order(item_declarations::id.asc())
        .select(DeclarationRow::as_select())
        .load(conn)
}

/// Records or changes a member's declaration for the item.
pub fn save_declaration(
    conn: &mut DbConn,
    item_id: i32,
    person_id: i32,
    interest_id: Option<i32>,
    action: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(
        item_declarations::table
            .filter(item_declarations::item_id.eq(item_id))
            .filter(item_declarations::person_id.eq(person_id)),
    )
    .execute(conn)?;
    diesel::insert_into(item_declarations::table)
        .values((
            item_declarations::item_id.eq(item_id),
            item_declarations::person_id.eq(person_id),
            item_declarations::interest_id.eq(interest_id),
            item_declarations::action.eq(action),
            item_declarations::recorded_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = item_votes, check_for_backend(crate::db::MultiBackend))]
pub struct VoteRow {
    pub item_id: i32,
    pub person_id: i32,
    pub vote: String,
    pub casting: bool,
}

pub fn votes(conn: &mut DbConn, item_ids: &[i32]) -> QueryResult<Vec<VoteRow>> {
    item_votes::table
        .filter(item_votes::item_id.eq_any(item_ids))
        .select(VoteRow::as_select())
        .load(conn)
}

/// Records an item's votes: (person, vote, casting).
pub fn insert_votes(conn: &mut DbConn, item_id: i32, rows: &[(i32, &str, bool)]) -> QueryResult<()> {
    for (person, vote, casting) in rows {
        diesel::insert_into(item_votes::table)
            .values((
                item_votes::item_id.eq(item_id),
                item_votes::person_id.eq(*person),
                item_votes::vote.eq(*vote),
                item_votes::casting.eq(*casting),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// A paper's details, without its content.
#[derive(Debug, Clone, Queryable)]
pub struct PaperInfo {
    pub id: i32,
    pub item_id: i32,
    pub file_name: String,
    pub size_bytes: i32,
}

#[allow(clippy::too_many_arguments)]
pub fn add_paper(
    conn: &mut DbConn,
    item_id: i32,
    file_name: &str,
    content_type: &str,
    content: &[u8],
    sha256: &str,
    uploaded_by: i32,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    use crate::db::schema::item_papers;
    diesel::insert_into(item_papers::table)
        .values((
            item_papers::item_id.eq(item_id),
            item_papers::file_name.eq(file_name),
            item_papers::content_type.eq(content_type),
            item_papers::size_bytes.eq(i32::try_from(content.len()).unwrap_or(i32::MAX)),
            item_papers::sha256.eq(sha256),
            item_papers::content.eq(content),
            item_papers::uploaded_by.eq(uploaded_by),
            item_papers::uploaded_at.eq(now),
        ))
        .returning(item_papers::id)
        .get_result(conn)
}

pub fn papers(conn: &mut DbConn, item_ids: &[i32]) -> QueryResult<Vec<PaperInfo>> {
    use crate::db::schema::item_papers;
    item_papers::table
        .filter(item_papers::item_id.eq_any(item_ids))
        .order(item_papers::id.asc())
        .select((
            item_papers::id,
            item_papers::item_id,
            item_papers::file_name,
            item_papers::size_bytes,
        ))
        .load(conn)
}

/// A paper of the item: (file name, content type, content).
pub fn paper(conn: &mut DbConn, item_id: i32, id: i32) -> QueryResult<Option<(String, String, Vec<u8>)>> {
    use crate::db::schema::item_papers;
    item_papers::table
        .filter(item_papers::item_id.eq(item_id))
        .filter(item_papers::id.eq(id))
        .select((item_papers::file_name, item_papers::content_type, item_papers::content))
        .first(conn)
        .optional()
}

pub fn mark_noticed(conn: &mut DbConn, id: i32, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(meetings::table.find(id))
        .set(meetings::noticed_at.eq(now))
        .execute(conn)
}
