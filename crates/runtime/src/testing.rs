//! Test support: a fresh PostgreSQL database per test.
//!
//! Tests that need PostgreSQL read `ADUAN_TEST_POSTGRES_URL` (an admin URL; `scripts/test` starts
//! a throwaway cluster and sets it). Without it they are skipped with a message, except when `CI`
//! is set: in CI the PostgreSQL tests cannot be skipped.

/// A URL of a new, empty database, or None when PostgreSQL is not configured outside CI.
pub async fn postgres_database() -> Option<String> {
    let admin = match std::env::var("ADUAN_TEST_POSTGRES_URL") {
        Ok(u) if !u.is_empty() => u,
        _ => {
            if std::env::var_os("CI").is_some() {
                panic!(
                    "CI is set but ADUAN_TEST_POSTGRES_URL is not: PostgreSQL tests cannot be skipped in CI"
                );
            }
            eprintln!(
                "ADUAN_TEST_POSTGRES_URL not set: skipping a PostgreSQL test (run ./scripts/test)"
            );
            return None;
        }
    };
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&admin)
        .await
        .expect("connect to ADUAN_TEST_POSTGRES_URL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&pool)
        .await
        .expect("create test database");
    pool.close().await;
    // Replace the database name (the path) of the admin URL.
    let (base, query) = match admin.split_once('?') {
        Some((b, q)) => (b.to_string(), format!("?{q}")),
        None => (admin.clone(), String::new()),
    };
    let cut = base
        .rfind('/')
        .filter(|i| *i > "postgres://".len())
        .unwrap_or(base.len());
    Some(format!("{}/{name}{query}", &base[..cut]))
}
