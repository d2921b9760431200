//! Consultation queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{
    consultation_documents, consultation_questions, consultation_responses, consultations, impact_assessments,
    practices,
};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = consultations, check_for_backend(crate::db::MultiBackend))]
pub struct Consultation {
    pub id: i32,
    pub organisation_id: i32,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub options: String,
    pub state: String,
    pub closes_at: NaiveDateTime,
    pub ballot_id: Option<i32>,
    pub published_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    pub last_digest_at: Option<NaiveDateTime>,
    pub created_by: Option<i32>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = consultations)]
pub struct DraftRow {
    pub title: String,
    pub summary: String,
    pub body: String,
    pub options: String,
    pub closes_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(
    conn: &mut DbConn,
    organisation_id: i32,
    row: &DraftRow,
    by: i32,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    diesel::insert_into(consultations::table)
        .values((
            consultations::organisation_id.eq(organisation_id),
            row,
            consultations::state.eq("draft"),
            consultations::created_by.eq(by),
            consultations::created_at.eq(now),
        ))
        .returning(consultations::id)
        .get_result(conn)
}

/// Rewrites a draft; 0 when it is no longer a draft.
pub fn update_draft(conn: &mut DbConn, id: i32, row: &DraftRow) -> QueryResult<usize> {
    diesel::update(consultations::table.find(id).filter(consultations::state.eq("draft")))
        .set(row)
        .execute(conn)
}

/// Deletes a draft and its documents (a draft has no questions or
/// responses); 0 when it is no longer a draft.
pub fn delete_draft(conn: &mut DbConn, id: i32) -> QueryResult<usize> {
    let still_draft = consultations::table.find(id).filter(consultations::state.eq("draft"));
    if diesel::select(diesel::dsl::exists(still_draft)).get_result::<bool>(conn)? {
        diesel::delete(consultation_documents::table.filter(consultation_documents::consultation_id.eq(id)))
            .execute(conn)?;
    }
    diesel::delete(consultations::table.find(id).filter(consultations::state.eq("draft"))).execute(conn)
}

pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<Consultation>> {
    consultations::table
        .find(id)
        .select(Consultation::as_select())
        .first(conn)
        .optional()
}

pub fn of_organisation(conn: &mut DbConn, organisation_id: i32) -> QueryResult<Vec<Consultation>> {
    consultations::table
        .filter(consultations::organisation_id.eq(organisation_id))
        .order(consultations::id.desc())
        .select(Consultation::as_select())
        .load(conn)
}

pub fn in_state(conn: &mut DbConn, state: &str) -> QueryResult<Vec<Consultation>> {
    consultations::table
        .filter(consultations::state.eq(state))
        .select(Consultation::as_select())
        .load(conn)
}

/// Moves `from` → `to`; 0 when it was no longer in `from`.
pub fn transition(conn: &mut DbConn, id: i32, from: &str, to: &str, now: NaiveDateTime) -> QueryResult<usize> {
    let target = diesel::update(
        consultations::table
            .filter(consultations::id.eq(id))
            .filter(consultations::state.eq(from)),
    );
    if to == "open" {
        target
            .set((
                consultations::state.eq(to),
                consultations::published_at.eq(now),
                consultations::updated_at.eq(now),
            ))
            .execute(conn)
    } else {
        target
            .set((
                consultations::state.eq(to),
                consultations::closed_at.eq(now),
                consultations::updated_at.eq(now),
            ))
            .execute(conn)
    }
}

pub fn link_ballot(conn: &mut DbConn, id: i32, ballot_id: Option<i32>) -> QueryResult<usize> {
    diesel::update(consultations::table.find(id))
        .set(consultations::ballot_id.eq(ballot_id))
        .execute(conn)
}

pub fn set_last_digest(conn: &mut DbConn, id: i32, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(consultations::table.find(id))
        .set(consultations::last_digest_at.eq(at))
        .execute(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = consultation_questions, check_for_backend(crate::db::MultiBackend))]
pub struct Question {
    pub id: i32,
    pub consultation_id: i32,
    pub practice_id: i32,
    pub asked_by: i32,
    pub question: String,
    pub anonymous: bool,
    pub asked_at: NaiveDateTime,
    pub answer: Option<String>,
    pub answered_by: Option<i32>,
    pub answered_at: Option<NaiveDateTime>,
    pub in_digest_at: Option<NaiveDateTime>,
}

pub fn ask(
    conn: &mut DbConn,
    consultation_id: i32,
    practice_id: i32,
    asked_by: i32,
    question: &str,
    anonymous: bool,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    diesel::insert_into(consultation_questions::table)
        .values((
            consultation_questions::consultation_id.eq(consultation_id),
            consultation_questions::practice_id.eq(practice_id),
            consultation_questions::asked_by.eq(asked_by),
            consultation_questions::question.eq(question),
            consultation_questions::anonymous.eq(anonymous),
            consultation_questions::asked_at.eq(now),
        ))
        .returning(consultation_questions::id)
        .get_result(conn)
}

/// Answers an unanswered question; 0 when it was answered already.
pub fn answer(
    conn: &mut DbConn,
    id: i32,
    consultation_id: i32,
    answer: &str,
    by: i32,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        consultation_questions::table
            .filter(consultation_questions::id.eq(id))
            .filter(consultation_questions::consultation_id.eq(consultation_id))
            .filter(consultation_questions::answered_at.is_null()),
    )
    .set((
        consultation_questions::answer.eq(answer),
        consultation_questions::answered_by.eq(by),
        consultation_questions::answered_at.eq(now),
    ))
    .execute(conn)
}

/// A consultation's questions with the asking practice's code and name, oldest first.
pub fn questions(conn: &mut DbConn, consultation_id: i32) -> QueryResult<Vec<(Question, String, String)>> {
    consultation_questions::table
        .inner_join(practices::table)
        .filter(consultation_questions::consultation_id.eq(consultation_id))
        .order(consultation_questions::id.asc())
        .select((Question::as_select(), practices::ods_code, practices::name))
        .load(conn)
}

pub fn mark_in_digest(conn: &mut DbConn, ids: &[i32], at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(consultation_questions::table.filter(consultation_questions::id.eq_any(ids.to_vec())))
        .set(consultation_questions::in_digest_at.eq(at))
        .execute(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = consultation_responses, check_for_backend(crate::db::MultiBackend))]
pub struct Response {
    pub id: i32,
    pub consultation_id: i32,
    pub practice_id: i32,
    pub submitted_by: i32,
    pub positions: String,
    pub comment: String,
    pub revision: i32,
    pub submitted_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn response_of(conn: &mut DbConn, consultation_id: i32, practice_id: i32) -> QueryResult<Option<Response>> {
    consultation_responses::table
        .filter(consultation_responses::consultation_id.eq(consultation_id))
        .filter(consultation_responses::practice_id.eq(practice_id))
        .select(Response::as_select())
        .first(conn)
        .optional()
}

/// Writes a practice's response, or its next revision; returns the revision.
pub fn save_response(
    conn: &mut DbConn,
    consultation_id: i32,
    practice_id: i32,
    by: i32,
    positions: &str,
    comment: &str,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    match response_of(conn, consultation_id, practice_id)? {
        Some(existing) => {
            diesel::update(consultation_responses::table.find(existing.id))
                .set((
                    consultation_responses::positions.eq(positions),
                    consultation_responses::comment.eq(comment),
                    consultation_responses::submitted_by.eq(by),
                    consultation_responses::revision.eq(existing.revision + 1),
                    consultation_responses::updated_at.eq(now),
                ))
                .execute(conn)?;
            Ok(existing.revision + 1)
        }
        None => {
            diesel::insert_into(consultation_responses::table)
                .values((
                    consultation_responses::consultation_id.eq(consultation_id),
                    consultation_responses::practice_id.eq(practice_id),
                    consultation_responses::submitted_by.eq(by),
                    consultation_responses::positions.eq(positions),
                    consultation_responses::comment.eq(comment),
                    consultation_responses::revision.eq(1),
                    consultation_responses::submitted_at.eq(now),
                    consultation_responses::updated_at.eq(now),
                ))
                .execute(conn)?;
            Ok(1)
        }
    }
}

/// A consultation's responses with each practice's id, code and name.
pub fn responses(conn: &mut DbConn, consultation_id: i32) -> QueryResult<Vec<(Response, String, String)>> {
    consultation_responses::table
        .inner_join(practices::table)
        .filter(consultation_responses::consultation_id.eq(consultation_id))
        .order(practices::ods_code.asc())
        .select((Response::as_select(), practices::ods_code, practices::name))
        .load(conn)
}

/// A practice's saved impact assessment (JSON) and when it was saved.
pub fn impact_of(
    conn: &mut DbConn,
    consultation_id: i32,
    practice_id: i32,
) -> QueryResult<Option<(String, NaiveDateTime)>> {
    impact_assessments::table
        .filter(impact_assessments::consultation_id.eq(consultation_id))
        .filter(impact_assessments::practice_id.eq(practice_id))
        .select((impact_assessments::answers, impact_assessments::updated_at))
        .first(conn)
        .optional()
}

#[allow(clippy::too_many_arguments)]
pub fn save_impact(
    conn: &mut DbConn,
    consultation_id: i32,
    practice_id: i32,
    contract_type: &str,
    list_size: i32,
    answers: &str,
    notes: &str,
    by: i32,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let existing = impact_assessments::table
        .filter(impact_assessments::consultation_id.eq(consultation_id))
        .filter(impact_assessments::practice_id.eq(practice_id))
        .select(impact_assessments::id)
        .first::<i32>(conn)
        .optional()?;
    let values = (
        impact_assessments::contract_type.eq(contract_type),
        impact_assessments::list_size.eq(list_size),
        impact_assessments::answers.eq(answers),
        impact_assessments::notes.eq(notes),
        impact_assessments::updated_by.eq(by),
        impact_assessments::updated_at.eq(now),
    );
    match existing {
        Some(id) => diesel::update(impact_assessments::table.find(id))
            .set(values)
            .execute(conn),
        None => diesel::insert_into(impact_assessments::table)
            .values((
                impact_assessments::consultation_id.eq(consultation_id),
                impact_assessments::practice_id.eq(practice_id),
                values,
            ))
            .execute(conn),
    }
}

/// Every practice's assessment of a consultation (JSON), for the aggregate only.
pub fn impacts(conn: &mut DbConn, consultation_id: i32) -> QueryResult<Vec<String>> {
    impact_assessments::table
        .filter(impact_assessments::consultation_id.eq(consultation_id))
        .select(impact_assessments::answers)
        .load(conn)
}

#[derive(Debug, Clone, Queryable)]
pub struct DocumentInfo {
    pub id: i32,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i32,
    pub sha256: String,
    pub uploaded_at: NaiveDateTime,
}

#[allow(clippy::too_many_arguments)]
pub fn add_document(
    conn: &mut DbConn,
    consultation_id: i32,
    file_name: &str,
    content_type: &str,
    content: &[u8],
    sha256: &str,
    by: i32,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    diesel::insert_into(consultation_documents::table)
        .values((
            consultation_documents::consultation_id.eq(consultation_id),
            consultation_documents::file_name.eq(file_name),
            consultation_documents::content_type.eq(content_type),
            consultation_documents::size_bytes.eq(i32::try_from(content.len()).unwrap_or(i32::MAX)),
            consultation_documents::sha256.eq(sha256),
            consultation_documents::content.eq(content),
            consultation_documents::uploaded_by.eq(by),
            consultation_documents::uploaded_at.eq(now),
        ))
        .returning(consultation_documents::id)
        .get_result(conn)
}

/// A consultation's documents, without their content, oldest first.
pub fn documents(conn: &mut DbConn, consultation_id: i32) -> QueryResult<Vec<DocumentInfo>> {
    consultation_documents::table
        .filter(consultation_documents::consultation_id.eq(consultation_id))
        .order(consultation_documents::id.asc())
        .select((
            consultation_documents::id,
            consultation_documents::file_name,
            consultation_documents::content_type,
            consultation_documents::size_bytes,
            consultation_documents::sha256,
            consultation_documents::uploaded_at,
        ))
        .load(conn)
}

/// One document's name, type and content.
pub fn document(conn: &mut DbConn, consultation_id: i32, id: i32) -> QueryResult<Option<(String, String, Vec<u8>)>> {
    consultation_documents::table
        .filter(consultation_documents::consultation_id.eq(consultation_id))
        .filter(consultation_documents::id.eq(id))
        .select((
            consultation_documents::file_name,
            consultation_documents::content_type,
            consultation_documents::content,
        ))
        .first(conn)
        .optional()
}

/// The consultations that lead to a ballot.
pub fn leading_to(conn: &mut DbConn, ballot_id: i32) -> QueryResult<Vec<Consultation>> {
    consultations::table
        .filter(consultations::ballot_id.eq(ballot_id))
        .select(Consultation::as_select())
        .load(conn)
}
