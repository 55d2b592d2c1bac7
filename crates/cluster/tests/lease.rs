//! Lease leader election against a (mocked) API server: acquire, renew, lose, take over after
//! expiry, step down when renewals fail, release at shutdown.

mod mock;

use std::time::Duration;

use aduan_cluster::{Attempt, Leadership, LeaseConfig, LeaseLeadership, LeaseLock, lease_name};
use k8s_openapi::api::coordination::v1::Lease;
use kube::Api;
use serde_json::{Value, json};

const PATH: &str = "/apis/coordination.k8s.io/v1/namespaces/aduan/leases";

fn config(identity: &str) -> LeaseConfig {
    let mut config = LeaseConfig::new("aduan");
    config.identity = identity.into();
    config
}

fn lock(client: kube::Client, identity: &str) -> LeaseLock {
    LeaseLock::new(
        Api::<Lease>::namespaced(client, "aduan"),
        "aduan-sla-sweeper-triage",
        config(identity),
    )
}

fn lease(resource_version: &str, holder: Option<&str>, transitions: i32) -> Value {
    json!({
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": "aduan-sla-sweeper-triage", "namespace": "aduan",
                     "resourceVersion": resource_version},
        "spec": {
            "holderIdentity": holder,
            "leaseDurationSeconds": 15,
            "acquireTime": "2026-11-28T01:00:00.000000Z",
            "renewTime": "2026-11-28T01:00:05.000000Z",
            "leaseTransitions": transitions,
        }
    })
}

/// Answers a write by echoing its body with a new resource version (what the API server does).
fn echo(call: mock::Call, status: u16, resource_version: &str) -> Value {
    let mut body = call.body.clone();
    body["metadata"]["resourceVersion"] = json!(resource_version);
    call.reply(status, &body);
    body
}

#[tokio::test(start_paused = true)]
async fn acquire_renew_lose_and_take_over() {
    let (client, mut api) = mock::client();
    let mut me = lock(client, "triage-a");

    // Acquire: there is no Lease yet, so it is created with us as the holder.
    let server = tokio::spawn(async move {
        let call = mock::next(&mut api).await;
        assert_eq!(
            (call.method.as_str(), call.path.as_str()),
            ("GET", &*format!("{PATH}/aduan-sla-sweeper-triage"))
        );
        call.reply_status(404, "NotFound");
        let call = mock::next(&mut api).await;
        assert_eq!((call.method.as_str(), call.path.as_str()), ("POST", PATH));
        assert_eq!(call.body["spec"]["holderIdentity"], "triage-a");
        assert_eq!(call.body["spec"]["leaseDurationSeconds"], 15);
        assert_eq!(call.body["spec"]["leaseTransitions"], 0);
        echo(call, 201, "1");
        api
    });
    assert_eq!(me.try_acquire_or_renew().await.unwrap(), Attempt::Created);
    assert!(me.is_leader());
    let mut api = server.await.unwrap();

    // Renew: we hold it; a new renewTime is written with the version read.
    tokio::time::advance(Duration::from_secs(5)).await;
    let server = tokio::spawn(async move {
        let call = mock::next(&mut api).await;
        assert_eq!(call.method, "GET");
        call.reply(200, &lease("1", Some("triage-a"), 0));
        let call = mock::next(&mut api).await;
        assert_eq!(call.method, "PUT");
        assert_eq!(call.path, format!("{PATH}/aduan-sla-sweeper-triage"));
        assert_eq!(call.body["metadata"]["resourceVersion"], "1");
        assert_eq!(call.body["spec"]["holderIdentity"], "triage-a");
        assert_eq!(call.body["spec"]["leaseTransitions"], 0);
        assert_ne!(
            call.body["spec"]["renewTime"],
            "2026-11-28T01:00:05.000000Z"
        );
        echo(call, 200, "2");
        api
    });
    assert_eq!(me.try_acquire_or_renew().await.unwrap(), Attempt::Renewed);
    assert!(me.is_leader());
    let mut api = server.await.unwrap();

    // Lose: another replica wrote the Lease (we were partitioned); we step down at once.
    tokio::time::advance(Duration::from_secs(5)).await;
    let server = tokio::spawn(async move {
        let call = mock::next(&mut api).await;
        call.reply(200, &lease("7", Some("triage-b"), 1));
        api
    });
    assert_eq!(
        me.try_acquire_or_renew().await.unwrap(),
        Attempt::HeldBy("triage-b".into())
    );
    assert!(!me.is_leader());
    assert_eq!(me.observed_holder(), Some("triage-b"));
    let mut api = server.await.unwrap();

    // triage-b keeps renewing: no take-over, however long it lasts.
    for (i, rv) in ["8", "9", "10", "11"].into_iter().enumerate() {
        tokio::time::advance(Duration::from_secs(5)).await;
        let renewed = format!("2026-11-28T01:0{}:00.000000Z", i + 1);
        let server = tokio::spawn(async move {
            let call = mock::next(&mut api).await;
            let mut l = lease(rv, Some("triage-b"), 1);
            l["spec"]["renewTime"] = json!(renewed);
            call.reply(200, &l);
            api
        });
        assert!(matches!(
            me.try_acquire_or_renew().await.unwrap(),
            Attempt::HeldBy(_)
        ));
        api = server.await.unwrap();
    }

    // triage-b dies: the record stays the same for a lease duration, then we take over.
    let stale = {
        let mut l = lease("11", Some("triage-b"), 1);
        l["spec"]["renewTime"] = json!("2026-11-28T01:04:00.000000Z");
        l
    };
    for _ in 0..2 {
        tokio::time::advance(Duration::from_secs(5)).await;
        let s = stale.clone();
        let server = tokio::spawn(async move {
            mock::next(&mut api).await.reply(200, &s);
            api
        });
        assert!(matches!(
            me.try_acquire_or_renew().await.unwrap(),
            Attempt::HeldBy(_)
        ));
        api = server.await.unwrap();
    }
    tokio::time::advance(Duration::from_secs(5)).await;
    let s = stale.clone();
    let server = tokio::spawn(async move {
        mock::next(&mut api).await.reply(200, &s);
        let call = mock::next(&mut api).await;
        assert_eq!(call.method, "PUT");
        assert_eq!(call.body["metadata"]["resourceVersion"], "11");
        assert_eq!(call.body["spec"]["holderIdentity"], "triage-a");
        assert_eq!(call.body["spec"]["leaseTransitions"], 2);
        assert_ne!(
            call.body["spec"]["acquireTime"],
            "2026-11-28T01:00:00.000000Z"
        );
        echo(call, 200, "12");
        api
    });
    assert_eq!(
        me.try_acquire_or_renew().await.unwrap(),
        Attempt::TookOver {
            from: Some("triage-b".into())
        }
    );
    assert!(me.is_leader());
    let mut api = server.await.unwrap();

    // Release at shutdown: holderIdentity cleared.
    let server = tokio::spawn(async move {
        mock::next(&mut api)
            .await
            .reply(200, &lease("12", Some("triage-a"), 2));
        let call = mock::next(&mut api).await;
        assert_eq!(call.method, "PUT");
        assert_eq!(call.body["spec"]["holderIdentity"], Value::Null);
        assert_eq!(call.body["spec"]["leaseTransitions"], 2);
        echo(call, 200, "13");
    });
    me.release().await.unwrap();
    assert!(!me.is_leader());
    server.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn two_candidates_one_wins_the_write_and_a_released_lease_is_taken_at_once() {
    let (client, mut api) = mock::client();
    let mut me = lock(client, "triage-a");
    // Free (released) Lease, but triage-b writes first: 409 Conflict.
    let server = tokio::spawn(async move {
        mock::next(&mut api).await.reply(200, &lease("20", None, 3));
        let call = mock::next(&mut api).await;
        assert_eq!(call.body["metadata"]["resourceVersion"], "20");
        call.reply_status(409, "Conflict");
        // Next round: triage-b holds it.
        mock::next(&mut api)
            .await
            .reply(200, &lease("21", Some("triage-b"), 4));
        // triage-b releases it at shutdown; we take it at our next attempt, without waiting.
        mock::next(&mut api).await.reply(200, &lease("22", None, 4));
        let call = mock::next(&mut api).await;
        assert_eq!(call.body["spec"]["leaseTransitions"], 5);
        echo(call, 200, "23");
    });
    assert_eq!(me.try_acquire_or_renew().await.unwrap(), Attempt::Conflict);
    assert!(!me.is_leader());
    assert_eq!(
        me.try_acquire_or_renew().await.unwrap(),
        Attempt::HeldBy("triage-b".into())
    );
    tokio::time::advance(Duration::from_secs(5)).await;
    assert_eq!(
        me.try_acquire_or_renew().await.unwrap(),
        Attempt::TookOver { from: None }
    );
    assert!(me.is_leader());
    server.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_holder_that_cannot_renew_steps_down_before_others_may_take_over() {
    let (client, mut api) = mock::client();
    let mut me = lock(client, "triage-a");
    let server = tokio::spawn(async move {
        mock::next(&mut api)
            .await
            .reply(200, &lease("30", Some("triage-a"), 0));
        let call = mock::next(&mut api).await;
        echo(call, 200, "31");
        // The API server is unreachable from now on.
        for _ in 0..2 {
            mock::next(&mut api)
                .await
                .reply_status(503, "ServiceUnavailable");
        }
    });
    assert_eq!(me.try_acquire_or_renew().await.unwrap(), Attempt::Renewed);
    tokio::time::advance(Duration::from_secs(5)).await;
    assert!(me.try_acquire_or_renew().await.is_err());
    assert!(me.is_leader(), "one failed renewal is tolerated");
    tokio::time::advance(Duration::from_secs(5)).await;
    assert!(me.try_acquire_or_renew().await.is_err());
    // renew deadline = 15 s - 5 s: at 10 s this process stops; others wait 15 s.
    assert!(!me.is_leader());
    assert_eq!(me.config().renew_deadline(), Duration::from_secs(10));
    assert_eq!(me.config().failover(), Duration::from_secs(20));
    server.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn background_leadership_for_a_singleton_loop() {
    let (client, mut api) = mock::client();
    let mut leadership =
        LeaseLeadership::for_loop(client, "aduan-sla-sweeper:triage", config("triage-a"));
    let server = tokio::spawn(async move {
        let call = mock::next(&mut api).await;
        assert_eq!(call.path, format!("{PATH}/aduan-sla-sweeper-triage"));
        call.reply_status(404, "NotFound");
        echo(mock::next(&mut api).await, 201, "1");
        // Renewed by the background task every 5 s while the loop works.
        for rv in ["2", "3"] {
            let call = mock::next(&mut api).await;
            assert_eq!(call.method, "GET");
            let mut held = lease(rv, Some("triage-a"), 0);
            held["metadata"]["resourceVersion"] = json!(rv);
            call.reply(200, &held);
            let call = mock::next(&mut api).await;
            assert_eq!(call.method, "PUT");
            echo(call, 200, rv);
        }
        // Shutdown: released.
        mock::next(&mut api)
            .await
            .reply(200, &lease("3", Some("triage-a"), 0));
        let call = mock::next(&mut api).await;
        assert_eq!(call.body["spec"]["holderIdentity"], Value::Null);
        echo(call, 200, "4");
    });
    assert!(leadership.ensure().await);
    tokio::time::sleep(Duration::from_secs(11)).await;
    assert!(leadership.ensure().await, "still held after two renewals");
    assert!(leadership.is_leader_now());
    leadership.release().await;
    assert!(!leadership.is_leader_now());
    server.await.unwrap();
}

#[test]
fn lease_names_are_valid_object_names() {
    assert_eq!(
        lease_name("aduan-sla-sweeper:triage"),
        "aduan-sla-sweeper-triage"
    );
    assert_eq!(
        lease_name("aduan-feedback-sweeper"),
        "aduan-feedback-sweeper"
    );
    assert_eq!(lease_name("Reports::Monthly_"), "reports--monthly");
    assert_eq!(lease_name("::"), "aduan-singleton");
    assert!(lease_name(&"x".repeat(100)).len() <= 63);
    let config = LeaseConfig::with_lease_seconds("aduan", 30);
    assert_eq!(config.renew_period, Duration::from_secs(10));
    assert_eq!(config.failover(), Duration::from_secs(40));
    assert_ne!(
        LeaseConfig::new("a").identity,
        LeaseConfig::new("a").identity
    );
}

#[tokio::test(start_paused = true)]
async fn an_unreachable_api_server_neither_blocks_the_loop_nor_its_shutdown() {
    let (client, mut api) = mock::client();
    let mut leadership =
        LeaseLeadership::for_loop(client, "aduan-feedback-sweeper", config("feedback-a"));
    // The API server takes the request and never answers.
    let server = tokio::spawn(async move {
        let call = mock::next(&mut api).await;
        assert_eq!(call.path, format!("{PATH}/aduan-feedback-sweeper"));
        tokio::time::sleep(Duration::from_secs(3600)).await;
        drop(call);
    });
    let started = tokio::time::Instant::now();
    assert!(!leadership.ensure().await);
    assert!(started.elapsed() <= Duration::from_secs(6));
    leadership.release().await;
    assert!(started.elapsed() <= Duration::from_secs(12));
    server.abort();
}
