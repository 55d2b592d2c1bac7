# Everyday recipes. The README's two commands do not need `just`.

# Run every service in one process on 127.0.0.1:50051 (SQLite under ./aduan-data).
up:
    cargo run --release --bin aduan -- up

# Every test, SQLite and a throwaway PostgreSQL.
test *ARGS:
    ./scripts/test {{ARGS}}

# Formatting and lints, as CI runs them.
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings

# Format the code.
fmt:
    cargo fmt --all

# What CI runs, on this machine.
ci:
    bash .ci/run

# Mint a local token, e.g. `just token complaints_officer 35.27`.
token ROLE OFFICE:
    cargo run --quiet --bin aduan -- token --role {{ROLE}} --office {{OFFICE}}

# Benchmarks: see docs/benchmarks.md for the full procedure and recorded figures.
bench MODE="submit" CLIENTS="64" SECONDS="20":
    cargo run --release -p aduan-bench --bin aduan-load -- --mode {{MODE}} --clients {{CLIENTS}} --seconds {{SECONDS}}
