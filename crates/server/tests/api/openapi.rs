//! The OpenAPI document: it names every route the router serves (and no other), and
//! real answers of the server validate against its schemas.

use chrono::Utc;
use frontdesk_server::auth;
use serde_json::{Value, json};
use sync_core::EntityKind;
use sync_core::protocol::DEVICE_HEADER;
use uuid::Uuid;

use crate::support::{PASSWORD, Server, guest_fields, seed_hotel, version_of};

async fn document(server: &Server) -> Value {
    let response = reqwest::get(server.url("/v1/openapi.json")).await.expect("document request");
    assert_eq!(response.status(), 200, "the document is served without a session");
    response.json().await.expect("the document is JSON")
}

#[tokio::test]
async fn the_document_lists_exactly_the_routes_the_router_serves() {
    let server = Server::start().await;
    let doc = document(&server).await;
    assert_eq!(doc["openapi"], json!("3.1.0"));
    let routes = frontdesk_server::api::routes();
    for (method, path) in &routes {
        let operation = &doc["paths"][path][method.to_lowercase()];
        assert!(operation.is_object(), "{method} {path} is served, so the document must describe it");
        assert!(operation["responses"].is_object(), "{method} {path} documents its responses");
    }
    let paths = doc["paths"].as_object().expect("paths");
    for (path, operations) in paths {
        for method in operations.as_object().expect("operations").keys() {
            assert!(
                routes.iter().any(|(m, p)| p == path && m.eq_ignore_ascii_case(method)),
                "the document describes {method} {path}, which the router does not serve"
            );
        }
    }

    // Each route really is routed: no answer from the fallback, no 405.
    let desk = server.device("P1", "desk").await;
    for (method, path) in &routes {
        let url = server.url(&path.replace("{entity}", "guest").replace("{id}", &Uuid::now_v7().to_string()));
        let request = match *method {
            "GET" => desk.http.get(&url),
            "POST" => desk.http.post(&url),
            "DELETE" => desk.http.delete(&url),
            other => panic!("a method the test does not know: {other}"),
        };
        let response = request.bearer_auth(desk.token()).send().await.expect("request");
        let status = response.status();
        assert_ne!(status, 405, "{method} {path} is routed for its method");
        if status == 404 {
            let body: Value = response.json().await.expect("error body");
            let message = body["message"].as_str().unwrap_or_default();
            assert!(!message.contains("no such endpoint"), "{method} {path} reached the fallback");
        }
    }
}

/// A validator of `schema` (a name under components/schemas) with the document's refs.
fn validate(doc: &Value, schema: &str, instance: &Value) {
    let mut root = doc.clone();
    root["$ref"] = json!(format!("#/components/schemas/{schema}"));
    let validator = jsonschema::draft202012::new(&root).expect("the document's schemas compile");
    let errors: Vec<String> =
        validator.iter_errors(instance).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "a real {schema} must validate against the document: {errors:?}\n{instance:#}");
}

#[tokio::test]
async fn real_answers_validate_against_the_documents_schemas() {
    let server = Server::start().await;
    let doc = document(&server).await;
    let http = reqwest::Client::new();

    let health: Value = http.get(server.url("/v1/health")).send().await.expect("health").json().await.expect("json");
    validate(&doc, "Health", &health);
    let code =
        auth::create_enrollment_code(&server.store, "P1", chrono::Duration::hours(1), Utc::now()).await.expect("code");
    let enrollment: Value = http
        .post(server.url("/v1/enroll"))
        .json(&json!({"code": code, "device_name": "Tablet"}))
        .send()
        .await
        .expect("enroll")
        .json()
        .await
        .expect("json");
    validate(&doc, "Enrollment", &enrollment);
    let credential = format!(
        "{}:{}",
        enrollment["device_id"].as_str().expect("id"),
        enrollment["device_secret"].as_str().expect("secret")
    );
    let signed_in: Value = http
        .post(server.url("/v1/sessions"))
        .header(DEVICE_HEADER, credential)
        .json(&json!({"username": "desk", "password": PASSWORD}))
        .send()
        .await
        .expect("sign in")
        .json()
        .await
        .expect("json");
    validate(&doc, "SignedIn", &signed_in);

    let mut manager = server.device("P1", "manager").await;
    let mut desk = server.device("P1", "desk").await;
    let hotel = seed_hotel(&mut manager).await;
    let base = json!("sarah@example.org");
    let first = manager.update(EntityKind::Guest, hotel.guest, 1, &[("email", base.clone(), json!("a@example.org"))]);
    version_of(&manager.push_one(first).await, "the first edit applies");
    let clash = desk.update(EntityKind::Guest, hotel.guest, 1, &[("email", base, json!("b@example.org"))]);
    let bad = desk.insert(EntityKind::Guest, Uuid::now_v7(), json!({"first_name": 1}));
    let fine = desk.insert(EntityKind::Guest, Uuid::now_v7(), guest_fields("Ada", "Lovelace", "ada@example.org"));
    let pushed: Value =
        desk.push_raw(&json!({"protocol": 1, "mutations": [clash, bad, fine]})).await.json().await.expect("json");
    validate(&doc, "PushResponse", &pushed);
    let results: Vec<&str> =
        pushed["results"].as_array().expect("results").iter().filter_map(|r| r["result"].as_str()).collect();
    assert_eq!(results, ["conflict", "rejected", "applied"], "the sample covers three outcomes");

    let pulled: Value = desk.pull_raw(&json!({"protocol": 1})).await.json().await.expect("json");
    validate(&doc, "PullResponse", &pulled);
    let conflicts: Value = desk.get("/v1/conflicts?status=open").await.json().await.expect("json");
    validate(&doc, "ConflictList", &conflicts);
    let id = conflicts["conflicts"][0]["id"].as_str().expect("a conflict").to_owned();
    let conflict: Value = desk.get(&format!("/v1/conflicts/{id}")).await.json().await.expect("json");
    validate(&doc, "Conflict", &conflict);
    let resolved: Value = manager
        .post(&format!("/v1/conflicts/{id}/resolve"), &json!({"choice": "keep_device"}))
        .await
        .json()
        .await
        .expect("json");
    validate(&doc, "Resolved", &resolved);
    let history: Value =
        desk.get(&format!("/v1/records/guest/{}/history", hotel.guest)).await.json().await.expect("json");
    validate(&doc, "History", &history);
    let restored: Value = desk
        .post(&format!("/v1/records/guest/{}/restore", hotel.guest), &json!({"version": 1}))
        .await
        .json()
        .await
        .expect("json");
    validate(&doc, "Restored", &restored);
    let error: Value = desk.get(&format!("/v1/conflicts/{}", Uuid::now_v7())).await.json().await.expect("json");
    validate(&doc, "ApiError", &error);

    let mut root = doc.clone();
    root["$ref"] = json!("#/components/schemas/PushResponse");
    let validator = jsonschema::draft202012::new(&root).expect("the schemas compile");
    let mut broken = pushed.clone();
    broken["results"][0]["result"] = json!("maybe");
    assert!(!validator.is_valid(&broken), "the schemas do check: an unknown result is refused");
}
