//! Bad requests: each answered with a 4xx and a `{code, message}` that says what
//! was wrong, and nothing written.

use serde_json::{Value, json};

use crate::support::Server;

#[tokio::test]
async fn malformed_requests_get_a_4xx_with_a_code_and_write_nothing() {
    let server = Server::start().await;
    let mut desk = server.device("P1", "desk").await;
    let valid = desk.insert(
        sync_core::EntityKind::Guest,
        uuid::Uuid::now_v7(),
        crate::support::guest_fields("Ada", "Lovelace", "ada@example.org"),
    );
    let mut unknown_field = serde_json::to_value(&valid).expect("mutation json");
    unknown_field["colour"] = json!("red");
    let mut wrong_hlc = serde_json::to_value(&valid).expect("mutation json");
    wrong_hlc["hlc"] = json!(12345);
    let mut unknown_entity = serde_json::to_value(&valid).expect("mutation json");
    unknown_entity["entity"] = json!("spaceship");
    let token = desk.token().to_owned();

    struct Case {
        why: &'static str,
        method: &'static str,
        path: &'static str,
        token: Option<String>,
        body: Option<String>,
        status: u16,
        code: &'static str,
    }
    let push_of = |mutation: &Value| json!({"protocol": 1, "mutations": [mutation]}).to_string();
    let cases = [
        Case {
            why: "a body that is not JSON",
            method: "POST",
            path: "/v1/push",
            token: Some(token.clone()),
            body: Some("{\"protocol\": 1, \"mutations\": [".into()),
            status: 400,
            code: "malformed_json",
        },
        Case {
            why: "an unknown field in a mutation",
            method: "POST",
            path: "/v1/push",
            token: Some(token.clone()),
            body: Some(push_of(&unknown_field)),
            status: 422,
            code: "invalid_body",
        },
        Case {
            why: "an unknown entity",
            method: "POST",
            path: "/v1/push",
            token: Some(token.clone()),
            body: Some(push_of(&unknown_entity)),
            status: 422,
            code: "invalid_body",
        },
        Case {
            why: "a wrongly typed protocol",
            method: "POST",
            path: "/v1/push",
            token: Some(token.clone()),
            body: Some(json!({"protocol": "one", "mutations": []}).to_string()),
            status: 422,
            code: "invalid_body",
        },
        Case {
            why: "a protocol the server does not speak",
            method: "POST",
            path: "/v1/push",
            token: Some(token.clone()),
            body: Some(json!({"protocol": 99, "mutations": [valid]}).to_string()),
            status: 400,
            code: "unsupported_protocol",
        },
        Case {
            why: "a push without a token",
            method: "POST",
            path: "/v1/push",
            token: None,
            body: Some(push_of(&serde_json::to_value(&valid).expect("json"))),
            status: 401,
            code: "missing_token",
        },
        Case {
            why: "a push with a made-up token",
            method: "POST",
            path: "/v1/push",
            token: Some("f00d".into()),
            body: Some(push_of(&serde_json::to_value(&valid).expect("json"))),
            status: 401,
            code: "invalid_token",
        },
        Case {
            why: "a cursor that is not one",
            method: "POST",
            path: "/v1/pull",
            token: Some(token.clone()),
            body: Some(json!({"protocol": 1, "cursor": "zzz"}).to_string()),
            status: 400,
            code: "bad_cursor",
        },
        Case {
            why: "a cursor ahead of the log",
            method: "POST",
            path: "/v1/pull",
            token: Some(token.clone()),
            body: Some(json!({"protocol": 1, "cursor": "c1.ffff"}).to_string()),
            status: 400,
            code: "bad_cursor",
        },
        Case {
            why: "an unknown field in a pull",
            method: "POST",
            path: "/v1/pull",
            token: Some(token.clone()),
            body: Some(json!({"protocol": 1, "since": 3}).to_string()),
            status: 422,
            code: "invalid_body",
        },
        Case {
            why: "a conflict id that is not a UUID",
            method: "GET",
            path: "/v1/conflicts/42",
            token: Some(token.clone()),
            body: None,
            status: 400,
            code: "bad_id",
        },
        Case {
            why: "a conflict status that does not exist",
            method: "GET",
            path: "/v1/conflicts?status=maybe",
            token: Some(token.clone()),
            body: None,
            status: 400,
            code: "bad_status",
        },
        Case {
            why: "an endpoint that does not exist",
            method: "GET",
            path: "/v1/nothing",
            token: None,
            body: None,
            status: 404,
            code: "not_found",
        },
        Case {
            why: "an enrollment with a made-up code",
            method: "POST",
            path: "/v1/enroll",
            token: None,
            body: Some(json!({"code": "AAAA-BBBB-CCCC", "device_name": "x"}).to_string()),
            status: 401,
            code: "bad_enrollment_code",
        },
        Case {
            why: "mutations that are an object, not a list",
            method: "POST",
            path: "/v1/push",
            token: Some(token.clone()),
            body: Some(json!({"protocol": 1, "mutations": {"0": valid}}).to_string()),
            status: 422,
            code: "invalid_body",
        },
        Case {
            why: "a clock that is a number",
            method: "POST",
            path: "/v1/push",
            token: Some(token.clone()),
            body: Some(push_of(&wrong_hlc)),
            status: 422,
            code: "invalid_body",
        },
        Case {
            why: "a page size that is text",
            method: "POST",
            path: "/v1/pull",
            token: Some(token.clone()),
            body: Some(json!({"protocol": 1, "limit": "ten"}).to_string()),
            status: 422,
            code: "invalid_body",
        },
        Case {
            why: "a restore of a version that is text",
            method: "POST",
            path: "/v1/records/guest/00000000-0000-0000-0000-000000000001/restore",
            token: Some(token.clone()),
            body: Some(json!({"version": "first"}).to_string()),
            status: 422,
            code: "invalid_body",
        },
        Case {
            why: "a resolution choice that does not exist",
            method: "POST",
            path: "/v1/conflicts/00000000-0000-0000-0000-000000000001/resolve",
            token: Some(token.clone()),
            body: Some(json!({"choice": "flip_a_coin"}).to_string()),
            status: 422,
            code: "invalid_body",
        },
        Case {
            why: "a device name that is a number",
            method: "POST",
            path: "/v1/enroll",
            token: None,
            body: Some(json!({"code": "AAAA-BBBB-CCCC", "device_name": 7}).to_string()),
            status: 422,
            code: "invalid_body",
        },
        Case {
            why: "a history of an entity that does not exist",
            method: "GET",
            path: "/v1/records/spaceship/00000000-0000-0000-0000-000000000001/history",
            token: Some(token.clone()),
            body: None,
            status: 400,
            code: "unknown_entity",
        },
    ];

    let before =
        (server.count("records").await, server.count("change_log").await, server.count("applied_mutations").await);
    for case in cases {
        let url = desk.url(case.path);
        let mut request = match case.method {
            "GET" => desk.http.get(url),
            _ => desk.http.post(url),
        };
        if let Some(token) = &case.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = case.body {
            request = request.header("content-type", "application/json").body(body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!(status, case.status, "{}: status (body {body})", case.why);
        assert_eq!(body["code"], json!(case.code), "{}: the code tells a program what was wrong", case.why);
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{}: the message tells a person what was wrong",
            case.why
        );
    }
    let after =
        (server.count("records").await, server.count("change_log").await, server.count("applied_mutations").await);
    assert_eq!(before, after, "no bad request wrote anything");

    let response = desk
        .http
        .post(desk.url("/v1/push"))
        .bearer_auth(desk.token())
        .body(json!({"protocol": 1, "mutations": []}).to_string())
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 415, "a body without a JSON content type is refused");
    let _ = &mut desk;
}

#[tokio::test]
async fn a_gzip_bomb_is_refused_without_inflating_it_whole() {
    use std::io::Write;
    let server = Server::start().await;
    let desk = server.device("P1", "desk").await;
    // 64 MiB of spaces inside a JSON string: about 64 KiB gzipped.
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(b"{\"protocol\": 1, \"mutations\": [], \"pad\": \"").expect("gzip");
    let chunk = vec![b' '; 1024 * 1024];
    for _ in 0..64 {
        encoder.write_all(&chunk).expect("gzip");
    }
    encoder.write_all(b"\"}").expect("gzip");
    let bomb = encoder.finish().expect("gzip");
    assert!(bomb.len() < 1024 * 1024, "the bomb is small on the wire: {} bytes", bomb.len());
    let response = desk
        .http
        .post(desk.url("/v1/push"))
        .bearer_auth(desk.token())
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(bomb)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 413, "it inflates past the body limit and is refused");
    let body: Value = response.json().await.expect("error body");
    assert_eq!(body["code"], json!("payload_too_large"));
    let health = desk.http.get(desk.url("/v1/health")).send().await.expect("health");
    assert_eq!(health.status(), 200, "the server is unharmed");
}

/// Every answer that is an error is `{code, message}`, whichever layer made it: a
/// method an existing endpoint does not take, an address that is no endpoint, a
/// body encoding the server does not read. A client (or the fuzzer) never has to
/// guess from an empty body.
#[tokio::test]
async fn every_error_is_json_even_from_the_router_and_its_layers() {
    let server = Server::start().await;
    let desk = server.device("P1", "desk").await;
    let cases = [
        (reqwest::Method::GET, "/v1/push", 405, "method_not_allowed"),
        (reqwest::Method::PUT, "/v1/health", 405, "method_not_allowed"),
        (reqwest::Method::DELETE, "/v1/conflicts", 405, "method_not_allowed"),
        (reqwest::Method::POST, "/v1/live", 405, "method_not_allowed"),
        (reqwest::Method::PATCH, "/v1/sessions/current", 405, "method_not_allowed"),
        (reqwest::Method::GET, "/v1/nothing/here", 404, "not_found"),
        (reqwest::Method::DELETE, "/nothing", 404, "not_found"),
    ];
    for (method, path, status, code) in cases {
        let response =
            desk.http.request(method.clone(), desk.url(path)).bearer_auth(desk.token()).send().await.expect("request");
        assert_eq!(response.status(), status, "{method} {path}");
        if status == 405 {
            assert!(response.headers().contains_key("allow"), "{method} {path}: a 405 still says which methods work");
        }
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!(body["code"], json!(code), "{method} {path}: a JSON error with its code, not an empty body");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{method} {path}: and a message: {body}");
    }

    // Refused by the decompression layer, below every handler.
    let response = desk
        .http
        .post(desk.url("/v1/pull"))
        .bearer_auth(desk.token())
        .header("content-type", "application/json")
        .header("content-encoding", "zstd-of-my-own")
        .body("{}")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 415, "an encoding the server does not read is refused");
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(body["code"], json!("unsupported_media_type"), "with a JSON error: {body}");
}

/// Every body and query the server takes refuses a field it does not know, so a
/// typo or a field meant for a newer server is an error, never silently ignored.
#[tokio::test]
async fn every_request_type_refuses_unknown_fields() {
    let server = Server::start().await;
    let desk = server.device("P1", "desk").await;
    let credential = format!("{}:{}", desk.enrollment.device_id, desk.enrollment.device_secret);
    let some_id = "00000000-0000-0000-0000-000000000001";
    let cases: [(&str, String, Value); 5] = [
        ("/v1/enroll", String::new(), json!({"code": "AAAA-BBBB-CCCC", "device_name": "x", "admin": true})),
        ("/v1/sessions", String::new(), json!({"username": "desk", "password": "x", "remember": true})),
        ("/v1/pull", String::new(), json!({"protocol": 1, "since": 3})),
        ("/v1/push", String::new(), json!({"protocol": 1, "mutations": [], "force": true})),
        (
            "/v1/records/guest/{id}/restore",
            some_id.to_owned(),
            json!({"version": 1, "as_user": "00000000-0000-0000-0000-000000000002"}),
        ),
    ];
    for (path, id, body) in cases {
        let path = path.replace("{id}", &id);
        let response = desk
            .http
            .post(desk.url(&path))
            .bearer_auth(desk.token())
            .header(sync_core::protocol::DEVICE_HEADER, &credential)
            .json(&body)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 422, "{path}: an unknown field is refused");
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!(answer["code"], json!("invalid_body"), "{path}: {answer}");
    }
    let response = desk.get("/v1/conflicts?status=open&colour=red").await;
    assert_eq!(response.status(), 400, "an unknown query parameter is refused");
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(answer["code"], json!("bad_query"), "{answer}");
}
