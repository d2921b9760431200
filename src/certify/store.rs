//! Certificates as issued.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::certificates;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = certificates, check_for_backend(crate::db::MultiBackend))]
pub struct CertificateRow {
    pub id: String,
    pub ballot_id: i32,
    pub organisation_id: i32,
    pub document: String,
    pub issued_at: NaiveDateTime,
    pub issued_by: Option<i32>,
}

pub fn insert(conn: &mut DbConn, row: &CertificateRow) -> QueryResult<usize> {
    diesel::insert_into(certificates::table).values(row).execute(conn)
}

pub fn of_ballot(conn: &mut DbConn, ballot_id: i32) -> QueryResult<Option<CertificateRow>> {
    certificates::table
        .filter(certificates::ballot_id.eq(ballot_id))
        .select(CertificateRow::as_select())
        .first(conn)
        .optional()
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<CertificateRow>> {
    certificates::table
        .find(id)
        .select(CertificateRow::as_select())
        .first(conn)
        .optional()
}
