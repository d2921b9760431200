//! The register of interests, each use-case one transaction: the
//! organisation's administrators add the people it is kept for and record
//! their declarations; anyone reads the public register of decision-makers'
//! interests, and those who run or oversee the organisation read all of it.
//! Every change is audited.

use chrono::{NaiveDate, NaiveDateTime};

use super::model::{self, Category, Declaration, Kind};
use super::store::{self, InterestRow, NewInterest, NewPerson, PersonRow};
use crate::accounts::model::{EmailAddress, Grants, OrganisationFacts};
use crate::accounts::service::SessionUser;
use crate::audit::service::{Event, record};
use crate::db::{DbConn, Pool};
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::model::EventKind;
use crate::mail::service::{Mail, Outbox};
use crate::registry::store::Organisation;

fn now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// Today in England, the day declarations are dated by.
pub fn today() -> NaiveDate {
    crate::time::london_day(now())
}

fn organisation(conn: &mut DbConn, code: &str) -> AppResult<Organisation> {
    Organisation::find_by_code(conn, &code.trim().to_ascii_uppercase())?.ok_or(AppError::NotFound)
}

/// Whether `grants` see the whole register: those who run the organisation
/// and the observers of an LMC that covers it.
fn sees_all(conn: &mut DbConn, grants: &Grants, organisation: &Organisation) -> AppResult<bool> {
    let lmcs = Organisation::covering_lmcs(conn, organisation.id)?;
    Ok(grants.may_oversee_organisation(&OrganisationFacts {
        id: organisation.id,
        covering_lmc_ids: lmcs.iter().map(|l| l.id).collect(),
        member_practice_ids: Vec::new(),
    }))
}

fn administered(conn: &mut DbConn, actor: &SessionUser, code: &str) -> AppResult<Organisation> {
    let organisation = organisation(conn, code)?;
    if !actor.grants().administers_organisation(organisation.id) {
        return Err(AppError::Forbidden(format!(
            "Only administrators of {} keep its register of interests.",
            organisation.name
        )));
    }
    Ok(organisation)
}

/// One declaration as the register shows it.
pub struct Entry {
    pub row: InterestRow,
    pub declaration: Declaration,
}

impl Entry {
    fn from_row(row: InterestRow) -> AppResult<Entry> {
        let declaration = declaration_of(&row)
            .ok_or_else(|| AppError::Internal(format!("interest {} has an unknown category or type", row.id)))?;
        Ok(Entry { row, declaration })
    }
}

/// A stored declaration as the rules take it; `None` if its category or
/// type is not one the rules know.
pub fn declaration_of(row: &InterestRow) -> Option<Declaration> {
    Some(Declaration {
        category: Category::parse(&row.category)?,
        kind: Kind::parse(&row.kind)?,
        counterparty: row.counterparty.clone(),
        description: row.description.clone(),
        starts_on: row.starts_on,
        ends_on: row.ends_on,
        declared_on: row.declared_on,
        value_pence: row.value_pence,
        accepted: row.accepted,
        management: row.management.clone(),
        agreed_by: row.agreed_by.clone(),
        withheld_reason: row.withheld_reason.clone(),
    })
}

/// A person with the entries the viewer may see.
pub struct PersonEntries {
    pub person: PersonRow,
    pub entries: Vec<Entry>,
}

/// The register as one viewer sees it.
pub struct Register {
    pub organisation: Organisation,
    /// The organisation's own view: everyone, every entry kept, with what
    /// is not public marked. Otherwise the public register.
    pub full: bool,
    pub may_administer: bool,
    pub today: NaiveDate,
    pub people: Vec<PersonEntries>,
    /// In the full view of someone who does not administer the register:
    /// how many withheld entries were left out. Their details and reasons
    /// are for the administrators only.
    pub withheld_hidden: usize,
}

/// The register of `code` on `today`: public (decision-makers' entries that
/// are not withheld and ended no more than six months ago), or, for those
/// who run or oversee the organisation, every entry still kept (withheld
/// ones only for its administrators, who keep the register).
pub fn register(pool: &Pool, grants: &Grants, code: &str, today: NaiveDate, public_only: bool) -> AppResult<Register> {
    let mut conn = pool.get()?;
    let organisation = organisation(&mut conn, code)?;
    let full = !public_only && sees_all(&mut conn, grants, &organisation)?;
    let may_administer = grants.administers_organisation(organisation.id);
    let mut entries: std::collections::BTreeMap<i32, Vec<Entry>> = Default::default();
    let mut withheld_hidden = 0;
    let people = store::people(&mut conn, organisation.id)?;
    let left_on: std::collections::BTreeMap<i32, Option<NaiveDate>> =
        people.iter().map(|p| (p.id, p.left_on)).collect();
    for row in store::interests_of_organisation(&mut conn, organisation.id)? {
        let mut entry = Entry::from_row(row)?;
        // A leaver's running interests count, and are shown, as ended when
        // they left.
        entry.declaration = entry
            .declaration
            .held_until_leaving(left_on.get(&entry.row.person_id).copied().flatten());
        let held = &entry.declaration;
        let kept = !held.expired_on(today);
        let shown = match (full, entry.declaration.withheld_reason.is_some()) {
            (true, true) if !may_administer => {
                withheld_hidden += usize::from(kept);
                false
            }
            (true, _) => kept,
            (false, _) => held.public_on(today),
        };
        if shown {
            entries.entry(entry.row.person_id).or_default().push(entry);
        }
    }
    let people = people
        .into_iter()
        .map(|person| PersonEntries {
            entries: entries.remove(&person.id).unwrap_or_default(),
            person,
        })
        // The public register: decision-makers in post, and those who have
        // left while their entries are still published.
        .filter(|p| full || (p.person.decision_maker && (p.person.active_on(today) || !p.entries.is_empty())))
        .collect();
    Ok(Register {
        may_administer,
        organisation,
        full,
        today,
        people,
        withheld_hidden,
    })
}

/// The public register as CSV: one row per entry, the columns the
/// guidance's template register has.
pub fn register_csv(register: &Register) -> AppResult<String> {
    use crate::format::SafeCsv;
    let mut out = csv::Writer::from_writer(Vec::new());
    let write = |out: &mut csv::Writer<Vec<u8>>, cells: Vec<String>| {
        out.write_safe(cells)
            .map_err(|e| AppError::Internal(format!("writing the register CSV: {e}")))
    };
    write(
        &mut out,
        [
            "Name",
            "Position",
            "Category",
            "Type",
            "With",
            "Description",
            "From",
            "To",
            "Declared",
            "Declared late",
            "Value",
            "Accepted",
            "Action taken to manage the interest",
            "Agreed by",
        ]
        .map(String::from)
        .to_vec(),
    )?;
    for person in &register.people {
        for entry in &person.entries {
            let d = &entry.declaration;
            write(
                &mut out,
                vec![
                    person.person.name.clone(),
                    person.person.position.clone(),
                    d.category.words().to_owned(),
                    d.kind.words().to_owned(),
                    d.counterparty.clone(),
                    d.description.clone(),
                    d.starts_on.to_string(),
                    d.ends_on.map(|e| e.to_string()).unwrap_or_default(),
                    d.declared_on.to_string(),
                    if d.declared_late_after(person.person.appointed_on) {
                        "yes"
                    } else {
                        "no"
                    }
                    .to_owned(),
                    d.value_pence.map(model::pounds).unwrap_or_default(),
                    match d.accepted {
                        Some(true) => "accepted",
                        Some(false) => "declined",
                        None => "",
                    }
                    .to_owned(),
                    d.management.clone(),
                    d.agreed_by.clone(),
                ],
            )?;
        }
    }
    let bytes = out
        .into_inner()
        .map_err(|e| AppError::Internal(format!("writing the register CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| AppError::Internal(format!("the register CSV: {e}")))
}

/// The organisation's people, for the declaration form's choice.
pub fn people(pool: &Pool, actor: &SessionUser, code: &str) -> AppResult<(Organisation, Vec<PersonRow>)> {
    let mut conn = pool.get()?;
    let organisation = administered(&mut conn, actor, code)?;
    let people = store::people(&mut conn, organisation.id)?;
    Ok((organisation, people))
}

/// A person to add, as the form sends it.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct PersonForm {
    pub name: String,
    pub email: String,
    pub position: String,
    /// "yes" or "no".
    pub decision_maker: String,
    /// When they took up the position (optional).
    pub appointed: String,
    /// When they left it (optional; editing only).
    pub left: String,
}

/// A person's details, read from the form.
struct PersonFields {
    name: String,
    position: String,
    email: Option<EmailAddress>,
    decision_maker: bool,
    appointed_on: Option<NaiveDate>,
    left_on: Option<NaiveDate>,
}

fn read_person(form: &PersonForm) -> Result<PersonFields, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = required_text("name", &form.name, "the person's name", 200, &mut errors);
    let position = required_text("position", &form.position, "their position", 200, &mut errors);
    let email = match form.email.trim() {
        "" => None,
        typed => EmailAddress::parse("email", typed).map_err(|e| errors.push(e)).ok(),
    };
    let decision_maker = match form.decision_maker.as_str() {
        "yes" => true,
        "no" => false,
        _ => {
            errors.push(FieldError::new(
                "decision-maker",
                "Say whether the person is a decision-maker, whose interests are published",
            ));
            false
        }
    };
    let appointed_on = read_date(
        "appointed",
        &form.appointed,
        "when they took up the position",
        &mut errors,
    );
    if appointed_on.is_some_and(|d| d > today()) {
        errors.push(FieldError::new(
            "appointed",
            "Enter an appointment that has begun, today or earlier",
        ));
    }
    let left_on = read_date("left", &form.left, "when they left the position", &mut errors);
    if let (Some(appointed), Some(left)) = (appointed_on, left_on)
        && left < appointed
    {
        errors.push(FieldError::new(
            "left",
            "Enter a date they left on or after the date they took up the position",
        ));
    }
    if errors.is_empty() {
        Ok(PersonFields {
            name,
            position,
            email,
            decision_maker,
            appointed_on,
            left_on,
        })
    } else {
        Err(errors)
    }
}

fn required_text(field: &str, value: &str, what: &str, max: usize, errors: &mut Vec<FieldError>) -> String {
    let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if value.is_empty() {
        errors.push(FieldError::new(field, format!("Enter {what}")));
    } else if value.chars().count() > max {
        errors.push(FieldError::new(
            field,
            format!("{what} must be {max} characters or fewer"),
        ));
    }
    value
}

/// Adds a person to the organisation's register (administrators only).
/// An account with the same email address is linked, so the person's
/// committee work finds their interests.
pub fn add_person(pool: &Pool, actor: &SessionUser, code: &str, form: &PersonForm) -> AppResult<i32> {
    let fields = read_person(&PersonForm {
        left: String::new(),
        ..form.clone()
    });
    let mut conn = pool.get()?;
    let organisation = administered(&mut conn, actor, code)?;
    let PersonFields {
        name,
        position,
        email,
        decision_maker,
        appointed_on,
        ..
    } = fields.map_err(AppError::Invalid)?;
    crate::db::write_transaction(&mut conn, |c| {
        if store::people(c, organisation.id)?
            .iter()
            .any(|p| p.name.eq_ignore_ascii_case(&name) && p.position.eq_ignore_ascii_case(&position))
        {
            return Err(AppError::invalid(
                "name",
                format!("{name}, {position}, is on the register already"),
            ));
        }
        let user_id = match &email {
            Some(e) => crate::accounts::store::User::find_by_email(c, e.normalized())?.map(|u| u.id),
            None => None,
        };
        let id = store::insert_person(
            c,
            &NewPerson {
                organisation_id: organisation.id,
                name: name.clone(),
                email: email.as_ref().map(|e| e.as_str().to_owned()),
                position: position.clone(),
                decision_maker,
                user_id,
                added_at: now(),
                appointed_on,
            },
        )?;
        record(
            c,
            &actor.actor(),
            Event {
                organisation_id: Some(organisation.id),
                action: "interests.person_add",
                object_kind: "interest_person",
                object_key: &id.to_string(),
                summary: format!(
                    "{name}, {position}, added to the register of interests{}",
                    if decision_maker { " as a decision-maker" } else { "" }
                ),
            },
        )?;
        Ok(id)
    })
}

/// A person on the register with every entry kept for them, for the
/// administrators' page that edits them.
pub struct PersonRecord {
    pub organisation: Organisation,
    pub person: PersonRow,
    pub entries: Vec<Entry>,
}

fn person_of(conn: &mut DbConn, organisation: &Organisation, id: i32) -> AppResult<PersonRow> {
    store::person(conn, organisation.id, id)?.ok_or(AppError::NotFound)
}

/// A person and their entries (administrators only).
pub fn person_record(pool: &Pool, actor: &SessionUser, code: &str, id: i32) -> AppResult<PersonRecord> {
    let mut conn = pool.get()?;
    let organisation = administered(&mut conn, actor, code)?;
    let person = person_of(&mut conn, &organisation, id)?;
    let entries = store::interests_of_people(&mut conn, &[person.id])?
        .into_iter()
        .map(Entry::from_row)
        .collect::<AppResult<Vec<_>>>()?;
    Ok(PersonRecord {
        organisation,
        person,
        entries,
    })
}

/// Whose interest `interest_id` is (administrators only).
pub fn person_of_interest(pool: &Pool, actor: &SessionUser, code: &str, interest_id: i32) -> AppResult<i32> {
    let mut conn = pool.get()?;
    let organisation = administered(&mut conn, actor, code)?;
    store::interest_in_organisation(&mut conn, organisation.id, interest_id)?
        .map(|i| i.person_id)
        .ok_or(AppError::NotFound)
}

/// Changes a person's details (administrators only): their position,
/// address, whether they decide, when they were appointed and when they
/// left. A leaver must first come off the committees they sit on.
pub fn update_person(pool: &Pool, actor: &SessionUser, code: &str, id: i32, form: &PersonForm) -> AppResult<()> {
    let fields = read_person(form);
    let mut conn = pool.get()?;
    let organisation = administered(&mut conn, actor, code)?;
    let before = person_of(&mut conn, &organisation, id)?;
    let fields = fields.map_err(AppError::Invalid)?;
    crate::db::write_transaction(&mut conn, |c| {
        if store::people(c, organisation.id)?.iter().any(|p| {
            p.id != before.id
                && p.name.eq_ignore_ascii_case(&fields.name)
                && p.position.eq_ignore_ascii_case(&fields.position)
        }) {
            return Err(AppError::invalid(
                "name",
                format!("{}, {}, is on the register already", fields.name, fields.position),
            ));
        }
        if fields.left_on.is_some() {
            let committees = store::committees_of_person(c, before.id)?;
            if !committees.is_empty() {
                return Err(AppError::invalid(
                    "left",
                    format!(
                        "{} sits on {}: take them off first, or they would still count towards its quorum",
                        before.name,
                        committees.join(" and ")
                    ),
                ));
            }
        }
        let user_id = match &fields.email {
            Some(e) => crate::accounts::store::User::find_by_email(c, e.normalized())?.map(|u| u.id),
            None => None,
        };
        let changes = store::PersonChanges {
            name: fields.name.clone(),
            email: fields.email.as_ref().map(|e| e.as_str().to_owned()),
            position: fields.position.clone(),
            decision_maker: fields.decision_maker,
            user_id,
            appointed_on: fields.appointed_on,
            left_on: fields.left_on,
        };
        let mut changed = Vec::new();
        let day = |d: Option<NaiveDate>| d.map_or_else(|| "none".to_owned(), crate::time::day);
        if before.name != changes.name {
            changed.push(format!("name {} to {}", before.name, changes.name));
        }
        if before.position != changes.position {
            changed.push(format!("position {} to {}", before.position, changes.position));
        }
        if before.email != changes.email {
            changed.push("email address changed".to_owned());
        }
        if before.user_id != changes.user_id {
            changed.push(match changes.user_id {
                Some(_) => "linked to the account with their address".to_owned(),
                None => "no longer linked to an account".to_owned(),
            });
        }
        if before.decision_maker != changes.decision_maker {
            changed.push(if changes.decision_maker {
                "now a decision-maker".to_owned()
            } else {
                "no longer a decision-maker".to_owned()
            });
        }
        if before.appointed_on != changes.appointed_on {
            changed.push(format!("appointed {}", day(changes.appointed_on)));
        }
        if before.left_on != changes.left_on {
            changed.push(format!("left {}", day(changes.left_on)));
        }
        if changed.is_empty() {
            return Ok(());
        }
        store::update_person(c, before.id, &changes)?;
        record(
            c,
            &actor.actor(),
            Event {
                organisation_id: Some(organisation.id),
                action: "interests.person_update",
                object_kind: "interest_person",
                object_key: &before.id.to_string(),
                summary: format!("{}: {}", before.name, changed.join("; ")),
            },
        )?;
        Ok(())
    })
}

/// Records when one of a person's interests ended (administrators only);
/// it stays on the public register for six months after.
pub fn end_interest(pool: &Pool, actor: &SessionUser, code: &str, interest_id: i32, ended: &str) -> AppResult<i32> {
    let today = today();
    let mut conn = pool.get()?;
    let organisation = administered(&mut conn, actor, code)?;
    let row = store::interest_in_organisation(&mut conn, organisation.id, interest_id)?.ok_or(AppError::NotFound)?;
    let person = person_of(&mut conn, &organisation, row.person_id)?;
    let ended_already = || {
        AppError::Conflict(format!(
            "The interest with {} is recorded as ended already.",
            row.counterparty
        ))
    };
    if row.ends_on.is_some() {
        return Err(ended_already());
    }
    let field = format!("ended-{interest_id}");
    let mut errors = Vec::new();
    let ends_on = read_date(&field, ended, "when the interest ended", &mut errors);
    if ended.trim().is_empty() {
        errors.push(FieldError::new(&field, "Enter when the interest ended"));
    }
    match ends_on {
        Some(end) if end < row.starts_on => errors.push(FieldError::new(
            &field,
            format!(
                "Enter an end on or after the day the interest arose, {}",
                crate::time::day(row.starts_on)
            ),
        )),
        Some(end) if end > today => errors.push(FieldError::new(&field, "Enter an end today or earlier")),
        _ => {}
    }
    let Some(ends_on) = ends_on.filter(|_| errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };
    crate::db::write_transaction(&mut conn, |c| {
        // A form sent twice at once: the second finds it ended.
        if store::end_interest(c, row.id, ends_on)? == 0 {
            return Err(ended_already());
        }
        record(
            c,
            &actor.actor(),
            Event {
                organisation_id: Some(organisation.id),
                action: "interests.end",
                object_kind: "interest",
                object_key: &row.id.to_string(),
                summary: format!(
                    "{}: {} with {} ended on {}",
                    person.name,
                    Kind::parse(&row.kind).map_or("interest", |k| k.words()),
                    row.counterparty,
                    ends_on
                ),
            },
        )?;
        Ok(person.id)
    })
}

/// A declaration recorded for `person` while a round is open (on or
/// before its date due) is their return in it, unless they made one.
/// Shared by the register's form and declarations made at a meeting.
pub fn count_as_return(conn: &mut DbConn, person: &PersonRow, today: NaiveDate) -> AppResult<()> {
    if !person.active_on(today) {
        return Ok(());
    }
    if let Some(round) = store::rounds(conn, person.organisation_id)?.into_iter().next()
        && today <= round.due_on
        && !store::returns(conn, round.id)?.iter().any(|(p, _, _)| *p == person.id)
    {
        store::save_return(conn, round.id, person.id, false, now())?;
    }
    Ok(())
}

/// A declaration as the form sends it.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct DeclarationForm {
    pub person: String,
    pub category: String,
    pub kind: String,
    pub counterparty: String,
    pub description: String,
    pub starts: String,
    pub ends: String,
    pub declared: String,
    pub value: String,
    /// "accepted", "declined" or empty.
    pub accepted: String,
    pub management: String,
    pub agreed_by: String,
    pub withheld_reason: String,
}

/// The years a date on the register may fall in: wide enough for any
/// interest, narrow enough that both databases store it as typed.
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2100;

fn read_date(field: &str, text: &str, what: &str, errors: &mut Vec<FieldError>) -> Option<NaiveDate> {
    use chrono::Datelike;
    let message = format!("Enter {what} as a date, like 2026-04-01");
    let date = crate::web::form::optional_date(field, text, &message, errors)?;
    if YEARS.contains(&date.year()) {
        Some(date)
    } else {
        errors.push(FieldError::new(
            field,
            format!("Enter {what} as a date between 1900 and 2100"),
        ));
        None
    }
}

/// Reads the form into a declaration, naming every wrong field at once.
fn read_declaration(form: &DeclarationForm, today: NaiveDate) -> Result<Declaration, Vec<FieldError>> {
    let mut errors = Vec::new();
    let category = Category::parse(&form.category);
    if category.is_none() {
        errors.push(FieldError::new("category", "Choose the category of interest"));
    }
    let kind = Kind::parse(&form.kind);
    if kind.is_none() {
        errors.push(FieldError::new("kind", "Choose the type of interest"));
    }
    let starts = read_date("starts", &form.starts, "when the interest arose", &mut errors);
    if form.starts.trim().is_empty() {
        errors.push(FieldError::new("starts", "Enter when the interest arose"));
    }
    let ends = read_date("ends", &form.ends, "when the interest ended", &mut errors);
    let declared = if form.declared.trim().is_empty() {
        Some(today)
    } else {
        read_date("declared", &form.declared, "when it was declared", &mut errors)
    };
    let value_typed = !form.value.trim().is_empty();
    let value_pence = if value_typed {
        let pence = model::parse_pounds(&form.value);
        if pence.is_none() {
            errors.push(FieldError::new("value", "Enter the value in pounds, like 45 or 45.50"));
        }
        pence
    } else {
        None
    };
    let accepted = match form.accepted.as_str() {
        "accepted" => Some(true),
        "declined" => Some(false),
        _ => None,
    };
    // What could not be read stands in as a placeholder, so the rest of
    // the form is still checked; the placeholder's own checks are dropped.
    let declaration = Declaration {
        category: category.unwrap_or(Category::Financial),
        kind: kind.unwrap_or(Kind::Other),
        counterparty: form.counterparty.split_whitespace().collect::<Vec<_>>().join(" "),
        description: form.description.trim().to_owned(),
        starts_on: starts.unwrap_or(today),
        ends_on: ends,
        declared_on: declared.unwrap_or(today),
        value_pence,
        accepted,
        management: form.management.trim().to_owned(),
        agreed_by: form.agreed_by.split_whitespace().collect::<Vec<_>>().join(" "),
        withheld_reason: Some(form.withheld_reason.trim().to_owned()).filter(|r| !r.is_empty()),
    };
    let unread = |field: &str| match field {
        "value" | "accepted" => kind.is_none() || (field == "value" && value_typed && value_pence.is_none()),
        "ends" => starts.is_none(),
        "declared" => declared.is_none(),
        _ => false,
    };
    errors.extend(
        declaration
            .problems(today)
            .into_iter()
            .filter(|p| !unread(p.field))
            .map(|p| FieldError::new(p.field, p.message)),
    );
    if errors.is_empty() {
        Ok(declaration)
    } else {
        Err(errors)
    }
}

/// Records a declaration on a person's register (administrators only).
/// One declared more than 28 days after the interest arose is recorded and
/// flagged late in the audit log and on the register.
pub fn declare(pool: &Pool, actor: &SessionUser, code: &str, form: &DeclarationForm) -> AppResult<i32> {
    let today = today();
    let mut conn = pool.get()?;
    let organisation = administered(&mut conn, actor, code)?;
    let person = match form.person.trim().parse::<i32>() {
        Ok(id) => store::person(&mut conn, organisation.id, id)?,
        Err(_) => None,
    };
    let declaration = read_declaration(form, today);
    let (person, declaration) = match (person, declaration) {
        (Some(person), Ok(declaration)) => (person, declaration),
        (person, declaration) => {
            let mut errors = Vec::new();
            if person.is_none() {
                errors.push(FieldError::new("person", "Choose whose interest this is"));
            }
            errors.extend(declaration.err().unwrap_or_default());
            return Err(AppError::Invalid(errors));
        }
    };
    if let Some(left) = person.left_on.filter(|left| declaration.starts_on > *left) {
        return Err(AppError::invalid(
            "starts",
            format!(
                "{} left on {}: an interest that arose after that is not one to declare here",
                person.name,
                crate::time::day(left)
            ),
        ));
    }
    let row = NewInterest {
        person_id: person.id,
        category: declaration.category.key().to_owned(),
        kind: declaration.kind.key().to_owned(),
        counterparty: declaration.counterparty.clone(),
        description: declaration.description.clone(),
        starts_on: declaration.starts_on,
        ends_on: declaration.ends_on,
        declared_on: declaration.declared_on,
        value_pence: declaration.value_pence,
        accepted: declaration.accepted,
        management: declaration.management.clone(),
        agreed_by: declaration.agreed_by.clone(),
        withheld_reason: declaration.withheld_reason.clone(),
        recorded_by: Some(actor.id),
        recorded_at: now(),
    };
    crate::db::write_transaction(&mut conn, |c| {
        if store::same_declared(c, &row)? {
            return Err(AppError::Conflict(format!(
                "{} already has this interest on the register: {} with {} from {}.",
                person.name,
                declaration.kind.words().to_lowercase(),
                declaration.counterparty,
                crate::time::day(declaration.starts_on)
            )));
        }
        let id = store::insert_interest(c, &row)?;
        count_as_return(c, &person, today)?;
        let mut summary = format!(
            "{}: {} ({}) with {}, from {}",
            person.name,
            declaration.kind.words(),
            declaration.category.words().to_lowercase(),
            declaration.counterparty,
            declaration.starts_on
        );
        if declaration.declared_late_after(person.appointed_on) {
            summary.push_str(&format!(
                "; declared late, on {}, more than {} days after it arose or the person was appointed",
                declaration.declared_on,
                model::DECLARE_WITHIN_DAYS
            ));
        }
        // The reason stays with the entry, not in the permanent log.
        if declaration.withheld_reason.is_some() {
            summary.push_str("; withheld from the public register, with a recorded reason");
        }
        record(
            c,
            &actor.actor(),
            Event {
                organisation_id: Some(organisation.id),
                action: "interests.declare",
                object_kind: "interest",
                object_key: &id.to_string(),
                summary,
            },
        )?;
        Ok(id)
    })
}

/// How the current declaration round stands, for the organisation's view.
pub struct RoundStatus {
    pub round: store::RoundRow,
    /// (person, nil return, when).
    pub returns: Vec<(i32, bool, NaiveDateTime)>,
    /// Those on the register (who have not left) with no return yet.
    pub non_declarers: Vec<PersonRow>,
}

/// Those in post today with no return among `returns`.
fn without_return(
    conn: &mut DbConn,
    organisation_id: i32,
    returns: &[(i32, bool, NaiveDateTime)],
) -> AppResult<Vec<PersonRow>> {
    let today = today();
    Ok(store::people(conn, organisation_id)?
        .into_iter()
        .filter(|p| p.active_on(today) && !returns.iter().any(|(person, _, _)| *person == p.id))
        .collect())
}

/// The latest round, with its returns and who has not made one.
pub fn current_round(conn: &mut DbConn, organisation_id: i32) -> AppResult<Option<RoundStatus>> {
    let Some(round) = store::rounds(conn, organisation_id)?.into_iter().next() else {
        return Ok(None);
    };
    let returns = store::returns(conn, round.id)?;
    let non_declarers = without_return(conn, organisation_id, &returns)?;
    Ok(Some(RoundStatus {
        round,
        returns,
        non_declarers,
    }))
}

/// The organisation's breaches register (those who see all only).
pub fn breaches(pool: &Pool, grants: &Grants, code: &str) -> AppResult<Vec<store::BreachRow>> {
    let mut conn = pool.get()?;
    let organisation = organisation(&mut conn, code)?;
    if !sees_all(&mut conn, grants, &organisation)? {
        return Ok(Vec::new());
    }
    Ok(store::breaches(&mut conn, organisation.id)?)
}

/// The round's status for the register page (those who see all only).
pub fn round_status(pool: &Pool, grants: &Grants, code: &str) -> AppResult<Option<RoundStatus>> {
    let mut conn = pool.get()?;
    let organisation = organisation(&mut conn, code)?;
    if !sees_all(&mut conn, grants, &organisation)? {
        return Ok(None);
    }
    current_round(&mut conn, organisation.id)
}

/// A declaration round to open, as the form sends it.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct RoundForm {
    pub title: String,
    pub due: String,
}

fn round_mail(
    template: &'static str,
    organisation: &Organisation,
    round: &store::RoundRow,
    person: &PersonRow,
    email: &str,
    register_url: String,
) -> Mail {
    Mail {
        template,
        to_email: email.to_owned(),
        to_name: person.name.clone(),
        sender: organisation.name.clone(),
        reason: format!(
            "You get this email because you are on {}'s register of interests as {}.",
            organisation.name, person.position
        ),
        event: EventKind::Organisation,
        event_id: Some(organisation.id),
        organisation_id: Some(organisation.id),
        practice_id: None,
        user_id: person.user_id,
        context: serde_json::json!({
            "organisation": organisation.name,
            "title": round.title,
            "due": crate::time::day(round.due_on),
            "position": person.position,
            "register_url": register_url,
        }),
        sealed: false,
    }
}

/// Opens an annual declaration round (administrators only): everyone on
/// the register with an email address is asked to declare their interests
/// or make a nil return by the date due.
pub fn open_round(pool: &Pool, outbox: &Outbox, actor: &SessionUser, code: &str, form: &RoundForm) -> AppResult<i32> {
    let today = today();
    let mut errors = Vec::new();
    let title = required_text(
        "title",
        &form.title,
        "the round's title, like Annual declaration 2027",
        200,
        &mut errors,
    );
    let due = read_date("due", &form.due, "the date returns are due", &mut errors);
    if form.due.trim().is_empty() {
        errors.push(FieldError::new("due", "Enter the date returns are due"));
    }
    if let Some(due) = due
        && (due < today || due > today + chrono::Duration::days(366))
    {
        errors.push(FieldError::new("due", "The date due must be within the next year"));
    }
    let mut conn = pool.get()?;
    let organisation = administered(&mut conn, actor, code)?;
    let Some(due) = due.filter(|_| errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };
    let register_url = format!(
        "{}/organisations/{}/interests",
        outbox.base_url(),
        organisation.ods_code
    );
    crate::db::write_transaction(&mut conn, |c| {
        if let Some(open) = store::rounds(c, organisation.id)?.into_iter().next()
            && today <= open.due_on
        {
            return Err(AppError::Conflict(format!(
                "{} is open until {}: remind those with no return instead of asking everyone again.",
                open.title,
                crate::time::day(open.due_on)
            )));
        }
        let id = store::insert_round(c, organisation.id, &title, due, now())?;
        let round = store::rounds(c, organisation.id)?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(AppError::NotFound)?;
        let people: Vec<PersonRow> = store::people(c, organisation.id)?
            .into_iter()
            .filter(|p| p.active_on(today))
            .collect();
        let mails: Vec<Mail> = people
            .iter()
            .filter_map(|p| {
                let email = p.email.as_deref()?;
                Some(round_mail(
                    "interests_round",
                    &organisation,
                    &round,
                    p,
                    email,
                    register_url.clone(),
                ))
            })
            .collect();
        let asked = mails.len();
        outbox.enqueue_all(c, mails)?;
        record(
            c,
            &actor.actor(),
            Event {
                organisation_id: Some(organisation.id),
                action: "interests.round_open",
                object_kind: "interest_round",
                object_key: &id.to_string(),
                summary: format!(
                    "{title} opened, returns due {}: {asked} of {} people emailed (the others have no email address)",
                    crate::time::day(due),
                    people.len()
                ),
            },
        )?;
        Ok(id)
    })
}

fn round_of(conn: &mut DbConn, organisation: &Organisation, round_id: i32) -> AppResult<store::RoundRow> {
    store::rounds(conn, organisation.id)?
        .into_iter()
        .find(|r| r.id == round_id)
        .ok_or(AppError::NotFound)
}

/// Records a person's return in a round (administrators only): a nil
/// return, or that their interests are declared.
pub fn record_return(
    pool: &Pool,
    actor: &SessionUser,
    code: &str,
    round_id: i32,
    person: &str,
    kind: &str,
) -> AppResult<()> {
    let mut conn = pool.get()?;
    let organisation = administered(&mut conn, actor, code)?;
    let round = round_of(&mut conn, &organisation, round_id)?;
    let mut errors = Vec::new();
    let person = match person.trim().parse::<i32>() {
        Ok(id) => store::person(&mut conn, organisation.id, id)?,
        Err(_) => None,
    };
    if person.is_none() {
        errors.push(FieldError::new("return-person", "Choose whose return this is"));
    }
    let nil = match kind {
        "nil" => Some(true),
        "declared" => Some(false),
        _ => {
            errors.push(FieldError::new(
                "return-kind",
                "Say whether it is a nil return or the person's interests are declared",
            ));
            None
        }
    };
    let (Some(person), Some(nil)) = (person, nil) else {
        return Err(AppError::Invalid(errors));
    };
    let today = today();
    if !person.active_on(today) {
        return Err(AppError::invalid(
            "return-person",
            format!("{} has left and makes no return", person.name),
        ));
    }
    // A return must agree with the register: a nil return with interests
    // still running on it, or "declared" with nothing on it, is a mistake.
    let running = store::interests_of_people(&mut conn, &[person.id])?
        .iter()
        .filter_map(declaration_of)
        .filter(|d| d.running_after(today))
        .count();
    if nil && running > 0 {
        return Err(AppError::invalid(
            "return-kind",
            format!(
                "{} has {running} interest{} running on the register, so cannot make a nil return: record when {} ended first",
                person.name,
                if running == 1 { "" } else { "s" },
                if running == 1 { "it" } else { "they" }
            ),
        ));
    }
    if !nil && running == 0 {
        return Err(AppError::invalid(
            "return-kind",
            format!(
                "{} has no interest running on the register: record their declarations first, or a nil return",
                person.name
            ),
        ));
    }
    crate::db::write_transaction(&mut conn, |c| {
        store::save_return(c, round.id, person.id, nil, now())?;
        record(
            c,
            &actor.actor(),
            Event {
                organisation_id: Some(organisation.id),
                action: "interests.return",
                object_kind: "interest_round",
                object_key: &round.id.to_string(),
                summary: format!(
                    "{}: {} in {}",
                    person.name,
                    if nil {
                        "nil return (no interests to declare)"
                    } else {
                        "interests declared"
                    },
                    round.title
                ),
            },
        )?;
        Ok(())
    })
}

/// Reminds those in the round who have made no return and have an email
/// address (administrators only); the number reminded.
pub fn remind(pool: &Pool, outbox: &Outbox, actor: &SessionUser, code: &str, round_id: i32) -> AppResult<usize> {
    let mut conn = pool.get()?;
    let organisation = administered(&mut conn, actor, code)?;
    let round = round_of(&mut conn, &organisation, round_id)?;
    if store::rounds(&mut conn, organisation.id)?.first().map(|r| r.id) != Some(round.id) {
        return Err(AppError::Conflict(format!(
            "{} has been followed by a later round: remind people of that one.",
            round.title
        )));
    }
    let register_url = format!(
        "{}/organisations/{}/interests",
        outbox.base_url(),
        organisation.ods_code
    );
    crate::db::write_transaction(&mut conn, |c| {
        let returns = store::returns(c, round.id)?;
        let missing = without_return(c, organisation.id, &returns)?;
        if missing.is_empty() {
            return Err(AppError::Conflict(format!(
                "Everyone on the register has made a return in {}.",
                round.title
            )));
        }
        let mails: Vec<Mail> = missing
            .iter()
            .filter_map(|p| {
                let email = p.email.as_deref()?;
                Some(round_mail(
                    "interests_reminder",
                    &organisation,
                    &round,
                    p,
                    email,
                    register_url.clone(),
                ))
            })
            .collect();
        let reminded = mails.len();
        if reminded == 0 {
            return Err(AppError::Conflict(format!(
                "None of the {} with no return has an email address on the register: remind them another way.",
                missing.len()
            )));
        }
        outbox.enqueue_all(c, mails)?;
        store::set_reminded(c, round.id, now())?;
        let names: Vec<&str> = missing.iter().map(|p| p.name.as_str()).collect();
        record(
            c,
            &actor.actor(),
            Event {
                organisation_id: Some(organisation.id),
                action: "interests.reminder",
                object_kind: "interest_round",
                object_key: &round.id.to_string(),
                summary: format!(
                    "{}: {reminded} reminded by email of {} with no return ({})",
                    round.title,
                    missing.len(),
                    names.join(", ")
                ),
            },
        )?;
        Ok(reminded)
    })
}

/// A breach of the organisation's conflicts of interest policy, as the
/// form sends it.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct BreachForm {
    pub person: String,
    pub occurred: String,
    pub description: String,
    pub action_taken: String,
}

/// Records a breach (administrators only); the breaches register is kept
/// for the organisation and its LMC, not published.
pub fn record_breach(pool: &Pool, actor: &SessionUser, code: &str, form: &BreachForm) -> AppResult<i32> {
    let today = today();
    let mut conn = pool.get()?;
    let organisation = administered(&mut conn, actor, code)?;
    let mut errors = Vec::new();
    let person = match form.person.trim() {
        "" => None,
        typed => match typed.parse::<i32>().ok() {
            Some(id) => {
                let found = store::person(&mut conn, organisation.id, id)?;
                if found.is_none() {
                    errors.push(FieldError::new(
                        "breach-person",
                        "Choose a person on the register, or nobody",
                    ));
                }
                found
            }
            None => {
                errors.push(FieldError::new(
                    "breach-person",
                    "Choose a person on the register, or nobody",
                ));
                None
            }
        },
    };
    let occurred = read_date("occurred", &form.occurred, "when the breach happened", &mut errors);
    if form.occurred.trim().is_empty() {
        errors.push(FieldError::new("occurred", "Enter when the breach happened"));
    }
    if occurred.is_some_and(|d| d > today) {
        errors.push(FieldError::new(
            "occurred",
            "The breach cannot have happened in the future",
        ));
    }
    let description = form.description.trim().to_owned();
    if description.is_empty() {
        errors.push(FieldError::new("breach-description", "Describe the breach"));
    } else if description.chars().count() > 2000 {
        errors.push(FieldError::new(
            "breach-description",
            "Describe the breach in 2,000 characters or fewer",
        ));
    }
    let action = form.action_taken.trim().to_owned();
    if action.is_empty() {
        errors.push(FieldError::new("action-taken", "Enter the action taken"));
    } else if action.chars().count() > 2000 {
        errors.push(FieldError::new(
            "action-taken",
            "Enter the action taken in 2,000 characters or fewer",
        ));
    }
    let Some(occurred) = occurred.filter(|_| errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };
    crate::db::write_transaction(&mut conn, |c| {
        let id = store::insert_breach(
            c,
            organisation.id,
            person.as_ref().map(|p| p.id),
            occurred,
            &description,
            &action,
            actor.id,
            now(),
        )?;
        record(
            c,
            &actor.actor(),
            Event {
                organisation_id: Some(organisation.id),
                action: "interests.breach",
                object_kind: "interest_breach",
                object_key: &id.to_string(),
                summary: format!(
                    "Breach on {}{} recorded",
                    crate::time::day(occurred),
                    person
                        .as_ref()
                        .map(|p| format!(" involving {}", p.name))
                        .unwrap_or_default()
                ),
            },
        )?;
        Ok(id)
    })
}
