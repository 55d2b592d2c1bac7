//! A mocked Kubernetes API server (tower-test): the test answers every call, in order.

#![allow(dead_code)]

use http::{Request, Response, StatusCode};
use kube::client::Body;
use serde_json::{Value, json};

pub type Handle = tower_test::mock::Handle<Request<Body>, Response<Body>>;
pub type Responder = tower_test::mock::SendResponse<Response<Body>>;

/// A client whose every request goes to the returned handle.
pub fn client() -> (kube::Client, Handle) {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    (kube::Client::new(service, "aduan"), handle)
}

/// One request the client sent.
pub struct Call {
    pub method: String,
    pub path: String,
    pub query: String,
    pub body: Value,
    respond: Responder,
}

impl Call {
    /// Answers with `status` and a JSON body.
    pub fn reply(self, status: u16, body: &Value) {
        self.respond.send_response(
            Response::builder()
                .status(StatusCode::from_u16(status).expect("status"))
                .header("content-type", "application/json")
                .body(Body::from(serde_json::to_vec(body).expect("json")))
                .expect("response"),
        );
    }

    /// Answers a watch with these events (one JSON line each); the stream then ends.
    pub fn reply_events(self, events: &[(&str, Value)]) {
        let mut text = String::new();
        for (kind, object) in events {
            text.push_str(&json!({"type": kind, "object": object}).to_string());
            text.push('\n');
        }
        self.respond.send_response(
            Response::builder()
                .status(StatusCode::OK)
                .body(Body::from(text.into_bytes()))
                .expect("response"),
        );
    }

    /// Answers with a `Status` error.
    pub fn reply_status(self, code: u16, reason: &str) {
        let body = json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure", "message": format!("test: {reason}"), "reason": reason, "code": code,
        });
        self.reply(code, &body);
    }

    pub fn is_watch(&self) -> bool {
        self.query.contains("watch=true")
    }

    /// The `resourceVersion` query parameter.
    pub fn resource_version(&self) -> Option<String> {
        self.query
            .split('&')
            .find_map(|kv| kv.strip_prefix("resourceVersion="))
            .map(str::to_string)
    }
}

/// The next request, with its body read.
pub async fn next(handle: &mut Handle) -> Call {
    let (request, respond) =
        tokio::time::timeout(std::time::Duration::from_secs(30), handle.next_request())
            .await
            .expect("a request within 30 s")
            .expect("the client is alive");
    let method = request.method().to_string();
    let path = request.uri().path().to_string();
    let query = request.uri().query().unwrap_or_default().to_string();
    let bytes = request.into_body().collect_bytes().await.expect("body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("JSON body")
    };
    Call {
        method,
        path,
        query,
        body,
        respond,
    }
}
