//! Walks the authorization table: every RPC in the contracts has a rule, and for every RPC and
//! every role the server answers as the table says (no token: UNAUTHENTICATED; a role without a
//! grant: PERMISSION_DENIED; a granted role gets past authorization).

mod common;

use std::collections::HashSet;

use aduan_runtime::auth::{Access, Role};
use prost::Message;
use tonic::Code;

fn rpc_paths() -> Vec<String> {
    let fds = prost_types::FileDescriptorSet::decode(aduan_proto::FILE_DESCRIPTOR_SET).unwrap();
    let mut out = Vec::new();
    for f in fds.file {
        let pkg = f.package.clone().unwrap_or_default();
        if !pkg.starts_with("aduan.") {
            continue;
        }
        for s in &f.service {
            for m in &s.method {
                out.push(format!("/{pkg}.{}/{}", s.name(), m.name()));
            }
        }
    }
    out
}

async fn call(
    channel: tonic::transport::Channel,
    path: &str,
    token: Option<&str>,
) -> tonic::Status {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let mut req = tonic::Request::new(());
    if let Some(t) = token {
        req.metadata_mut()
            .insert("authorization", format!("Bearer {t}").parse().unwrap());
    }
    let codec = tonic_prost::ProstCodec::<(), ()>::default();
    let path = http::uri::PathAndQuery::try_from(path.to_string()).unwrap();
    match grpc.unary(req, path, codec).await {
        Ok(_) => tonic::Status::ok(""),
        Err(s) => s,
    }
}

/// Every table of the process: the services and the relay's inbox and admin.
fn tables() -> Vec<&'static (&'static str, Access)> {
    [
        aduan_intake::AUTHZ,
        aduan_triage::AUTHZ,
        aduan_investigation::AUTHZ,
        aduan_feedback::AUTHZ,
        aduan_reporting::AUTHZ,
        aduan_spine::relay::INBOX_AUTHZ,
        aduan_spine::relay::ADMIN_AUTHZ,
    ]
    .into_iter()
    .flat_map(|t| t.iter())
    .collect()
}

#[test]
fn every_rpc_has_exactly_one_rule() {
    let table: Vec<&str> = tables().iter().map(|(p, _)| *p).collect();
    let unique: HashSet<&str> = table.iter().copied().collect();
    assert_eq!(unique.len(), table.len(), "duplicate rules");
    for path in rpc_paths() {
        assert!(
            unique.contains(path.as_str()),
            "{path} has no authorization rule"
        );
    }
    for path in &table {
        assert!(
            rpc_paths().iter().any(|p| p == path),
            "{path} is not an RPC of the contracts"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_enforces_the_table_for_every_role() {
    let app = common::start_sqlite().await;
    let channel = app.channel().await;
    for (path, access) in tables() {
        let status = call(channel.clone(), path, None).await;
        match access {
            Access::Public => assert_ne!(status.code(), Code::Unauthenticated, "{path} is public"),
            Access::Roles(grants) => {
                assert_eq!(
                    status.code(),
                    Code::Unauthenticated,
                    "{path} without a token"
                );
                for role in Role::ALL {
                    let office = if role == Role::ProvincialAnalyst {
                        "35"
                    } else {
                        "35.27"
                    };
                    // Of the components, only the console may submit (its web form, channel
                    // WEB); tests/console.rs checks that another component's identity may not.
                    let token = if role == Role::Service && path.ends_with("/SubmitComplaint") {
                        app.service_token("console")
                    } else if role == Role::Service {
                        app.service_token("triage")
                    } else {
                        app.token(&[role], office)
                    };
                    let status = call(channel.clone(), path, Some(&token)).await;
                    let granted = grants.iter().any(|g| g.role == role);
                    if granted {
                        assert!(
                            !matches!(
                                status.code(),
                                Code::PermissionDenied | Code::Unauthenticated
                            ),
                            "{path} as {role:?}: {status:?}"
                        );
                    } else {
                        assert_eq!(status.code(), Code::PermissionDenied, "{path} as {role:?}");
                    }
                }
            }
        }
    }
    // A method that is not in the contracts is refused, not served.
    let token = app.token(&[Role::Head], "35.27");
    let status = call(
        channel.clone(),
        "/aduan.intake.v1.IntakeService/DropEverything",
        Some(&token),
    )
    .await;
    assert_eq!(status.code(), Code::PermissionDenied);
}
