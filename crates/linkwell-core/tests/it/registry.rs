//! The column registry (`linkwell_protocol::registry`) against the laptop's migrated SQLite
//! schema, so the two cannot drift: every registered table and column exists, declared with
//! the SQL type its `ColType` is stored as; every column of a registered table is registered
//! or one the store fills itself; every table is a registered one or the laptop's own.
//!
//! The checks are plain functions over the registry and the schema read back from SQLite, so
//! the tests at the end feed them drifted copies and show each drift is caught and named.

use crate::TestDb;
use linkwell_protocol::EntityKind;
use linkwell_protocol::registry::{self, ColType};
use rusqlite::Connection;
use std::collections::BTreeMap;

const REGISTRY_RS: &str = "crates/linkwell-protocol/src/registry.rs";
const WIRE_VERSION: &str = "WIRE_SCHEMA_VERSION in crates/linkwell-protocol/src/lib.rs";
const MIGRATIONS: &str = "crates/linkwell-core/migrations/";
const THIS_FILE: &str = "crates/linkwell-core/tests/it/registry.rs";

/// A column every registry table has that no mutation writes: the store fills it itself.
struct StoreManaged {
    name: &'static str,
    decl: &'static str,
    primary_key: bool,
}

/// `id`, the record's UUIDv7: `store::apply` writes it beside the registered fields, and the
/// migrations add no other bookkeeping column to a registry table.
const STORE_MANAGED: &[StoreManaged] = &[StoreManaged {
    name: "id",
    decl: "TEXT",
    primary_key: true,
}];

/// Tables that are this laptop's own state: no `EntityKind` names them and no mutation writes
/// them through the registry.
const LOCAL_TABLES: &[&str] = &[
    // 0001: the device's identity and clocks, the change log, the full-text indexes.
    "device",
    "change_log",
    "search_doc",
    "person_search",
    "note_search",
    "service_search",
    // 0002: sync state, changes to review, pulled changes held back.
    "sync_state",
    "sync_review",
    "sync_inbox_held",
    // 0003: unsaved form drafts.
    "draft",
];

/// The declared SQL type a `ColType` is stored under, by the migrations' conventions (0001:
/// dates ISO text, booleans 0/1, lists JSON arrays as text) and `store::apply`'s `to_sql`.
fn sql_type(ty: ColType) -> &'static str {
    match ty {
        ColType::Text | ColType::List => "TEXT",
        ColType::Int | ColType::Bool => "INTEGER",
        ColType::Real => "REAL",
    }
}

/// What a column declared `decl` may be registered as, for the messages: the usual `ColType`
/// and, in brackets, the alternative.
fn col_types_for(decl: &str) -> (&'static str, &'static str) {
    match decl.to_ascii_uppercase().as_str() {
        "TEXT" => ("ColType::Text", " (ColType::List if it holds a JSON array)"),
        "INTEGER" => ("ColType::Int", " (ColType::Bool if it holds 0/1)"),
        "REAL" => ("ColType::Real", ""),
        _ => (
            "ColType::Text",
            " (after a migration re-declares it TEXT, INTEGER or REAL: the store writes no other)",
        ),
    }
}

/// One kind's entry in the registry, owned so a test can drift a copy of it.
struct Expected {
    kind: EntityKind,
    table: &'static str,
    cols: Vec<(&'static str, ColType)>,
}

fn the_registry() -> Vec<Expected> {
    EntityKind::ALL
        .into_iter()
        .map(|kind| {
            let t = registry::table(kind);
            Expected {
                kind,
                table: t.name,
                cols: t.cols.to_vec(),
            }
        })
        .collect()
}

struct DbColumn {
    name: String,
    decl: String,
    primary_key: bool,
}

/// Every table of the database (ordinary and virtual; not SQLite's own nor full-text shadow
/// tables) with its columns as `PRAGMA table_info` reports them.
type Schema = BTreeMap<String, Vec<DbColumn>>;

fn read_schema(conn: &Connection) -> Schema {
    let names: Vec<String> = conn
        .prepare(
            "SELECT name FROM pragma_table_list WHERE schema = 'main' \
             AND type IN ('table', 'virtual') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let mut info = conn
        .prepare("SELECT name, type, pk FROM pragma_table_info(?1)")
        .unwrap();
    names
        .into_iter()
        .map(|table| {
            let cols = info
                .query_map([&table], |r| {
                    Ok(DbColumn {
                        name: r.get(0)?,
                        decl: r.get(1)?,
                        primary_key: r.get::<_, i64>(2)? > 0,
                    })
                })
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            (table, cols)
        })
        .collect()
}

fn migrated_schema() -> Schema {
    let db = TestDb::new();
    read_schema(db.store.conn())
}

/// Drift 1: a registered table or column the database lacks or declares with another type
/// (and the registry's own slips that would break `store::apply`'s SQL).
fn registered_but_not_in_database(schema: &Schema, registry: &[Expected]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut kinds_by_table: BTreeMap<&str, Vec<EntityKind>> = BTreeMap::new();
    for e in registry {
        kinds_by_table.entry(e.table).or_default().push(e.kind);
    }
    for (table, kinds) in kinds_by_table.iter().filter(|(_, k)| k.len() > 1) {
        problems.push(format!(
            "{kinds:?} all name table `{table}`: give each kind its own table in {REGISTRY_RS}"
        ));
    }
    for e in registry {
        let (kind, table) = (e.kind, e.table);
        for (i, (name, _)) in e.cols.iter().enumerate() {
            if e.cols[..i].iter().any(|(n, _)| n == name) {
                problems.push(format!(
                    "EntityKind::{kind:?} lists `{name}` twice in {REGISTRY_RS}: remove one"
                ));
            }
            if STORE_MANAGED.iter().any(|m| m.name == *name) {
                problems.push(format!(
                    "EntityKind::{kind:?} lists `{name}` in {REGISTRY_RS}, but the store writes \
                     `{table}.{name}` itself: remove (\"{name}\", ..) from EntityKind::{kind:?}"
                ));
            }
        }
        let Some(db_cols) = schema.get(table) else {
            let cols: Vec<String> = e
                .cols
                .iter()
                .map(|(name, ty)| format!("{name} {}", sql_type(*ty)))
                .collect();
            let cols = cols.join(", ");
            problems.push(format!(
                "EntityKind::{kind:?} names table `{table}`, which the migrated database does \
                 not have: add a migration in {MIGRATIONS} with `CREATE TABLE {table} (id TEXT \
                 PRIMARY KEY, {cols});`, or correct the table name of EntityKind::{kind:?} in \
                 {REGISTRY_RS}"
            ));
            continue;
        };
        for m in STORE_MANAGED {
            let (name, want) = (m.name, m.decl);
            let pk = if m.primary_key { " PRIMARY KEY" } else { "" };
            match db_cols.iter().find(|c| c.name == name) {
                None => problems.push(format!(
                    "`{table}.{name}` is missing: the store writes it into every registry \
                     table; the migration in {MIGRATIONS} that creates `{table}` must declare \
                     `{name} {want}{pk}`"
                )),
                Some(c) if !c.decl.eq_ignore_ascii_case(want) || c.primary_key != m.primary_key => {
                    let got = &c.decl;
                    let got_pk = if c.primary_key { " PRIMARY KEY" } else { "" };
                    problems.push(format!(
                        "`{table}.{name}` is declared `{got}{got_pk}` but the store needs \
                         `{name} {want}{pk}`: add a migration in {MIGRATIONS} that rebuilds \
                         `{table}` with it"
                    ));
                }
                Some(_) => {}
            }
        }
        for (name, ty) in &e.cols {
            let want = sql_type(*ty);
            match db_cols.iter().find(|c| c.name == *name) {
                None => problems.push(format!(
                    "`{table}.{name}` is in the registry (EntityKind::{kind:?}, ColType::{ty:?}) \
                     but not in the database: add a migration in {MIGRATIONS} with `ALTER TABLE \
                     {table} ADD COLUMN {name} {want};` (never edit one that has shipped), or \
                     remove (\"{name}\", ColType::{ty:?}) from EntityKind::{kind:?} in \
                     {REGISTRY_RS}"
                )),
                Some(c) if !c.decl.eq_ignore_ascii_case(want) => {
                    let got = &c.decl;
                    let (fits, or) = col_types_for(got);
                    problems.push(format!(
                        "`{table}.{name}` is ColType::{ty:?} in the registry, stored as {want}, \
                         but the database declares it `{got}`: register it in \
                         EntityKind::{kind:?} in {REGISTRY_RS} as {fits}{or}, or add a migration \
                         in {MIGRATIONS} that rebuilds `{table}` with `{name} {want}`"
                    ));
                }
                Some(_) => {}
            }
        }
    }
    problems
}

/// Drift 2: a column of a registered table that neither the registry nor `STORE_MANAGED`
/// knows, such as one a migration added and the registry forgot. No local write or pulled
/// change could ever fill it.
fn in_database_but_not_registered(schema: &Schema, registry: &[Expected]) -> Vec<String> {
    let mut problems = Vec::new();
    for e in registry {
        let (kind, table) = (e.kind, e.table);
        let Some(db_cols) = schema.get(table) else {
            continue; // registered_but_not_in_database names the missing table
        };
        for c in db_cols {
            let name = &c.name;
            let known = e.cols.iter().any(|(n, _)| n == name)
                || STORE_MANAGED.iter().any(|m| m.name == name);
            if !known {
                let decl = &c.decl;
                let (fits, or) = col_types_for(decl);
                problems.push(format!(
                    "`{table}.{name}` (declared `{decl}`) is in the database but not in the \
                     registry, so no write or sync can fill it: add (\"{name}\", {fits}) to \
                     EntityKind::{kind:?} in {REGISTRY_RS}{or} and bump {WIRE_VERSION}; or, if \
                     the store fills it itself, add it to STORE_MANAGED in {THIS_FILE}"
                ));
            }
        }
    }
    problems
}

/// Drift 3: a table no kind names and not listed as the laptop's own (say a migration added
/// a kind of record and `EntityKind` was never given it), or a stale `LOCAL_TABLES` entry.
fn tables_nobody_claims(schema: &Schema, registry: &[Expected]) -> Vec<String> {
    let mut problems = Vec::new();
    for table in schema.keys() {
        let registered = registry.iter().any(|e| e.table == table);
        let local = LOCAL_TABLES.contains(&table.as_str());
        if !registered && !local {
            problems.push(format!(
                "table `{table}` is in the database but no EntityKind names it: if its rows are \
                 records that sync, add an EntityKind with its table and fields in {REGISTRY_RS} \
                 and bump {WIRE_VERSION}; if it is this laptop's own state, add \"{table}\" to \
                 LOCAL_TABLES in {THIS_FILE}"
            ));
        }
        if registered && local {
            problems.push(format!(
                "table `{table}` is both a registry table and in LOCAL_TABLES: remove \
                 \"{table}\" from LOCAL_TABLES in {THIS_FILE}"
            ));
        }
    }
    for table in LOCAL_TABLES {
        if !schema.contains_key(*table) {
            problems.push(format!(
                "LOCAL_TABLES names `{table}`, which the migrated database does not have: \
                 remove \"{table}\" from LOCAL_TABLES in {THIS_FILE}"
            ));
        }
    }
    problems
}

fn assert_no_drift(problems: &[String]) {
    assert!(
        problems.is_empty(),
        "the column registry and the migrations disagree ({} problems):\n  - {}",
        problems.len(),
        problems.join("\n  - ")
    );
}

fn kind_mut(registry: &mut [Expected], kind: EntityKind) -> &mut Expected {
    registry.iter_mut().find(|e| e.kind == kind).unwrap()
}

/// The one problem `problems` should hold, checked to contain each of `needles`.
fn assert_one_naming(problems: &[String], needles: &[&str]) {
    assert_eq!(problems.len(), 1, "expected one problem: {problems:#?}");
    for needle in needles {
        assert!(
            problems[0].contains(needle),
            "{:?} does not say {needle:?}",
            problems[0]
        );
    }
}

#[test]
fn every_registry_table_and_column_exists_with_its_stored_type() {
    let schema = migrated_schema();
    let registry = the_registry();
    assert_eq!(registry.len(), EntityKind::ALL.len());
    assert_no_drift(&registered_but_not_in_database(&schema, &registry));
}

#[test]
fn every_column_of_a_registry_table_is_registered_or_store_managed() {
    let schema = migrated_schema();
    assert_no_drift(&in_database_but_not_registered(&schema, &the_registry()));
}

#[test]
fn every_table_is_a_registry_table_or_the_laptops_own() {
    let schema = migrated_schema();
    assert_no_drift(&tables_nobody_claims(&schema, &the_registry()));
}

// The checks catch drift: each test below drifts a copy of the registry or a throwaway
// database and expects the check to name it. The real registry and migrations are untouched.

#[test]
fn a_registered_column_no_migration_creates_is_named() {
    let schema = migrated_schema();
    let mut registry = the_registry();
    let person = kind_mut(&mut registry, EntityKind::Person);
    person.cols.push(("pronouns", ColType::Text));
    assert_one_naming(
        &registered_but_not_in_database(&schema, &registry),
        &[
            "`person.pronouns`",
            "ALTER TABLE person ADD COLUMN pronouns TEXT;",
            "EntityKind::Person",
            REGISTRY_RS,
        ],
    );
}

#[test]
fn a_registered_table_no_migration_creates_is_named() {
    let schema = migrated_schema();
    let mut registry = the_registry();
    let goal = kind_mut(&mut registry, EntityKind::Goal);
    goal.table = "goals";
    let problems = registered_but_not_in_database(&schema, &registry);
    assert_one_naming(
        &problems,
        &[
            "EntityKind::Goal names table `goals`",
            "CREATE TABLE goals (id TEXT PRIMARY KEY, person_id TEXT,",
            "archived INTEGER);",
        ],
    );
}

#[test]
fn a_registered_type_the_database_declares_otherwise_is_named() {
    let schema = migrated_schema();
    for (kind, table, col, drifted, declared, fits) in [
        (
            EntityKind::Session,
            "session",
            "minutes",
            ColType::Real,
            "INTEGER",
            "ColType::Int",
        ),
        (
            EntityKind::Person,
            "person",
            "large_print",
            ColType::Text,
            "INTEGER",
            "ColType::Bool",
        ),
        (
            EntityKind::Measure,
            "measure",
            "score",
            ColType::Int,
            "REAL",
            "ColType::Real",
        ),
        (
            EntityKind::Referral,
            "referral",
            "reasons",
            ColType::Bool,
            "TEXT",
            "ColType::List",
        ),
    ] {
        let mut registry = the_registry();
        let entry = kind_mut(&mut registry, kind);
        entry.cols.iter_mut().find(|(n, _)| *n == col).unwrap().1 = drifted;
        assert_one_naming(
            &registered_but_not_in_database(&schema, &registry),
            &[
                &format!("`{table}.{col}` is ColType::{drifted:?}"),
                &format!("declares it `{declared}`"),
                fits,
            ],
        );
    }
}

#[test]
fn a_migrated_column_the_registry_forgot_is_named() {
    // As a new migration would: the column is in the database, not in the registry.
    let db = TestDb::new();
    db.store
        .conn()
        .execute_batch("ALTER TABLE person ADD COLUMN pronouns TEXT;")
        .unwrap();
    let schema = read_schema(db.store.conn());
    assert_one_naming(
        &in_database_but_not_registered(&schema, &the_registry()),
        &[
            "`person.pronouns` (declared `TEXT`)",
            "add (\"pronouns\", ColType::Text) to EntityKind::Person",
            "EntityKind::Person",
            "WIRE_SCHEMA_VERSION",
            "STORE_MANAGED",
        ],
    );
    // The same drift the other way round: a field dropped from the registry.
    let schema = migrated_schema();
    let mut registry = the_registry();
    kind_mut(&mut registry, EntityKind::Service)
        .cols
        .retain(|(n, _)| *n != "step_free");
    assert_one_naming(
        &in_database_but_not_registered(&schema, &registry),
        &[
            "`service.step_free` (declared `INTEGER`)",
            "(\"step_free\", ColType::Int)",
            "ColType::Bool if it holds 0/1",
            "EntityKind::Service",
        ],
    );
}

#[test]
fn a_store_managed_column_missing_or_registered_is_named() {
    let mut schema = migrated_schema();
    schema.get_mut("team").unwrap().retain(|c| c.name != "id");
    assert_one_naming(
        &registered_but_not_in_database(&schema, &the_registry()),
        &["`team.id` is missing", "`id TEXT PRIMARY KEY`"],
    );
    let schema = migrated_schema();
    let mut registry = the_registry();
    kind_mut(&mut registry, EntityKind::Team)
        .cols
        .push(("id", ColType::Text));
    assert_one_naming(
        &registered_but_not_in_database(&schema, &registry),
        &["EntityKind::Team lists `id`", "remove (\"id\", ..)"],
    );
}

#[test]
fn a_migrated_table_no_kind_names_is_named() {
    let db = TestDb::new();
    db.store
        .conn()
        .execute_batch("CREATE TABLE visit (id TEXT PRIMARY KEY, person_id TEXT);")
        .unwrap();
    let schema = read_schema(db.store.conn());
    assert_one_naming(
        &tables_nobody_claims(&schema, &the_registry()),
        &["table `visit`", "add an EntityKind", "LOCAL_TABLES"],
    );
}
