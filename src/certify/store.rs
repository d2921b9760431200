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

/// Every certificate's id, oldest first.
pub fn all_ids(conn: &mut DbConn) -> QueryResult<Vec<String>> {
    certificates::table
        .order(certificates::issued_at.asc())
        .select(certificates::id)
        .load(conn)
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<CertificateRow>> {
    certificates::table
        .find(id)
        .select(CertificateRow::as_select())
        .first(conn)
        .optional()
}

/// Public signing keys an organisation has used.
pub mod keys {
    use chrono::NaiveDateTime;
    use diesel::prelude::*;

    use crate::db::DbConn;
    use crate::db::schema::signing_keys;

    #[derive(Debug, Clone, Queryable, Selectable)]
    #[diesel(table_name = signing_keys, check_for_backend(crate::db::MultiBackend))]
    pub struct KeyRow {
        pub id: i32,
        pub organisation_id: i32,
        pub public_key: String,
        pub fingerprint: String,
        pub first_used_at: NaiveDateTime,
        pub retired_at: Option<NaiveDateTime>,
    }

    pub fn of_organisation(conn: &mut DbConn, organisation_id: i32) -> QueryResult<Vec<KeyRow>> {
        signing_keys::table
            .filter(signing_keys::organisation_id.eq(organisation_id))
            .order(signing_keys::first_used_at.asc())
            .select(KeyRow::as_select())
            .load(conn)
    }

    /// Every organisation's current key.
    pub fn current_of_all(conn: &mut DbConn) -> QueryResult<Vec<(crate::registry::store::Organisation, KeyRow)>> {
        use crate::db::schema::organisations;
        organisations::table
            .inner_join(signing_keys::table)
            .filter(signing_keys::retired_at.is_null())
            .order(organisations::ods_code.asc())
            .select((crate::registry::store::Organisation::as_select(), KeyRow::as_select()))
            .load(conn)
    }

    /// Retires the organisation's other keys and records `public_key` as its
    /// current one (when it is new); answers the keys it replaced.
    pub fn make_current(
        conn: &mut DbConn,
        organisation_id: i32,
        public_key: &str,
        fingerprint: &str,
        now: NaiveDateTime,
    ) -> QueryResult<Vec<KeyRow>> {
        let known = of_organisation(conn, organisation_id)?;
        if known
            .iter()
            .any(|k| k.public_key == public_key && k.retired_at.is_none())
        {
            return Ok(Vec::new());
        }
        let replaced: Vec<KeyRow> = known.into_iter().filter(|k| k.retired_at.is_none()).collect();
        diesel::update(
            signing_keys::table
                .filter(signing_keys::organisation_id.eq(organisation_id))
                .filter(signing_keys::retired_at.is_null()),
        )
        .set(signing_keys::retired_at.eq(now))
        .execute(conn)?;
        diesel::insert_into(signing_keys::table)
            .values((
                signing_keys::organisation_id.eq(organisation_id),
                signing_keys::public_key.eq(public_key),
                signing_keys::fingerprint.eq(fingerprint),
                signing_keys::first_used_at.eq(now),
            ))
            .execute(conn)?;
        Ok(replaced)
    }
}
