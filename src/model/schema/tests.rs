//! schema.prisma parser tests: the fixture schemas under `tests/fixtures/prisma/` (modelled on
//! seeds 003 and 004, plus a Prisma 7 sqlite schema) and hand-written edge cases.
#![allow(clippy::unwrap_used)]

use super::*;

const VIDEO: &str = include_str!("../../../tests/fixtures/prisma/video_production.prisma");
const EVERMED: &str = include_str!("../../../tests/fixtures/prisma/evermed.prisma");
const PRISMA7: &str = include_str!("../../../tests/fixtures/prisma/prisma7_sqlite.prisma");

fn model<'a>(s: &'a Schema, name: &str) -> &'a Model {
    s.models.iter().find(|m| m.name == name).unwrap()
}

fn field<'a>(m: &'a Model, name: &str) -> &'a Field {
    m.fields.iter().find(|f| f.name == name).unwrap()
}

fn columns(m: &Model) -> Vec<&str> {
    m.columns().map(|f| f.column.as_str()).collect()
}

#[test]
fn video_production_datasource_and_tables() {
    let s = parse(VIDEO).unwrap();
    assert_eq!(
        s.datasource,
        Some(Datasource {
            name: "db".into(),
            provider: "postgresql".into(),
            url: Some(UrlSource::Env("DATABASE_URL".into())),
            direct_url: Some(UrlSource::Env("DIRECT_URL".into())),
        })
    );
    let ds = s.datasource.as_ref().unwrap();
    assert_eq!(ds.direct_url_env(), Some("DIRECT_URL"));
    assert_eq!(s.enums, vec!["SourceType"]);
    let tables: Vec<&str> = s.models.iter().map(|m| m.table.as_str()).collect();
    assert_eq!(
        tables,
        [
            "productions",
            "cameras",
            "ccus",
            "sources",
            "sends",
            "cable_snakes"
        ]
    );
}

#[test]
fn video_production_camera_columns() {
    let s = parse(VIDEO).unwrap();
    let camera = model(&s, "Camera");
    assert_eq!(camera.table, "cameras");
    assert_eq!(camera.line, 38);
    assert_eq!(
        columns(camera),
        [
            "uuid",
            "id",
            "production_id",
            "name",
            "model",
            "ccu_uuid",
            "is_deleted",
            "field_versions"
        ]
    );
    let uuid = field(camera, "uuid");
    assert_eq!(
        (
            uuid.type_name.as_str(),
            uuid.optional,
            uuid.list,
            uuid.is_relation
        ),
        ("String", false, false, false)
    );
    let ccu = field(camera, "ccu");
    assert!(ccu.is_relation && ccu.optional && !ccu.list);
    assert_eq!(ccu.type_name, "Ccu");
    let ccu_uuid = field(camera, "ccuUuid");
    assert_eq!(ccu_uuid.column, "ccu_uuid");
    assert!(ccu_uuid.optional && !ccu_uuid.is_relation);
}

#[test]
fn video_production_relations_lists_and_composite_ids() {
    let s = parse(VIDEO).unwrap();
    let ccu = model(&s, "Ccu");
    let cameras = field(ccu, "cameras");
    assert!(cameras.is_relation && cameras.list);
    assert_eq!(
        columns(ccu),
        ["uuid", "id", "production_id", "name", "fiber_input"]
    );

    let source = model(&s, "Source");
    // enum-typed fields and scalar lists are columns; a named back-relation is not.
    assert_eq!(
        columns(source),
        ["id", "production_id", "type", "name", "rate", "tags"]
    );
    assert!(field(source, "tags").list);
    assert_eq!(field(source, "type").type_name, "SourceType");
    assert!(field(source, "sends").is_relation);

    let production = model(&s, "Production");
    assert_eq!(
        columns(production),
        [
            "id",
            "show_name",
            "client",
            "is_deleted",
            "version",
            "created_at",
            "updated_at"
        ]
    );
    // `@@map(name: "...")`
    assert_eq!(model(&s, "CableSnake").table, "cable_snakes");
}

#[test]
fn evermed_personal_model_snake_case_columns() {
    let s = parse(EVERMED).unwrap();
    assert_eq!(s.enums, vec!["ModelType", "EventType"]);
    let pm = model(&s, "PersonalModel");
    assert_eq!(pm.table, "personal_models");
    assert_eq!(
        columns(pm),
        [
            "id",
            "user_id",
            "model_type",
            "version",
            "is_active",
            "training_data_start",
            "training_data_end",
            "trained_at",
            "last_used_at",
            "accuracy_mae",
            "accuracy_r2",
            "metadata",
            "model_data",
            "created_at",
            "updated_at",
            "parameters",
            "prediction_count"
        ]
    );
    // The seed's "personal_models: 17 columns"; the relation (spanning 5 lines) is not one.
    assert!(field(pm, "user").is_relation);
    assert_eq!(pm.fields.len(), 18);
}

#[test]
fn evermed_unsupported_views_and_composite_keys() {
    let s = parse(EVERMED).unwrap();
    let user = model(&s, "User");
    let location = field(user, "location");
    assert_eq!(
        location.type_name,
        r#"Unsupported("geography(Point, 4326)")"#
    );
    assert!(location.optional && !location.is_relation);
    assert_eq!(columns(user), ["id", "email", "location"]);
    // Views are skipped, but a relation to nothing else is not confused.
    assert!(s.models.iter().all(|m| m.name != "DailyGlucose"));
    let uff = model(&s, "UserFeatureFlag");
    assert_eq!(columns(uff), ["user_id", "flag_key"]);
    let ev = model(&s, "AnalyticsEvent");
    assert_eq!(
        columns(ev),
        [
            "id",
            "event_type",
            "event_name",
            "metadata",
            "session_id",
            "user_id",
            "created_at"
        ]
    );
}

#[test]
fn prisma7_without_url_and_odd_formatting() {
    let s = parse(PRISMA7).unwrap();
    assert_eq!(
        s.datasource,
        Some(Datasource {
            name: "db".into(),
            provider: "sqlite".into(),
            url: None,
            direct_url: None,
        })
    );
    let names: Vec<&str> = s.models.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["Post", "User", "Profile", "AuditLog"]);
    let post = model(&s, "Post");
    assert_eq!(post.table, "posts");
    assert_eq!(
        columns(post),
        [
            "id",
            "title",
            "post_slug",
            "published",
            "author_id",
            "rating"
        ]
    );
    let user = model(&s, "User");
    assert_eq!(columns(user), ["id", "email", "name"]);
    // A 1:1 back-relation without @relation is recognised by its type.
    assert!(field(user, "profile").is_relation);
    assert_eq!(columns(model(&s, "Profile")), ["id", "bio", "user_id"]);
    // @ignore / @@ignore'd fields and models still exist in the database.
    assert_eq!(columns(model(&s, "AuditLog")), ["id", "at", "json_payload"]);
}

#[test]
fn literal_url_is_not_stored() {
    let s = parse(
        "datasource db {\n  provider = \"mysql\"\n  url = \"mysql://root:hunter2@localhost/app\"\n}\n",
    )
    .unwrap();
    let ds = s.datasource.unwrap();
    assert_eq!(ds.url, Some(UrlSource::Literal));
    assert!(!format!("{ds:?}").contains("hunter2"));
}

#[test]
fn first_datasource_wins_and_other_values_ignored() {
    let s = parse(
        "datasource a {\n provider = \"sqlite\"\n url = env(\"A_URL\")\n}\n\
         datasource b {\n provider = \"postgresql\"\n url = nonsense\n}\n",
    )
    .unwrap();
    assert_eq!(s.datasource.unwrap().name, "a");
    let s = parse("datasource b {\n provider = \"postgresql\"\n url = nonsense\n}\n").unwrap();
    assert_eq!(s.datasource.unwrap().url, None);
}

#[test]
fn crlf_bom_and_one_line_blocks() {
    let text = "\u{feff}model A {\r\n  id Int @id\r\n  b_id Int @map(\"b\")\r\n}\r\nmodel B {}\r\n";
    let s = parse(text).unwrap();
    assert_eq!(columns(model(&s, "A")), ["id", "b"]);
    assert!(model(&s, "B").fields.is_empty());
    assert_eq!(model(&s, "B").line, 5);
}

#[test]
fn strings_with_braces_slashes_and_escapes() {
    let text = r#"model A {
  url  String @default("http://x/{id}") // a } brace
  note String @default("say \"}\" please") @map("the_note")
  json Json   @default("{\"a\": \"(\"}")
}
"#;
    let s = parse(text).unwrap();
    assert_eq!(columns(model(&s, "A")), ["url", "the_note", "json"]);
}

#[test]
fn unknown_blocks_are_skipped() {
    let s = parse("future Thing {\n  whatever goes here\n}\nenum E {\n A\n}\n").unwrap();
    assert!(s.models.is_empty());
    assert_eq!(s.enums, ["E"]);
}

#[test]
fn relation_attribute_on_unknown_type_is_relation() {
    let s = parse("model A {\n  x Ghost @relation(fields: [y], references: [id])\n  y Int\n}\n")
        .unwrap();
    assert_eq!(columns(model(&s, "A")), ["y"]);
}

#[test]
fn empty_and_comment_only_schemas() {
    assert_eq!(parse("").unwrap(), Schema::default());
    assert_eq!(
        parse("// nothing\n/// here\n\n").unwrap(),
        Schema::default()
    );
}

fn error(text: &str) -> SchemaError {
    parse(text).unwrap_err()
}

#[test]
fn unclosed_block_points_at_its_opening_line() {
    let e = error("model A {\n  id Int @id\n\nmodel B {\n  id Int\n}\n");
    assert_eq!(e.line, 4);
    assert!(e.message.contains("missing `}`"), "{e}");
    let e = error("\n\nmodel A {\n  id Int @id\n");
    assert_eq!(e.line, 3);
    assert_eq!(e.message, "`model A` (line 3) is never closed: missing `}`");
    assert_eq!(e.to_string(), format!("line 3: {}", e.message));
}

#[test]
fn stray_closing_brace() {
    let e = error("model A {\n  id Int\n}\n}\n");
    assert_eq!((e.line, e.message.as_str()), (4, "unmatched `}`"));
}

#[test]
fn unterminated_string() {
    let e = error("model A {\n  id String @default(\"abc)\n}\n");
    assert_eq!((e.line, e.message.as_str()), (2, "unterminated string"));
    let e = error("model A {\n  id String @default(\"abc\\");
    assert_eq!(e.line, 2);
}

#[test]
fn unbalanced_parentheses() {
    let e = error("model A {\n  id String @default(uuid()\n  b Int\n}\n");
    assert_eq!(e.line, 2);
    assert!(e.message.contains("unclosed"), "{e}");
    let e = error("model A {\n  id String @default(uuid()))\n}\n");
    assert_eq!(e.line, 2);
    assert!(e.message.contains("unmatched `)`"), "{e}");
    let e = error("model A {\n  @@index([a, b)\n");
    assert_eq!(e.line, 2);
}

#[test]
fn structural_errors() {
    assert_eq!(error("model {\n}\n").line, 1);
    assert!(
        error("model A\n  id Int\n")
            .message
            .contains("expected `{`")
    );
    assert!(error("= 3\n").message.contains("outside a block"));
    let e = error("model A {\n  id Int\n  lonely\n}\n");
    assert_eq!(e.line, 3);
    assert!(e.message.contains("has no type"), "{e}");
    let e = error("model A {\n  ? Int\n}\n");
    assert_eq!(e.line, 2);
    let e = error("datasource db {\n  url = env(\"X\")\n}\n");
    assert_eq!(
        (e.line, e.message.as_str()),
        (1, "datasource `db` has no provider")
    );
}

#[test]
fn garbage_never_panics() {
    let samples = [
        "}",
        "{",
        "model",
        "model A",
        "model A {",
        "model A { @",
        "model A { @@",
        "model A { @@map(",
        "model A { x Int @map(",
        "model A {\n x Int @map(name:\n}",
        "model A {\n x Unsupported(\n}",
        "model A {\n x Int[\n}",
        "model A {\n x Int ]\n}",
        "\"",
        "datasource db { provider = }",
        "model A {\n x Int @@@@ @ @map @map() @map(\"\n}",
        "\u{0}\u{feff}\u{202e}",
    ];
    for s in samples {
        let _ = parse(s);
    }
    // Every prefix of the real fixtures.
    for text in [VIDEO, EVERMED, PRISMA7] {
        for (i, _) in text.char_indices() {
            let _ = parse(&text[..i]);
        }
    }
}
